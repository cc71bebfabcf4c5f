"""End to end on the local backend: the real daemon, a real PostgreSQL, real Spark jobs."""

from __future__ import annotations

import json
import os
import re
import signal
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from sparkd_e2e import ADMIN_TOKEN, EXAMPLES_JAR, ROOT, Daemon, job_pid, process_group_alive, wait_until

JAR = str(EXAMPLES_JAR)


def job_id_of(output: str) -> str:
    match = re.search(r"\b(j[0-9a-z]{20})\b", output)
    assert match, f"no job id in: {output}"
    return match.group(1)


def get(url: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def ui_page(daemon: Daemon, job_id: str) -> str | None:
    """The job's /ui page through the daemon's proxy; None while the history server has not
    loaded the application yet (it answers 404 until then)."""
    try:
        with urllib.request.urlopen(get(f"{daemon.http_url}/jobs/{job_id}/ui"), timeout=30) as response:
            return response.read().decode()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def test_sparkpi_runs_streams_its_output_and_keeps_its_links(daemon: Daemon) -> None:
    result = daemon.cli("run", "--file", JAR, "--class", "io.sparkd.examples.SparkPi", "--", "4")
    assert result.returncode == 0, result.stderr
    assert "Pi is roughly 3.1" in result.stdout  # the driver's own output, streamed back
    assert re.search(r"\] RUNNING: Spark application local-\d+ running", result.stderr)
    assert "] SUCCEEDED: driver exited with status 0" in result.stderr
    job_id = job_id_of(result.stderr)

    job = daemon.job(job_id)
    assert job["state"] == "SUCCEEDED"
    assert job["driver_exit_code"] == 0
    assert job["spark_app_id"].startswith("local-")
    assert [e["to"] for e in job["events"]] == ["QUEUED", "SUBMITTING", "SUBMITTED", "RUNNING", "SUCCEEDED"]
    driver = next(x for x in job["executors"] if x["executor_id"] == "driver")
    assert driver["reason"] == "SUCCEEDED"

    with urllib.request.urlopen(get(f"{daemon.http_url}/jobs/{job_id}/logs"), timeout=10) as response:
        assert "Pi is roughly" in response.read().decode()
    # After the end, the UI link serves the history server's page of this application, through
    # the daemon (the history server itself listens on loopback for the daemon only).
    app = job["spark_app_id"]
    page = wait_until(lambda: ui_page(daemon, job_id), 60, "the history server to serve the app")
    assert "Spark Jobs" in page and app in page
    assert f'href="/jobs/{job_id}/ui/history/{app}/' in page, "its links must stay on the proxy"
    listing = daemon.cli("list")
    assert job_id in listing.stdout and "SUCCEEDED" in listing.stdout


def test_printed_links_open_without_a_token_for_that_job_only(daemon: Daemon) -> None:
    result = daemon.cli("run", "--quiet", "--file", JAR, "--class", "io.sparkd.examples.Fail", "--", "0")
    assert result.returncode == 0, result.stderr
    job_page = re.search(r"job page:\s+(\S+)", result.stderr).group(1)
    logs = re.search(r"logs:\s+(\S+)", result.stderr).group(1)
    assert re.search(r"\?exp=\d+&kid=\d+&sig=[0-9a-f]{64}$", job_page), job_page
    with urllib.request.urlopen(job_page, timeout=10) as response:  # no Authorization header
        assert json.load(response)["state"] == "SUCCEEDED"
    with urllib.request.urlopen(logs, timeout=10) as response:
        assert "Fail: exiting with status 0" in response.read().decode()
    for forged in (job_page[:-4] + "0000", job_page.split("?")[0]):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=10)
        assert refused.value.code == 401, f"{forged} opened without a valid signature or token"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_dashboard_link_of_a_preset_opens_filled_for_the_job(daemon: Daemon, tmp_path: Path) -> None:
    template = "https://grafana.example/d/spark?app={app_id}&job={job_id}&team={team}&from={start_ms}&to={end_ms}"
    (tmp_path / "with_dashboard.yaml").write_text(f"description: a dashboard\nlinks:\n  dashboard: '{template}'\n")
    applied = daemon.cli("presets", "apply", str(tmp_path))
    assert applied.returncode == 0, applied.stderr
    result = daemon.cli("run", "--quiet", "--job-type", "with_dashboard", "--file", JAR, "--class",
                        "io.sparkd.examples.SparkPi", "--", "1")  # fmt: skip
    assert result.returncode == 0, result.stderr
    dashboard = re.search(r"dashboard:\s+(\S+)", result.stderr).group(1)
    job = daemon.job(job_id_of(result.stderr))
    with pytest.raises(urllib.error.HTTPError) as answer:  # signed like the other links: no token
        urllib.request.build_opener(_NoRedirect).open(dashboard, timeout=10)
    assert answer.value.code == 302
    location = urllib.parse.urlsplit(answer.value.headers["Location"])
    assert location.netloc == "grafana.example"
    query = urllib.parse.parse_qs(location.query)
    assert set(query) == {"app", "job", "team", "from", "to"}, answer.value.headers["Location"]
    assert query["app"] == [job["spark_app_id"]] and query["job"] == [job["id"]] and query["team"] == [job["team"]]
    started, finished = (datetime.fromisoformat(job[k]).timestamp() for k in ("started_at", "finished_at"))
    assert abs(int(query["from"][0]) / 1000 - started) < 0.01 and abs(int(query["to"][0]) / 1000 - finished) < 0.01

    plain = daemon.cli("run", "--quiet", "--file", JAR, "--class", "io.sparkd.examples.Fail", "--", "0")
    assert plain.returncode == 0 and "dashboard:" not in plain.stderr, plain.stderr
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(get(f"{daemon.http_url}/jobs/{job_id_of(plain.stderr)}/dashboard"), timeout=10)
    assert missing.value.code == 404 and "links.dashboard" in missing.value.read().decode()


def test_local_cluster_takes_the_executor_shape_of_the_presets(daemon: Daemon, tmp_path: Path) -> None:
    # Two cores per executor from a preset: local-cluster's workers must offer two, or the
    # executor never starts ("requires more resource than any of Workers could have").
    (tmp_path / "two_cores.yaml").write_text("description: wide executors\nexecutor:\n  cores: 2\n")
    applied = daemon.cli("presets", "apply", str(tmp_path))
    assert applied.returncode == 0, applied.stderr
    result = daemon.cli("run", "--local-cluster", "--num-executors", "1", "--executor-memory", "512m",
                        "--job-type", "two_cores", "--file", JAR, "--class", "io.sparkd.examples.SparkPi",
                        "--", "2", timeout=240)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Pi is roughly 3.1" in result.stdout
    # Its one executor ended with the application, and the report says so in its own column.
    assert re.search(r"^  0 +KILLED_BY_DRIVER +- +removed after the application stopped", result.stderr, re.M), (
        result.stderr[-3000:]
    )


def test_pyspark_file_runs(daemon: Daemon) -> None:
    result = daemon.cli("run", "--file", str(ROOT / "dags_examples" / "jobs" / "pi.py"), "--", "2")
    assert result.returncode == 0, result.stderr
    assert "Pi is roughly" in result.stdout


def test_failing_application_is_failed_with_its_exit_code(daemon: Daemon) -> None:
    result = daemon.cli("run", "--quiet", "--file", JAR, "--class", "io.sparkd.examples.Fail", "--", "3")
    assert result.returncode == 1
    job = daemon.job(job_id_of(result.stderr))
    assert job["state"] == "FAILED"
    assert job["driver_exit_code"] == 3
    assert "driver exited with status 3" in job["state_message"]
    driver = next(x for x in job["executors"] if x["executor_id"] == "driver")
    assert driver["reason"] == "APP_ERROR"
    assert any("Fail: exiting with status 3" in line for line in job["report"]["driver_log_tail"])
    assert "Fail: exiting with status 3" in result.stderr  # the report shows the driver's last lines


def test_invalid_request_names_the_field(daemon: Daemon) -> None:
    result = daemon.cli("submit", "--file", JAR, "--class", "X", "--executor-memory", "4gb")
    assert result.returncode == 2
    assert 'executor.memory: "4gb" is not a Spark size; did you mean "4g"?' in result.stderr


def test_cancel_stops_the_spark_processes(daemon: Daemon) -> None:
    submitted = daemon.cli("submit", "--file", JAR, "--class", "io.sparkd.examples.Sleep", "--", "600")
    assert submitted.returncode == 0, submitted.stderr
    job_id = job_id_of(submitted.stdout)
    daemon.wait_for_state(job_id, {"RUNNING"})
    pid = job_pid(daemon.data_dir / "jobs" / job_id)
    assert pid and process_group_alive(pid)

    cancelled = daemon.cli("cancel", job_id, "--reason", "test")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "CANCELLED" in cancelled.stdout
    wait_until(lambda: not process_group_alive(pid), 30, "the job's process group to exit")
    job = daemon.job(job_id)
    assert job["state"] == "CANCELLED"
    assert job["events"][-1]["message"].endswith(": test")
    again = daemon.cli("cancel", job_id)
    assert again.returncode != 0 and "already ended: CANCELLED" in again.stderr


def test_duplicate_submit_starts_one_application(daemon: Daemon) -> None:
    args = ["submit", "--key", "dag/task/run/0", "--file", JAR, "--class", "io.sparkd.examples.Fail", "--", "0"]
    first = daemon.cli(*args)
    second = daemon.cli(*args)
    assert first.returncode == 0 and second.returncode == 0
    job_id = job_id_of(first.stdout)
    assert job_id_of(second.stdout) == job_id
    assert "(already submitted)" in second.stdout
    daemon.wait_for_state(job_id, {"SUCCEEDED"})
    assert [p.name for p in (daemon.data_dir / "jobs").iterdir()] == [job_id]


def test_daemon_killed_while_a_job_runs_records_its_end_after_restart(daemon: Daemon) -> None:
    submitted = daemon.cli("submit", "--file", JAR, "--class", "io.sparkd.examples.Sleep", "--", "15")
    job_id = job_id_of(submitted.stdout)
    daemon.wait_for_state(job_id, {"RUNNING"})
    daemon.stop(signal.SIGKILL)
    pid = job_pid(daemon.data_dir / "jobs" / job_id)
    assert pid and process_group_alive(pid), "the Spark job must outlive the daemon"

    daemon.start()
    job = daemon.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
    assert job["state"] == "SUCCEEDED", job["state_message"]
    states = [e["to"] for e in job["events"]]
    assert states[-3:] == ["UNKNOWN", "RUNNING", "SUCCEEDED"]
    assert "Slept 15 seconds" in (daemon.data_dir / "jobs" / job_id / "driver.log").read_text()


def test_job_that_died_while_the_daemon_was_down_is_failed_as_lost(daemon: Daemon) -> None:
    submitted = daemon.cli("submit", "--file", JAR, "--class", "io.sparkd.examples.Sleep", "--", "600")
    job_id = job_id_of(submitted.stdout)
    daemon.wait_for_state(job_id, {"RUNNING"})
    daemon.stop(signal.SIGKILL)
    pid = job_pid(daemon.data_dir / "jobs" / job_id)
    os.killpg(pid, signal.SIGKILL)
    wait_until(lambda: not process_group_alive(pid), 30, "the killed job to exit")

    daemon.start()
    job = daemon.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
    assert job["state"] == "FAILED"
    assert "ended without recording an exit status" in job["state_message"]


def test_executor_jvm_oom_is_recorded_per_executor(daemon: Daemon) -> None:
    result = daemon.cli("run", "--quiet", "--local-cluster", "--num-executors", "2", "--executor-memory", "512m",
                        "--file", JAR, "--class", "io.sparkd.examples.ExecutorOom")
    assert result.returncode == 1
    job = daemon.job(job_id_of(result.stderr))
    assert job["state"] == "FAILED"
    oom = [x for x in job["executors"] if x.get("exit_code") == 52]
    assert len(oom) >= 2, json.dumps(job["executors"], indent=1)
    for executor in oom:
        assert executor["reason"] == "JVM_OOM"
        assert "52" in executor["evidence"]
        assert "spark.executor.memory" in executor["advice"]
        assert executor["host"] == "127.0.0.1"
    assert job["report"]["first_fatal_reason"] == "JVM_OOM"
    first_row = result.stderr.split("executors:")[1].splitlines()[2]  # after the header line
    assert "JVM_OOM" in first_row  # OOM first in the table
