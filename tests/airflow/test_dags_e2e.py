"""`airflow dags test` of dags_examples/ against a real sparkd daemon running real Spark.

Needs SPARKD_GRPC_ADDR (host:port) and SPARKD_HTTP_URL of a running daemon on the local backend,
plus SPARKD_TOKEN when the daemon checks tokens; the example jar is looked up as the DAGs do
(SPARKD_EXAMPLES_JAR). `airflow dags test` runs a deferred task's trigger inline, in-process,
then resumes the task, so the whole deferrable path runs in one command; its task logs go to
its own output, which is what these tests read.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Callable

import grpc
import pytest
from conftest import AIRFLOW, DAEMON_TOKEN, GRPC_ADDR, HTTP_URL, airflow_env, needs_daemon
from sparkd_provider._proto import jobs_pb2, jobs_pb2_grpc

pytestmark = needs_daemon
DAG_TIMEOUT = 600


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return airflow_env(tmp_path_factory.mktemp("airflow_e2e"), GRPC_ADDR, HTTP_URL, DAEMON_TOKEN)


def _dags_test(
    env: dict[str, str], dag_id: str, logical_date: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AIRFLOW, "dags", "test", dag_id, logical_date],
        env=env,
        capture_output=True,
        text=True,
        timeout=DAG_TIMEOUT,
    )


def _stub() -> jobs_pb2_grpc.JobServiceStub:
    return jobs_pb2_grpc.JobServiceStub(grpc.insecure_channel(GRPC_ADDR))


def _jobs(key_prefix: str) -> list[jobs_pb2.JobSummary]:
    metadata = (("authorization", f"Bearer {DAEMON_TOKEN}"),) if DAEMON_TOKEN else ()
    reply = _stub().ListJobs(jobs_pb2.ListJobsRequest(page_size=500), timeout=30, metadata=metadata)
    return [job for job in reply.jobs if job.idempotency_key.startswith(key_prefix)]


def _wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout}s")
        time.sleep(0.5)


def test_pyspark_dag_succeeds_with_report_and_links(env: dict[str, str]) -> None:
    run = _dags_test(env, "sparkd_pyspark_pi", "2026-01-01T00:00:00+00:00")
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-5000:]
    # Deferred with no deferrable option set anywhere (Airflow ships [operators] False).
    assert "Pausing task as DEFERRED" in log
    assert "[DAG TEST] running trigger in line" in log
    assert "Final report" in log
    assert "SUCCEEDED" in log
    assert "Pi is roughly" in log
    assert f"{HTTP_URL.rstrip('/')}/jobs/" in log


def test_failing_dag_reports_and_fails(env: dict[str, str]) -> None:
    run = _dags_test(env, "sparkd_failing", "2026-01-01T00:00:00+00:00")
    log = run.stdout + run.stderr
    assert run.returncode != 0, log[-5000:]
    assert "Final report" in log
    assert "AirflowException: Spark job failed: " in log
    assert "new_state=failed" in log
    assert _jobs("sparkd_failing/fail/")[0].state == jobs_pb2.JOB_STATE_FAILED


def test_second_run_of_the_same_task_reattaches(env: dict[str, str]) -> None:
    first = _dags_test(env, "sparkd_pyspark_pi", "2026-01-02T00:00:00+00:00")
    assert first.returncode == 0, (first.stdout + first.stderr)[-5000:]
    key = re.search(r"idempotency key (sparkd_pyspark_pi/pi/(\S+)/-1)", first.stdout + first.stderr)
    assert key, "the task log names the idempotency key"
    # `dags test` makes a new run id each time; `tasks test` re-runs the task in the same run.
    again = subprocess.run(
        [AIRFLOW, "tasks", "test", "sparkd_pyspark_pi", "pi", key[2]],
        env=env,
        capture_output=True,
        text=True,
        timeout=DAG_TIMEOUT,
    )
    assert again.returncode == 0, (again.stdout + again.stderr)[-5000:]
    assert "Reattached to (SUCCEEDED) sparkd job" in again.stdout + again.stderr
    assert [job.idempotency_key for job in _jobs(key[1])] == [key[1]]


def test_killed_task_cancels_its_job(env: dict[str, str]) -> None:
    # Polling mode, by the provider's setting: the task itself waits, so the kill reaches the
    # operator's on_kill.
    polling = {**env, "AIRFLOW__SPARKD__DEFAULT_DEFERRABLE": "False"}
    task = subprocess.Popen(
        [AIRFLOW, "dags", "test", "sparkd_sleep", "2026-01-01T00:00:00+00:00"],
        env=polling,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(
            lambda: any(
                j.state == jobs_pb2.JOB_STATE_RUNNING for j in _jobs("sparkd_sleep/sleep/")
            ),
            "the sleep job to run",
            timeout=300,
        )
        task.send_signal(signal.SIGTERM)
        task.wait(timeout=120)
        _wait_for(
            lambda: all(
                j.state == jobs_pb2.JOB_STATE_CANCELLED for j in _jobs("sparkd_sleep/sleep/")
            ),
            "the job to be cancelled",
            timeout=120,
        )
        assert "DEFERRED" not in (task.stdout.read() if task.stdout else "")
    finally:
        if task.poll() is None:
            task.kill()
