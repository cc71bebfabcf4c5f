"""The pure module: keys, links, the report and the one-line cause."""

from __future__ import annotations

import pytest

from sparkd_provider import _requests as rq
from sparkd_provider._proto import exit_reason_pb2 as er
from sparkd_provider._proto import jobs_pb2

BASE = "dag/task/run/-1"


def test_reattach_chain_revisits_every_earlier_try() -> None:
    assert rq.key_chain(BASE, try_number=1, policy=rq.ReattachPolicy.REATTACH) == [BASE]
    assert rq.key_chain(BASE, try_number=3, policy=rq.ReattachPolicy.REATTACH) == [
        BASE,
        f"{BASE}/try-2",
        f"{BASE}/try-3",
    ]


def test_reattach_chain_leaves_out_the_tries_before_the_last_clear() -> None:
    # Cleared during try 3 (of a task with 2 retries): the next try is 4 and starts afresh ...
    first = rq.first_try_since_clear(try_number=4, max_tries=3 + 2, retries=2)
    assert first == 4
    assert rq.key_chain(BASE, try_number=4, policy=rq.ReattachPolicy.REATTACH, first_try=first) == [
        f"{BASE}/try-4"
    ]
    # ... and a retry of it after a crash reattaches to that one, not to tries 1-3.
    first = rq.first_try_since_clear(try_number=5, max_tries=3 + 2, retries=2)
    assert rq.key_chain(BASE, try_number=5, policy=rq.ReattachPolicy.REATTACH, first_try=first) == [
        f"{BASE}/try-4",
        f"{BASE}/try-5",
    ]


def test_first_try_since_clear_is_1_for_a_task_never_cleared() -> None:
    assert rq.first_try_since_clear(try_number=3, max_tries=2, retries=2) == 1
    assert rq.first_try_since_clear(try_number=1, max_tries=None, retries=0) == 1
    # Retries raised in the DAG since the run started: still the whole chain.
    assert rq.first_try_since_clear(try_number=2, max_tries=1, retries=3) == 1


def test_fresh_policy_uses_one_key_per_try() -> None:
    assert rq.key_chain(BASE, try_number=2, policy=rq.ReattachPolicy("fresh")) == [f"{BASE}/try-2"]


def _failed_job() -> jobs_pb2.Job:
    job = jobs_pb2.Job(
        id="j1",
        state=jobs_pb2.JOB_STATE_FAILED,
        spark_app_id="app-1",
        backend="local",
        state_message="driver exited with code 1",
        executors=[
            jobs_pb2.Executor(executor_id="1", reason=er.EXIT_REASON_APP_ERROR, evidence="exit 1"),
            jobs_pb2.Executor(
                executor_id="2",
                reason=er.EXIT_REASON_OOM_KILLED,
                evidence="terminated.reason: OOMKilled, exit 137",
                advice="raise spark.executor.memoryOverhead",
            ),
            jobs_pb2.Executor(executor_id="3", reason=er.EXIT_REASON_OOM_KILLED),
            jobs_pb2.Executor(executor_id="4", reason=er.EXIT_REASON_OOM_KILLED),
        ],
        report=jobs_pb2.JobReport(driver_log_tail=["ERROR TaskSetManager: Task 0 failed 4 times"]),
    )
    job.started_at.FromSeconds(1_800_000_000)
    job.finished_at.FromSeconds(1_800_000_000 + 252)
    return job


def test_cause_names_oom_before_app_errors() -> None:
    cause = rq.failure_cause(_failed_job())
    assert cause == "Spark job failed: 3 executors OOM_KILLED; raise spark.executor.memoryOverhead"


def test_cause_prefers_the_daemons_own_words() -> None:
    job = _failed_job()
    job.report.first_fatal_cause = (
        "3 executors OOM_KILLED (container memory limit 4.4Gi); raise x\nmore"
    )
    assert rq.failure_cause(job) == (
        "Spark job failed: 3 executors OOM_KILLED (container memory limit 4.4Gi); raise x"
    )


def test_report_lists_reasons_oom_first_with_evidence_and_log_tail() -> None:
    links = {rq.JOB_PAGE: "http://d/jobs/j1", rq.DASHBOARD: ""}
    job = _failed_job()
    job.presets_used.add(team="blue", job_type="platform_default", version=1)
    job.presets_used.add(team="blue", job_type="heavy_shuffle", version=3)
    report = rq.format_report(job, links).splitlines()
    assert report[0] == "sparkd job j1 FAILED after 4m12s"
    assert report[2] == "  presets: platform_default v1, heavy_shuffle v3"
    table = report[report.index("Executors by exit reason:") + 1 :]
    assert table[0].split() == ["REASON", "COUNT", "EVIDENCE", "ADVICE"]
    assert table[1].split()[:2] == ["OOM_KILLED", "3"]
    assert "OOMKilled, exit 137" in table[1]
    assert table[1].endswith("raise spark.executor.memoryOverhead")
    assert table[2].split()[:2] == ["APP_ERROR", "1"]
    assert "  | ERROR TaskSetManager: Task 0 failed 4 times" in report
    assert report[-1] == "Job page: http://d/jobs/j1"


def test_success_report_has_no_cause_but_keeps_the_drivers_last_words() -> None:
    job = _failed_job()
    job.state = jobs_pb2.JOB_STATE_SUCCEEDED
    report = rq.format_report(job)
    assert "cause:" not in report
    assert "  | ERROR TaskSetManager: Task 0 failed 4 times" in report


def test_links_fall_back_to_the_daemons_stable_urls() -> None:
    settings = rq.ConnectionSettings(target="h:1", http_base_url="http://d:8080")
    job = jobs_pb2.Job(id="j9", links=jobs_pb2.JobLinks(spark_ui="http://history/app-9"))
    links = rq.links_for(job, settings)
    assert links[rq.SPARK_UI] == "http://history/app-9"
    assert links[rq.DRIVER_LOGS] == "http://d:8080/jobs/j9/logs"
    assert links[rq.JOB_PAGE] == "http://d:8080/jobs/j9"
    assert links[rq.DASHBOARD] == ""


def test_the_teams_dashboard_from_its_presets_wins_over_the_connections_template() -> None:
    template = "https://grafana/d/x?app={spark_app_id}"
    settings = rq.ConnectionSettings(target="h:1", dashboard_url_template=template)
    job = jobs_pb2.Job(id="j9", spark_app_id="app-9")
    assert rq.links_for(job, settings)[rq.DASHBOARD] == "https://grafana/d/x?app=app-9"
    # The job's presets set links.dashboard: the daemon's signed link to it.
    job.links.dashboard = "http://d:8080/jobs/j9/dashboard?sig=1"
    assert rq.links_for(job, settings)[rq.DASHBOARD] == "http://d:8080/jobs/j9/dashboard?sig=1"


def test_token_never_shows_in_settings_repr() -> None:
    settings = rq.ConnectionSettings.from_connection(
        host="h", port=1, password="s3cret-token", extra='{"tls": "true"}'
    )
    assert settings.tls
    assert settings.metadata() == (("authorization", "Bearer s3cret-token"),)
    assert "s3cret" not in repr(settings)


def test_a_failed_driver_is_named_as_the_driver_not_counted_as_an_executor() -> None:
    job = jobs_pb2.Job(
        id="j2",
        state=jobs_pb2.JOB_STATE_FAILED,
        state_message="driver exited with status 3",
        executors=[
            jobs_pb2.Executor(
                executor_id="driver",
                reason=er.EXIT_REASON_APP_ERROR,
                exit_code=3,
                evidence="driver exited with status 3",
            )
        ],
    )
    report = rq.format_report(job).splitlines()
    assert "Driver: APP_ERROR (exit 3): driver exited with status 3" in report
    assert "Executors: none recorded" in report
    assert "executor" not in rq.failure_cause(job)
def test_secret_env_goes_by_reference_only() -> None:
    request = rq.job_request(file="a.py", secret_env={"API_TOKEN": "creds:token"})
    assert request.secret_env["API_TOKEN"] == jobs_pb2.SecretKeyRef(name="creds", key="token")
    assert not request.env
    assert rq.request_as_dict(request)["secret_env"] == {
        "API_TOKEN": {"name": "creds", "key": "token"}
    }
    for malformed in ("creds", "creds:", ":token", ""):
        with pytest.raises(ValueError, match=r"secret_env\.X"):
            rq.job_request(file="a.py", secret_env={"X": malformed})
