"""Clear vs retry with Airflow's own scheduler, triggerer, DAG processor and API server
(LocalExecutor) against a real daemon: clearing a deferred task cancels its job and the next try
starts a new one; a retry after the task's process is killed reattaches to the same job.

`airflow dags test` cannot show either: it runs one try, without a triggerer to stop a trigger
or a scheduler to retry. The components run from a throwaway AIRFLOW_HOME on free loopback ports
and are stopped at the end; task states are read from the metadata database.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from conftest import AIRFLOW, DAEMON_TOKEN, GRPC_ADDR, HTTP_URL, airflow_env, needs_daemon
from sparkd_provider._proto import jobs_pb2, jobs_pb2_grpc

pytestmark = needs_daemon
JAR = os.environ.get(
    "SPARKD_EXAMPLES_JAR", str(Path(__file__).resolve().parents[2] / "build" / "examples" / "sparkd-examples.jar")
)
# Long jobs: one deferred and one polling (both cleared), one polling whose task process is killed
# (retried); that one writes its pid, so the test can kill exactly that process.
DAGS = f"""
import os
from datetime import datetime, timedelta
from pathlib import Path
from airflow.sdk import DAG
from sparkd_provider.operators.sparkd import SparkK8sJobOperator

class PidSparkJob(SparkK8sJobOperator):
    def execute(self, context):
        Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
        return super().execute(context)

with DAG(dag_id="clear_me", schedule=None, start_date=datetime(2026, 1, 1)):
    SparkK8sJobOperator(task_id="sleep", file={JAR!r}, class_name="io.sparkd.examples.Sleep", args=["600"])

with DAG(dag_id="clear_polling", schedule=None, start_date=datetime(2026, 1, 1)):
    SparkK8sJobOperator(task_id="sleep", file={JAR!r}, class_name="io.sparkd.examples.Sleep", args=["600"],
                        deferrable=False, poll_interval=1)

with DAG(dag_id="crash_me", schedule=None, start_date=datetime(2026, 1, 1)):
    PidSparkJob(task_id="sleep", file={JAR!r}, class_name="io.sparkd.examples.Sleep", args=["600"],
                deferrable=False, poll_interval=1, retries=1, retry_delay=timedelta(seconds=1))
"""
TIMEOUT = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(condition: Callable[[], object], what: str, timeout: float = TIMEOUT) -> object:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout}s")
        time.sleep(0.5)
    return value


def _jobs(key_prefix: str) -> list[jobs_pb2.JobSummary]:
    metadata = (("authorization", f"Bearer {DAEMON_TOKEN}"),) if DAEMON_TOKEN else ()
    stub = jobs_pb2_grpc.JobServiceStub(grpc.insecure_channel(GRPC_ADDR))
    reply = stub.ListJobs(jobs_pb2.ListJobsRequest(page_size=500), timeout=30, metadata=metadata)
    return sorted((j for j in reply.jobs if j.idempotency_key.startswith(key_prefix)), key=lambda j: j.idempotency_key)


def _stop(dag_id: str, key_prefix: str, airflow: Airflow) -> None:
    """No further tries, and no 10-minute jobs left running for the tests after this one."""
    airflow.cli("dags", "pause", dag_id)
    metadata = (("authorization", f"Bearer {DAEMON_TOKEN}"),) if DAEMON_TOKEN else ()
    stub = jobs_pb2_grpc.JobServiceStub(grpc.insecure_channel(GRPC_ADDR))
    for job in _jobs(key_prefix):
        if job.state not in (jobs_pb2.JOB_STATE_SUCCEEDED, jobs_pb2.JOB_STATE_FAILED, jobs_pb2.JOB_STATE_CANCELLED):
            stub.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.id, reason="test over"), timeout=30, metadata=metadata)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


class Airflow:
    def __init__(self, home: Path) -> None:
        self.home = home
        (home / "dags").mkdir()
        (home / "dags" / "clear_and_retry.py").write_text(DAGS)
        port = _free_port()
        self.pid_file = home / "task.pid"
        self.env = {
            **airflow_env(home, GRPC_ADDR, HTTP_URL, DAEMON_TOKEN),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "PID_FILE": str(self.pid_file),
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for component in (["api-server", "--workers", "1"], ["scheduler"], ["dag-processor"], ["triggerer"]):
            log = (self.home / f"{component[0]}.log").open("wb")
            # A session of its own: stop() ends the component with its workers and log servers.
            self.processes.append(
                subprocess.Popen(
                    [AIRFLOW, *component], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )

    def stop(self) -> None:
        for process in self.processes:
            _signal_group(process, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        for process in self.processes:  # what a component left behind (a task's worker)
            _signal_group(process, signal.SIGKILL)

    def cli(self, *args: str) -> str:
        run = subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=TIMEOUT)
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout

    def trigger(self, dag_id: str) -> str:
        run_id = f"manual__{dag_id}_{secrets.token_hex(4)}"
        # The DAG processor must have stored the DAG first.
        _wait_for(
            lambda: (
                subprocess.run(
                    [AIRFLOW, "dags", "trigger", dag_id, "--run-id", run_id], env=self.env, capture_output=True
                ).returncode
                == 0
            ),
            f"{dag_id} to be triggered",
        )
        return run_id

    def ti(self, dag_id: str, run_id: str) -> tuple[str | None, int]:
        with sqlite3.connect(self.home / "airflow.db") as db:
            row = db.execute(
                "SELECT state, try_number FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = 'sleep'",
                (dag_id, run_id),
            ).fetchone()
        return (row[0], row[1]) if row else (None, 0)

    def logs(self) -> str:
        return "\n".join(
            f"== {p.name}\n" + p.read_text(errors="replace")[-3000:] for p in sorted(self.home.glob("*.log"))
        )


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow]:
    instance = Airflow(tmp_path_factory.mktemp("airflow_scheduler"))
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def test_clearing_a_deferred_task_cancels_its_job_and_the_next_try_starts_a_new_one(airflow: Airflow) -> None:
    run_id = airflow.trigger("clear_me")
    base = f"clear_me/sleep/{run_id}/-1"
    try:
        _wait_for(lambda: airflow.ti("clear_me", run_id)[0] == "deferred", "the task to defer")
        _wait_for(lambda: [j.state for j in _jobs(base)] == [jobs_pb2.JOB_STATE_RUNNING], "the first job to run")
        airflow.cli("tasks", "clear", "clear_me", "--yes")
        _wait_for(lambda: len(_jobs(base)) == 2, "a second job")
        first, second = _jobs(base)
        assert (first.idempotency_key, second.idempotency_key) == (base, f"{base}/try-2")
        _wait_for(lambda: _jobs(base)[0].state == jobs_pb2.JOB_STATE_CANCELLED, "the cleared try's job to be cancelled")
        assert "Airflow task stopped while deferred" in _jobs(base)[0].state_message
        _wait_for(lambda: airflow.ti("clear_me", run_id) == ("deferred", 2), "try 2 to defer")
        assert _jobs(base)[1].state in (jobs_pb2.JOB_STATE_SUBMITTED, jobs_pb2.JOB_STATE_RUNNING)
    except (AssertionError, TimeoutError) as error:
        raise AssertionError(f"{error}\n{airflow.logs()}") from error
    finally:
        _stop("clear_me", base, airflow)


def test_retry_after_the_task_process_is_killed_reattaches_to_the_same_job(airflow: Airflow) -> None:
    run_id = airflow.trigger("crash_me")
    base = f"crash_me/sleep/{run_id}/-1"
    try:
        _wait_for(lambda: [j.state for j in _jobs(base)] == [jobs_pb2.JOB_STATE_RUNNING], "the job to run")
        _wait_for(lambda: airflow.ti("crash_me", run_id) == ("running", 1), "try 1 to poll")
        first_pid = int(airflow.pid_file.read_text())
        os.kill(first_pid, signal.SIGKILL)  # no on_kill: the job is left running, as after a crash
        _wait_for(lambda: airflow.ti("crash_me", run_id) == ("running", 2), "try 2 to run")
        _wait_for(lambda: int(airflow.pid_file.read_text()) != first_pid, "try 2 to start")
        log = airflow.home / "logs" / "dag_id=crash_me" / f"run_id={run_id}" / "task_id=sleep" / "attempt=2.log"
        _wait_for(lambda: log.exists() and "Reattached to (RUNNING) sparkd job" in log.read_text(), "try 2 to attach")
        jobs = _jobs(base)
        assert [(j.idempotency_key, j.state) for j in jobs] == [(base, jobs_pb2.JOB_STATE_RUNNING)]
    except (AssertionError, TimeoutError) as error:
        raise AssertionError(f"{error}\n{airflow.logs()}") from error
    finally:
        _stop("crash_me", base, airflow)


def test_clearing_a_polling_task_kills_it_whose_on_kill_cancels_the_job(airflow: Airflow) -> None:
    run_id = airflow.trigger("clear_polling")
    base = f"clear_polling/sleep/{run_id}/-1"
    try:
        _wait_for(lambda: [j.state for j in _jobs(base)] == [jobs_pb2.JOB_STATE_RUNNING], "the job to run")
        _wait_for(lambda: airflow.ti("clear_polling", run_id) == ("running", 1), "try 1 to poll")
        airflow.cli("tasks", "clear", "clear_polling", "--yes")
        _wait_for(lambda: _jobs(base)[0].state == jobs_pb2.JOB_STATE_CANCELLED, "try 1's job to be cancelled")
        assert "Airflow task killed" in _jobs(base)[0].state_message
        _wait_for(lambda: len(_jobs(base)) == 2, "a second job")
        assert [j.idempotency_key for j in _jobs(base)] == [base, f"{base}/try-2"]
    except (AssertionError, TimeoutError) as error:
        raise AssertionError(f"{error}\n{airflow.logs()}") from error
    finally:
        _stop("clear_polling", base, airflow)
