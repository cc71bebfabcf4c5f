"""SparkK8sJobOperator and the `sparkK8sJob(...)` factory DAG authors call."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from sparkd_provider import _requests as rq
from sparkd_provider._compat import AirflowException, AirflowFailException, BaseOperator
from sparkd_provider._compat import conf as airflow_conf
from sparkd_provider.hooks.sparkd import SparkdHook
from sparkd_provider.links import ALL_LINKS
from sparkd_provider.triggers.sparkd import SparkdJobTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

    from sparkd_provider._proto import jobs_pb2

log = logging.getLogger(__name__)


class SparkdSpecError(ValueError):
    """The job's options are invalid; raised while the DAG file is parsed."""


class SparkK8sJobOperator(BaseOperator):
    """Runs one Spark batch job through sparkd and reports what happened to it.

    The job is submitted under the idempotency key `dag_id/task_id/run_id/map_index`, so a
    retry attaches to the job an earlier try started instead of starting a second Spark app
    (`reattach_policy="reattach"`, the default: a failed or cancelled earlier job is not reused)
    or submits a fresh job per try (`reattach_policy="fresh"`, key suffix `/try-N`). A try after
    the task was cleared reattaches to nothing from before the clear: it starts a new job (the
    trigger of the cleared try cancels that try's job). The job id
    and the links go to XCom before the wait. The wait is deferred to the triggerer unless
    `deferrable=False` (or `[sparkd] default_deferrable = False` for every task that does not
    say); then the worker polls. Killing the task cancels the job.
    """

    template_fields: Sequence[str] = ("args", "conf", "file", "name")
    template_fields_renderers: ClassVar[dict[str, str]] = {"conf": "json", "args": "json"}
    operator_extra_links = ALL_LINKS
    ui_color = "#f4a460"

    def __init__(
        self,
        *,
        file: str,
        class_name: str = "",
        job_type: str = "",
        args: Sequence[str] = (),
        name: str = "",
        driver_memory: str = "",
        driver_cores: int | None = None,
        driver_memory_overhead: str = "",
        executor_memory: str = "",
        executor_cores: int | None = None,
        executor_memory_overhead: str = "",
        num_executors: int | None = None,
        dynamic_allocation: bool = False,
        min_executors: int | None = None,
        max_executors: int | None = None,
        initial_executors: int | None = None,
        conf: Mapping[str, Any] | None = None,
        env: Mapping[str, Any] | None = None,
        secret_env: Mapping[str, str] | None = None,
        labels: Mapping[str, Any] | None = None,
        py_files: Sequence[str] = (),
        jars: Sequence[str] = (),
        files: Sequence[str] = (),
        local_mode: str = "",
        sparkd_conn_id: str = SparkdHook.default_conn_name,
        reattach_policy: rq.ReattachPolicy | str = rq.ReattachPolicy.REATTACH,
        deferrable: bool | None = None,
        poll_interval: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.file = file
        self.class_name = class_name
        self.job_type = job_type
        self.args = list(args)
        self.name = name
        self.conf = dict(conf or {})
        self.spark_options: dict[str, Any] = {
            "driver_memory": driver_memory,
            "driver_cores": driver_cores,
            "driver_memory_overhead": driver_memory_overhead,
            "executor_memory": executor_memory,
            "executor_cores": executor_cores,
            "executor_memory_overhead": executor_memory_overhead,
            "num_executors": num_executors,
            "dynamic_allocation": dynamic_allocation,
            "min_executors": min_executors,
            "max_executors": max_executors,
            "initial_executors": initial_executors,
            "env": dict(env or {}),
            "secret_env": dict(secret_env or {}),
            "labels": dict(labels or {}),
            "py_files": list(py_files),
            "jars": list(jars),
            "files": list(files),
            "local_mode": local_mode,
        }
        self.sparkd_conn_id = sparkd_conn_id
        self.reattach_policy = rq.ReattachPolicy(reattach_policy)
        self.deferrable = conf_default_deferrable() if deferrable is None else deferrable
        self.poll_interval = poll_interval
        self.job_id: str | None = None
        self._validate_with_core()

    @cached_property
    def hook(self) -> SparkdHook:
        return SparkdHook(sparkd_conn_id=self.sparkd_conn_id)

    def job_request(self) -> jobs_pb2.JobRequest:
        return rq.job_request(
            file=self.file,
            class_name=self.class_name,
            name=self.name,
            job_type=self.job_type,
            args=self.args,
            conf=self.conf,
            **self.spark_options,
        )

    def _validate_with_core(self) -> None:
        """Fails the DAG import on an invalid spec, using the daemon's own validation code."""
        try:
            from sparkd_provider import _sparkd_core  # type: ignore[attr-defined]
        except ImportError:
            # Only a wheel built with SPARKD_PROVIDER_WITHOUT_CORE=1 lacks it.
            log.debug("sparkd core not built in: %s is not validated at parse time", self.task_id)
            return
        try:
            _sparkd_core.validate_request(rq.request_as_dict(self.job_request()))
        except ValueError as error:
            raise SparkdSpecError(f"task {self.task_id!r}: {error}") from error

    def execute(self, context: Context) -> str:
        ti = context["ti"]
        keys = rq.key_chain(
            rq.base_key(
                dag_id=ti.dag_id, task_id=ti.task_id, run_id=ti.run_id, map_index=ti.map_index
            ),
            try_number=ti.try_number,
            policy=self.reattach_policy,
            first_try=rq.first_try_since_clear(
                try_number=ti.try_number,
                max_tries=getattr(ti, "max_tries", None),
                retries=self.retries or 0,
            ),
        )
        with _airflow_errors():
            job, created, key = self.hook.submit_or_reattach(self.job_request(), keys)
        self.job_id = job.id
        verb = "Submitted" if created else f"Reattached to ({rq.state_name(job.state)})"
        self.log.info("%s sparkd job %s, idempotency key %s", verb, job.id, key)
        ti.xcom_push(key=rq.JOB_ID_XCOM_KEY, value=job.id)
        for link, url in self._push_links(context, job).items():
            if url:
                self.log.info("%s: %s", link.name, url)
        if not rq.is_final(job) and self.deferrable:
            self.defer(
                trigger=SparkdJobTrigger(
                    job_id=job.id,
                    sparkd_conn_id=self.sparkd_conn_id,
                    poll_interval=self.poll_interval,
                ),
                method_name=self.execute_complete.__name__,
            )
        with _airflow_errors():
            final = (
                job if rq.is_final(job) else self.hook.wait_for_final(job.id, self.poll_interval)
            )
        return self._finish(context, final)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        if event["status"] == "error":
            exception = AirflowFailException if event["fatal"] else AirflowException
            raise exception(event["message"])
        return self._finish(context, rq.job_from_payload(event["job"]))

    def _push_links(self, context: Context, job: jobs_pb2.Job) -> dict[rq.Link, str]:
        links = rq.links_for(job, self.hook.settings)
        for link, url in links.items():
            context["ti"].xcom_push(key=link.xcom_key, value=url)
        return links

    def _finish(self, context: Context, job: jobs_pb2.Job) -> str:
        self.job_id = job.id
        # Pushed again: the Spark app id, and so the dashboard link, is known only now.
        links = self._push_links(context, job)
        self.log.info("Final report\n%s", rq.format_report(job, links))
        if job.state != rq.jobs_pb2.JOB_STATE_SUCCEEDED:
            page = links[rq.JOB_PAGE]
            raise AirflowException(rq.failure_cause(job) + (f"\nJob page: {page}" if page else ""))
        return job.id

    def on_kill(self) -> None:
        if self.job_id is None:
            return
        self.log.info("Task killed: cancelling sparkd job %s", self.job_id)
        with _airflow_errors():
            self.hook.cancel_job(self.job_id, reason="Airflow task killed")


DEFERRABLE_SECTION, DEFERRABLE_OPTION = "sparkd", "default_deferrable"


def conf_default_deferrable() -> bool:
    """What `deferrable=None` means: `[sparkd] default_deferrable`, env
    `AIRFLOW__SPARKD__DEFAULT_DEFERRABLE`, True unless set. Airflow's own `[operators]
    default_deferrable` is not read: it ships False, so following it would hold a worker slot
    for the whole Spark job in every deployment that never changed it."""
    return airflow_conf.getboolean(DEFERRABLE_SECTION, DEFERRABLE_OPTION, fallback=True)


@contextlib.contextmanager
def _airflow_errors() -> Iterator[None]:
    """Fatal sparkd errors must not be retried by Airflow; the others may."""
    try:
        yield
    except rq.SparkdError as error:
        raise (AirflowFailException if error.fatal else AirflowException)(str(error)) from error


def sparkK8sJob(*, task_id: str, file: str, **kwargs: Any) -> SparkK8sJobOperator:
    """The DAG author's entry point: `sparkK8sJob(task_id=..., file=..., class_name=...,
    job_type="platform_default", args=[...])`; every SparkK8sJobOperator option applies."""
    return SparkK8sJobOperator(task_id=task_id, file=file, **kwargs)
