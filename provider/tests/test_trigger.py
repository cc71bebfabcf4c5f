"""SparkdJobTrigger: serialisation, WatchJob-driven completion, cancellation rules."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from conftest import CONN_ID
from fake_sparkd import FakeSparkd

from sparkd_provider import _requests as rq
from sparkd_provider._proto import jobs_pb2
from sparkd_provider.hooks.sparkd import SparkdHook
from sparkd_provider.triggers.sparkd import SparkdJobTrigger

pytestmark = pytest.mark.asyncio


def _submit(sparkd: FakeSparkd) -> str:
    job, _ = SparkdHook(sparkd_conn_id=CONN_ID).submit_job(rq.job_request(file="pi.py"), "k")
    return job.id


async def test_serialize_round_trip() -> None:
    trigger = SparkdJobTrigger(job_id="job-7", sparkd_conn_id=CONN_ID, poll_interval=3.0)
    classpath, kwargs = trigger.serialize()
    assert (classpath, kwargs) == (
        "sparkd_provider.triggers.sparkd.SparkdJobTrigger",
        {"job_id": "job-7", "sparkd_conn_id": CONN_ID, "poll_interval": 3.0},
    )
    assert SparkdJobTrigger(**kwargs).serialize() == (classpath, kwargs)


async def test_fires_once_with_the_final_job_from_watch(sparkd: FakeSparkd) -> None:
    job_id = _submit(sparkd)
    events = SparkdJobTrigger(job_id=job_id, sparkd_conn_id=CONN_ID, poll_interval=60).run()
    first_event = asyncio.ensure_future(events.__anext__())
    await asyncio.to_thread(sparkd.wait_for_call, "WatchJob")
    sparkd.set_state(job_id, jobs_pb2.JOB_STATE_RUNNING)
    sparkd.set_state(job_id, jobs_pb2.JOB_STATE_SUCCEEDED, spark_app_id="local-42")
    event = await asyncio.wait_for(first_event, timeout=10)
    assert event.payload["status"] == "final"
    job = rq.job_from_payload(event.payload["job"])
    assert (job.id, job.state, job.spark_app_id) == (
        job_id,
        jobs_pb2.JOB_STATE_SUCCEEDED,
        "local-42",
    )
    assert sparkd.calls.count("WatchJob") == 1
    await events.aclose()


async def test_unknown_job_yields_a_fatal_error_event(sparkd: FakeSparkd) -> None:
    events = SparkdJobTrigger(job_id="job-404", sparkd_conn_id=CONN_ID).run()
    event = await asyncio.wait_for(events.__anext__(), timeout=10)
    assert event.payload == {
        "status": "error",
        "code": "NOT_FOUND",
        "message": "sparkd NOT_FOUND: job job-404 not found",
        "fatal": True,
    }


@dataclass
class _TI:
    dag_id: str = "example"
    task_id: str = "spark"
    run_id: str = "run-1"
    map_index: int = -1


async def _cancel_while_watching(
    sparkd: FakeSparkd,
    monkeypatch: pytest.MonkeyPatch,
    task_state: str | None,
    xcom_job_id: str | None = None,
) -> str:
    """Cancels a watching trigger as the triggerer does, with the task in `task_state` and its
    XCom `sparkd_job_id` naming `xcom_job_id` (None: the trigger's own job)."""
    task_runner = pytest.importorskip(
        "airflow.sdk.execution_time.task_runner",
        reason="Airflow 2.10 reads the task state from its database, not through the task SDK",
    )
    RuntimeTaskInstance = task_runner.RuntimeTaskInstance

    def get_task_states(**kwargs: object) -> dict[str, dict[str, str | None]]:
        assert kwargs["task_ids"] == ["spark"]
        assert kwargs["run_ids"] == ["run-1"]
        return {"run-1": {"spark": task_state}}

    monkeypatch.setattr(RuntimeTaskInstance, "get_task_states", staticmethod(get_task_states))
    job_id = _submit(sparkd)
    monkeypatch.setattr(
        "sparkd_provider.triggers.sparkd._task_job_id", lambda *where: xcom_job_id or job_id
    )
    trigger = SparkdJobTrigger(job_id=job_id, sparkd_conn_id=CONN_ID)
    trigger.task_instance = _TI()
    running = asyncio.ensure_future(trigger.run().__anext__())
    await asyncio.to_thread(sparkd.wait_for_call, "WatchJob")
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    return job_id


async def test_triggerer_restart_leaves_a_healthy_job_running(
    sparkd: FakeSparkd, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await _cancel_while_watching(sparkd, monkeypatch, "deferred")
    assert "CancelJob" not in sparkd.calls
    assert sparkd.jobs[job_id].state == jobs_pb2.JOB_STATE_QUEUED


async def test_task_marked_failed_while_deferred_cancels_the_job(
    sparkd: FakeSparkd, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await _cancel_while_watching(sparkd, monkeypatch, "failed")
    assert sparkd.jobs[job_id].state == jobs_pb2.JOB_STATE_CANCELLED
    assert sparkd.cancel_reasons == {job_id: "Airflow task stopped while deferred"}


async def test_task_cleared_while_deferred_cancels_the_job(
    sparkd: FakeSparkd, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cleared: the task instance has no state until the scheduler picks it up again.
    job_id = await _cancel_while_watching(sparkd, monkeypatch, None)
    assert sparkd.jobs[job_id].state == jobs_pb2.JOB_STATE_CANCELLED


async def test_task_deferred_on_another_job_cancels_this_one(
    sparkd: FakeSparkd, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cleared, and the next try deferred on the job it submitted before this trigger was stopped.
    job_id = await _cancel_while_watching(sparkd, monkeypatch, "deferred", xcom_job_id="job-99")
    assert sparkd.jobs[job_id].state == jobs_pb2.JOB_STATE_CANCELLED
