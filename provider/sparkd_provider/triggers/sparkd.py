"""SparkdJobTrigger: waits in the triggerer for a sparkd job to reach a final state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async

from sparkd_provider import _requests as rq
from sparkd_provider._compat import BaseTrigger, TriggerEvent, XCom
from sparkd_provider.hooks.sparkd import SparkdAsyncHook

_DEFERRED = "deferred"


class SparkdJobTrigger(BaseTrigger):
    """Follows one job through WatchJob and fires once with the final job.

    It serialises nothing but the job id, the connection id and the poll interval: everything
    else is read back from the daemon, so a triggerer restart resumes where it was. When the
    trigger is cancelled it cancels the job only if its task instance no longer waits on it:
    cleared (no state, queued or running again, or deferred on the job its next try started)
    or marked failed or success. A triggerer shutting down or handing the trigger to another
    triggerer leaves the task deferred on this job, and the job keeps running; so does a state
    that cannot be read.
    """

    def __init__(self, *, job_id: str, sparkd_conn_id: str, poll_interval: float = 10.0) -> None:
        super().__init__()
        self.job_id = job_id
        self.sparkd_conn_id = sparkd_conn_id
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "sparkd_conn_id": self.sparkd_conn_id,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hook = SparkdAsyncHook(sparkd_conn_id=self.sparkd_conn_id)
        closes_itself = False
        try:
            job = await hook.await_final(self.job_id, self.poll_interval)
            yield TriggerEvent({"status": "final", "job": rq.job_to_payload(job)})
        except rq.SparkdError as error:
            yield TriggerEvent(
                {
                    "status": "error",
                    "code": error.code.name,
                    "message": str(error),
                    "fatal": error.fatal,
                }
            )
        except asyncio.CancelledError:
            # Airflow 3.1's triggerer cancels a trigger again on each of its loops until it has
            # ended. A request to Airflow cut off by such a cancel leaves its reply unread, and
            # the triggerer's next read fails ("Response read out of order"), taking every
            # trigger down: so the clean-up runs shielded, to its end, in a task of its own.
            closes_itself = True
            await asyncio.shield(asyncio.ensure_future(self._after_cancel(hook)))
            raise
        finally:
            if not closes_itself:
                await hook.aclose()

    async def _after_cancel(self, hook: SparkdAsyncHook) -> None:
        try:
            if await self._task_left_deferral():
                self.log.info("Task is no longer deferred: cancelling sparkd job %s", self.job_id)
                await hook.acancel_job(self.job_id, reason="Airflow task stopped while deferred")
        finally:
            await hook.aclose()

    async def _task_left_deferral(self) -> bool:
        """True when the task instance no longer waits on this job: not deferred (cleared, marked
        failed or success, or queued or running as its next try), or deferred on another job (the
        next try after a clear already submitted its own; with Airflow's triggerer that is the
        usual case, since a cleared task is retried within seconds and the trigger cancelled
        later). False when the state cannot be read: cancelling a healthy job is worse."""
        ti = self.task_instance
        if ti is None:
            return False
        where = (ti.dag_id, ti.task_id, ti.run_id, ti.map_index)
        try:
            state = await sync_to_async(_task_state)(*where)
            # None: cleared and not yet scheduled again (or gone with its DAG run).
            if state != _DEFERRED:
                return True
            current = await sync_to_async(_task_job_id)(*where)
        except Exception:
            self.log.warning(
                "Could not read the task's state; leaving sparkd job %s running", self.job_id
            )
            return False
        return current is not None and current != self.job_id


def _task_job_id(dag_id: str, task_id: str, run_id: str, map_index: int) -> str | None:
    """The job the task instance's current try submitted or attached to (its XCom)."""
    value = XCom.get_one(
        key=rq.JOB_ID_XCOM_KEY, dag_id=dag_id, task_id=task_id, run_id=run_id, map_index=map_index
    )
    return None if value is None else str(value)


def _task_state(dag_id: str, task_id: str, run_id: str, map_index: int) -> str | None:
    try:
        from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance
    except ImportError:  # Airflow 2.10: the triggerer reads the metadata database.
        from airflow.models.taskinstance import TaskInstance
        from airflow.utils.session import create_session

        with create_session() as session:
            ti = session.get(
                TaskInstance,
                {"dag_id": dag_id, "task_id": task_id, "run_id": run_id, "map_index": map_index},
            )
            return None if ti is None or ti.state is None else str(ti.state)
    states = RuntimeTaskInstance.get_task_states(
        dag_id=dag_id, task_ids=[task_id], run_ids=[run_id], map_index=map_index
    )
    state = states.get(run_id, {}).get(task_id if map_index < 0 else f"{task_id}_{map_index}")
    return None if state is None else str(state)
