"""SparkK8sJobOperator against the in-process server: keys, reattach, links, errors, kill."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc
import pytest
from airflow.exceptions import AirflowException, AirflowFailException, TaskDeferred
from conftest import CONN_ID, HTTP_BASE, RecordingTI
from fake_sparkd import FakeSparkd

from sparkd_provider import _requests as rq
from sparkd_provider._proto import exit_reason_pb2 as er
from sparkd_provider._proto import jobs_pb2
from sparkd_provider.operators.sparkd import SparkK8sJobOperator, sparkK8sJob
from sparkd_provider.triggers.sparkd import SparkdJobTrigger

RUNNING = jobs_pb2.JOB_STATE_RUNNING
BASE_KEY = "example/spark/manual__2026-11-21T10:00:00+00:00/-1"


def _task_log(capfd: pytest.CaptureFixture[str]) -> str:
    captured = capfd.readouterr()
    return captured.out + captured.err


def _operator(**kwargs: object) -> SparkK8sJobOperator:
    options = {"deferrable": False, "poll_interval": 0.05, "sparkd_conn_id": CONN_ID, **kwargs}
    return sparkK8sJob(task_id="spark", file="local:///jobs/pi.py", args=["10"], **options)


@pytest.fixture
def finisher(sparkd: FakeSparkd) -> Iterator[None]:
    """Ends job-1 successfully once the operator starts waiting on it."""

    def finish() -> None:
        sparkd.wait_for_call("GetJob")
        sparkd.set_state("job-1", jobs_pb2.JOB_STATE_SUCCEEDED, spark_app_id="local-1")

    thread = threading.Thread(target=finish)
    thread.start()
    yield
    thread.join(timeout=10)


@pytest.mark.usefixtures("finisher")
def test_polling_run_pushes_id_and_links_before_waiting(
    sparkd: FakeSparkd, ti: RecordingTI, capfd: pytest.CaptureFixture[str]
) -> None:
    assert _operator().execute({"ti": ti}) == "job-1"
    assert ti.xcoms[rq.JOB_ID_XCOM_KEY] == "job-1"
    assert ti.xcoms[rq.JOB_PAGE.xcom_key] == "http://sparkd.test/jobs/job-1"
    assert ti.xcoms[rq.SPARK_UI.xcom_key] == f"{HTTP_BASE}/jobs/job-1/ui"
    assert ti.xcoms[rq.DRIVER_LOGS.xcom_key] == f"{HTTP_BASE}/jobs/job-1/logs"
    assert ti.xcoms[rq.DASHBOARD.xcom_key] == "https://grafana.test/d/spark?app=local-1&job=job-1"
    assert len(ti.calls_at_push) == 5
    assert all(calls == ["SubmitJob"] for calls in ti.calls_at_push.values())
    assert sparkd.by_key == {BASE_KEY: "job-1"}
    assert "sparkd job job-1 SUCCEEDED" in _task_log(capfd)


def test_deferrable_run_pushes_links_then_defers_with_a_minimal_trigger(
    sparkd: FakeSparkd, ti: RecordingTI
) -> None:
    with pytest.raises(TaskDeferred) as deferred:
        _operator(deferrable=True, poll_interval=7.0).execute({"ti": ti})
    assert set(ti.xcoms) == {rq.JOB_ID_XCOM_KEY, *(link.xcom_key for link in rq.ALL_LINKS)}
    assert ti.xcoms[rq.SPARK_UI.xcom_key] == f"{HTTP_BASE}/jobs/job-1/ui"
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.trigger.serialize() == (
        "sparkd_provider.triggers.sparkd.SparkdJobTrigger",
        {"job_id": "job-1", "sparkd_conn_id": CONN_ID, "poll_interval": 7.0},
    )
    assert sparkd.calls == ["SubmitJob"]


def test_retry_reattaches_to_the_running_job(sparkd: FakeSparkd, ti: RecordingTI) -> None:
    with pytest.raises(TaskDeferred):
        _operator(deferrable=True).execute({"ti": ti})
    sparkd.set_state("job-1", RUNNING)
    ti.try_number = 2
    with pytest.raises(TaskDeferred) as deferred:
        _operator(deferrable=True).execute({"ti": ti})
    assert isinstance(deferred.value.trigger, SparkdJobTrigger)
    assert deferred.value.trigger.job_id == "job-1"
    assert list(sparkd.jobs) == ["job-1"]


def test_retry_after_a_failed_job_starts_one_new_job_and_a_crash_reattaches_to_it(
    sparkd: FakeSparkd, ti: RecordingTI
) -> None:
    with pytest.raises(TaskDeferred):
        _operator(deferrable=True).execute({"ti": ti})
    sparkd.set_state("job-1", jobs_pb2.JOB_STATE_FAILED)
    ti.try_number = 2
    with pytest.raises(TaskDeferred):
        _operator(deferrable=True).execute({"ti": ti})
    ti.try_number = 3  # try 2's worker died; its job still runs
    with pytest.raises(TaskDeferred) as deferred:
        _operator(deferrable=True).execute({"ti": ti})
    assert deferred.value.trigger.job_id == "job-2"
    assert sparkd.by_key == {BASE_KEY: "job-1", f"{BASE_KEY}/try-2": "job-2"}


def test_retry_of_a_succeeded_job_returns_without_a_new_run(
    sparkd: FakeSparkd, ti: RecordingTI
) -> None:
    with pytest.raises(TaskDeferred):
        _operator(deferrable=True).execute({"ti": ti})
    sparkd.set_state("job-1", jobs_pb2.JOB_STATE_SUCCEEDED)
    ti.try_number = 2
    assert _operator(deferrable=True).execute({"ti": ti}) == "job-1"
    assert list(sparkd.jobs) == ["job-1"]


def test_fresh_policy_starts_a_job_per_try(sparkd: FakeSparkd, ti: RecordingTI) -> None:
    with pytest.raises(TaskDeferred):
        _operator(deferrable=True, reattach_policy="fresh").execute({"ti": ti})
    sparkd.set_state("job-1", RUNNING)
    ti.try_number = 2
    with pytest.raises(TaskDeferred) as deferred:
        _operator(deferrable=True, reattach_policy="fresh").execute({"ti": ti})
    assert deferred.value.trigger.job_id == "job-2"
    assert sorted(sparkd.by_key) == [f"{BASE_KEY}/try-1", f"{BASE_KEY}/try-2"]


def test_on_kill_cancels_the_job(sparkd: FakeSparkd, ti: RecordingTI) -> None:
    operator = _operator(deferrable=True)
    with pytest.raises(TaskDeferred):
        operator.execute({"ti": ti})
    operator.on_kill()
    assert sparkd.jobs["job-1"].state == jobs_pb2.JOB_STATE_CANCELLED
    assert sparkd.cancel_reasons == {"job-1": "Airflow task killed"}


def test_permission_denied_fails_without_retry(sparkd: FakeSparkd, ti: RecordingTI) -> None:
    sparkd.fail_next("SubmitJob", grpc.StatusCode.PERMISSION_DENIED)
    with pytest.raises(AirflowFailException, match=r"^sparkd PERMISSION_DENIED"):
        _operator().execute({"ti": ti})


def test_unavailable_daemon_is_retryable(sparkd: FakeSparkd, ti: RecordingTI) -> None:
    sparkd.fail_next("SubmitJob", *[grpc.StatusCode.UNAVAILABLE] * 3)
    with pytest.raises(AirflowException) as caught:
        _operator().execute({"ti": ti})
    assert not isinstance(caught.value, AirflowFailException)


def test_failed_job_raises_with_the_cause_first(
    sparkd: FakeSparkd, ti: RecordingTI, capfd: pytest.CaptureFixture[str]
) -> None:
    operator = _operator(deferrable=True)
    with pytest.raises(TaskDeferred):
        operator.execute({"ti": ti})
    oom = jobs_pb2.Executor(
        reason=er.EXIT_REASON_OOM_KILLED, evidence="OOMKilled", advice="raise overhead"
    )
    sparkd.set_state(
        "job-1",
        jobs_pb2.JOB_STATE_FAILED,
        executors=[oom, oom, oom],
        report=jobs_pb2.JobReport(driver_log_tail=["java.lang.Exception: boom"]),
    )
    event = {"status": "final", "job": rq.job_to_payload(sparkd.jobs["job-1"])}
    with pytest.raises(AirflowException) as caught:
        operator.execute_complete({"ti": ti}, event)
    assert not isinstance(caught.value, AirflowFailException)
    assert (
        str(caught.value).splitlines()[0]
        == "Spark job failed: 3 executors OOM_KILLED; raise overhead"
    )
    log = _task_log(capfd)
    assert "OOM_KILLED  3" in log
    assert "| java.lang.Exception: boom" in log


def test_fatal_error_event_from_the_trigger_is_not_retried(
    sparkd: FakeSparkd, ti: RecordingTI
) -> None:
    event = {
        "status": "error",
        "code": "NOT_FOUND",
        "message": "sparkd NOT_FOUND: job-9",
        "fatal": True,
    }
    with pytest.raises(AirflowFailException, match="NOT_FOUND"):
        _operator().execute_complete({"ti": ti}, event)


def test_templated_fields() -> None:
    assert set(SparkK8sJobOperator.template_fields) == {"args", "conf", "file", "name"}


@pytest.fixture
def airflow_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Airflow's configuration as shipped: no deferrable option set anywhere."""
    monkeypatch.delenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", raising=False)
    monkeypatch.delenv("AIRFLOW__SPARKD__DEFAULT_DEFERRABLE", raising=False)


@pytest.mark.usefixtures("airflow_defaults")
def test_defers_by_default_although_airflow_ships_default_deferrable_false(
    sparkd: FakeSparkd, ti: RecordingTI
) -> None:
    from airflow.configuration import conf

    # What makes this test mean something: following Airflow's option would poll.
    assert conf.getboolean("operators", "default_deferrable") is False
    operator = sparkK8sJob(task_id="spark", file="local:///jobs/pi.py", sparkd_conn_id=CONN_ID)
    assert operator.deferrable is True
    with pytest.raises(TaskDeferred):
        operator.execute({"ti": ti})
    assert sparkd.calls == ["SubmitJob"]


@pytest.mark.usefixtures("airflow_defaults")
@pytest.mark.parametrize(
    ("setting", "argument", "expected"),
    [
        ("False", None, False),  # the provider-level setting turns deferral off ...
        ("False", True, True),  # ... unless the task asks for it
        ("True", False, False),
        (None, False, False),
    ],
)
def test_provider_setting_and_argument_decide_deferral(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, argument: bool | None, expected: bool
) -> None:
    if setting is not None:
        monkeypatch.setenv("AIRFLOW__SPARKD__DEFAULT_DEFERRABLE", setting)
    options = {} if argument is None else {"deferrable": argument}
    assert sparkK8sJob(task_id="t", file="pi.py", **options).deferrable is expected


@pytest.mark.usefixtures("airflow_defaults")
def test_airflow_operators_default_deferrable_is_not_what_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")
    assert sparkK8sJob(task_id="t", file="pi.py").deferrable is True


@pytest.mark.usefixtures("airflow_defaults")
def test_dag_default_args_can_turn_deferral_off() -> None:
    from airflow.sdk import DAG

    with DAG(dag_id="d", schedule=None, default_args={"deferrable": False}):
        assert sparkK8sJob(task_id="t", file="pi.py").deferrable is False


@pytest.mark.usefixtures("airflow_defaults")
def test_a_setting_that_is_not_a_boolean_names_the_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.exceptions import AirflowConfigException

    monkeypatch.setenv("AIRFLOW__SPARKD__DEFAULT_DEFERRABLE", "sometimes")
    with pytest.raises(AirflowConfigException, match=r'"default_deferrable" key in "sparkd"'):
        sparkK8sJob(task_id="t", file="pi.py")


def test_try_after_a_clear_starts_a_new_job_and_its_retry_reattaches_to_that(
    sparkd: FakeSparkd, ti: RecordingTI
) -> None:
    ti.max_tries = 1  # a task with retries=1: Airflow's max_tries until a clear
    with pytest.raises(TaskDeferred):
        _operator(deferrable=True, retries=1).execute({"ti": ti})
    sparkd.set_state("job-1", RUNNING)  # the cleared try's trigger has not cancelled it yet
    # Airflow's clear: the next try is 2 and max_tries becomes try_number + retries = 1 + 1.
    ti.try_number, ti.max_tries = 2, 2
    with pytest.raises(TaskDeferred) as deferred:
        _operator(deferrable=True, retries=1).execute({"ti": ti})
    assert deferred.value.trigger.job_id == "job-2"
    # Try 2's worker dies; Airflow retries (max_tries left alone) and finds try 2's job.
    ti.try_number = 3
    with pytest.raises(TaskDeferred) as deferred:
        _operator(deferrable=True, retries=1).execute({"ti": ti})
    assert deferred.value.trigger.job_id == "job-2"
    assert sparkd.by_key == {BASE_KEY: "job-1", f"{BASE_KEY}/try-2": "job-2"}
