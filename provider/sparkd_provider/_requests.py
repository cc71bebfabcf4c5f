"""Requests to sparkd and readings of its replies: pure functions, no I/O.

The sync hook, the async hook, the trigger and the operator all go through this module, so
the idempotency key, the error classification, the links and the report are written once.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import grpc
from google.protobuf import json_format

from sparkd_provider._proto import exit_reason_pb2, jobs_pb2

# Errors that another try cannot fix: Airflow must not retry them.
FATAL_CODES = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.FAILED_PRECONDITION,
    }
)
# Errors a call retries itself, with backoff, before giving up.
TRANSIENT_CODES = frozenset({grpc.StatusCode.UNAVAILABLE})

FINAL_STATES = frozenset(
    {jobs_pb2.JOB_STATE_SUCCEEDED, jobs_pb2.JOB_STATE_FAILED, jobs_pb2.JOB_STATE_CANCELLED}
)
# A job in one of these states is not reused by a retry: the retry starts a new one.
_NOT_REATTACHABLE = frozenset({jobs_pb2.JOB_STATE_FAILED, jobs_pb2.JOB_STATE_CANCELLED})

# Memory first: those are the failures with the clearest fix.
_REASON_ORDER = (
    exit_reason_pb2.EXIT_REASON_OOM_KILLED,
    exit_reason_pb2.EXIT_REASON_JVM_OOM,
    exit_reason_pb2.EXIT_REASON_EVICTED,
    exit_reason_pb2.EXIT_REASON_NODE_LOST,
    exit_reason_pb2.EXIT_REASON_PREEMPTED,
    exit_reason_pb2.EXIT_REASON_HEARTBEAT_TIMEOUT,
    exit_reason_pb2.EXIT_REASON_IMAGE_PULL_FAILED,
    exit_reason_pb2.EXIT_REASON_CONFIG_ERROR,
    exit_reason_pb2.EXIT_REASON_UNSCHEDULABLE,
    exit_reason_pb2.EXIT_REASON_CRASH_LOOP,
    exit_reason_pb2.EXIT_REASON_APP_ERROR,
    exit_reason_pb2.EXIT_REASON_UNKNOWN,
    exit_reason_pb2.EXIT_REASON_KILLED_BY_DRIVER,
    exit_reason_pb2.EXIT_REASON_SUCCEEDED,
    exit_reason_pb2.EXIT_REASON_UNSPECIFIED,
)
_CELL_WIDTH = 70


class ReattachPolicy(str, enum.Enum):
    """What a retry of the task does with the job an earlier try submitted."""

    # Attach to the earlier try's job while it runs or if it succeeded; start a new job only
    # when it failed or was cancelled.
    REATTACH = "reattach"
    # Every try submits its own job (the key ends in /try-N).
    FRESH = "fresh"


class SparkdError(Exception):
    """A gRPC call to sparkd failed; `fatal` says whether a retry of the task could help."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self.code = code
        self.details = details
        self.fatal = code in FATAL_CODES
        super().__init__(f"sparkd {code.name}: {details}")


def error_from_rpc(error: grpc.RpcError) -> SparkdError:
    """Converts a sync or aio gRPC error into a SparkdError."""
    code = error.code() if callable(getattr(error, "code", None)) else None
    details = error.details() if callable(getattr(error, "details", None)) else None
    return SparkdError(code or grpc.StatusCode.UNKNOWN, details or str(error))


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach one daemon, read from an Airflow connection of type `sparkd`."""

    target: str
    tls: bool = False
    token: str = field(default="", repr=False)
    http_base_url: str = ""
    dashboard_url_template: str = ""
    timeout: float = 30.0
    attempts: int = 5

    @classmethod
    def from_connection(
        cls,
        *,
        host: str | None,
        port: int | None,
        password: str | None,
        extra: str | Mapping[str, Any] | None,
    ) -> ConnectionSettings:
        extras = json.loads(extra) if isinstance(extra, str) and extra else dict(extra or {})
        if not host:
            raise SparkdError(grpc.StatusCode.INVALID_ARGUMENT, "the sparkd connection has no host")
        return cls(
            target=f"{host}:{port}" if port else host,
            tls=_truthy(extras.get("tls", False)),
            token=password or "",
            http_base_url=str(extras.get("http_base_url", "")).rstrip("/"),
            dashboard_url_template=str(extras.get("dashboard_url_template", "")),
            timeout=float(extras.get("timeout", 30.0)),
            attempts=int(extras.get("attempts", 5)),
        )

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() in {"1", "true", "yes", "on"}


def backoff_delays(attempts: int, *, base: float = 0.5, cap: float = 10.0) -> list[float]:
    """Seconds to wait before each retry of a call that got UNAVAILABLE."""
    return [min(cap, base * 2**i) for i in range(max(0, attempts - 1))]


def base_key(*, dag_id: str, task_id: str, run_id: str, map_index: int) -> str:
    return f"{dag_id}/{task_id}/{run_id}/{map_index}"


def key_chain(
    base: str, *, try_number: int, policy: ReattachPolicy, first_try: int = 1
) -> list[str]:
    """Idempotency keys to submit with, in order; the first job that can be attached wins.

    With REATTACH the chain holds one key per earlier try that may have started a job, so a
    retry after a worker crash finds the job still running instead of starting a second one.
    Tries before `first_try` are left out: they belong to before the task was last cleared,
    and a cleared task starts afresh.
    """
    if policy is ReattachPolicy.FRESH:
        return [f"{base}/try-{max(1, try_number)}"]
    first = min(max(1, first_try), max(1, try_number))
    return [try_key(base, n) for n in range(first, max(1, try_number) + 1)]


def try_key(base: str, try_number: int) -> str:
    return base if try_number == 1 else f"{base}/try-{try_number}"


def first_try_since_clear(*, try_number: int, max_tries: int | None, retries: int) -> int:
    """The first try after the task was last cleared (1 if it never was), as Airflow itself
    computes it for reschedule sensors: a clear sets max_tries to the try number + retries,
    retries leave it alone."""
    if max_tries is None:
        return 1
    return min(max(1, max_tries - retries + 1), max(1, try_number))


def can_attach(job: jobs_pb2.Job) -> bool:
    return job.state not in _NOT_REATTACHABLE


def is_final(job: jobs_pb2.Job) -> bool:
    return job.state in FINAL_STATES


def state_name(state: int) -> str:
    return jobs_pb2.JobState.Name(state).removeprefix("JOB_STATE_")


def reason_name(reason: int) -> str:
    return exit_reason_pb2.ExitReason.Name(reason).removeprefix("EXIT_REASON_")


def job_request(
    *,
    file: str,
    class_name: str = "",
    name: str = "",
    job_type: str = "",
    args: Sequence[str] = (),
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
) -> jobs_pb2.JobRequest:
    """Builds the JobRequest from the operator's named options; unset options stay unset.

    `secret_env` maps a variable to `"secret:key"`, a key of one of the team's secrets: the
    value never passes through Airflow, the request or the daemon's database. `local_mode` is
    the local backend's `threads` (local[N], one JVM) or `cluster` (local-cluster[...], one JVM
    per executor, as `sparkd run --local-cluster`); empty leaves it to the daemon.
    """
    request = jobs_pb2.JobRequest(
        name=name,
        job_type=job_type,
        file=file,
        class_name=class_name,
        args=[str(a) for a in args],
        driver=jobs_pb2.Resources(
            memory=driver_memory, cores=driver_cores, memory_overhead=driver_memory_overhead
        ),
        executor=jobs_pb2.Resources(
            memory=executor_memory, cores=executor_cores, memory_overhead=executor_memory_overhead
        ),
        executor_instances=num_executors,
        dynamic_allocation=jobs_pb2.DynamicAllocation(
            enabled=dynamic_allocation,
            min_executors=min_executors,
            max_executors=max_executors,
            initial_executors=initial_executors,
        ),
        conf=_strings(conf),
        env=_strings(env),
        secret_env=_secret_refs(secret_env),
        labels=_strings(labels),
        py_files=list(py_files),
        jars=list(jars),
        files=list(files),
        local_mode=_local_mode(local_mode),
    )
    return request


def _local_mode(name: str) -> int:
    modes = {core: jobs_pb2.LocalMode.Value(enum) for enum, core in _CORE_LOCAL_MODES.items()}
    if not name:
        return jobs_pb2.LOCAL_MODE_UNSPECIFIED
    if name not in modes:
        raise ValueError(f'local_mode: "{name}" is not one of {", ".join(modes)}')
    return modes[name]


def _secret_refs(mapping: Mapping[str, str] | None) -> dict[str, jobs_pb2.SecretKeyRef]:
    refs = {}
    for variable, ref in (mapping or {}).items():
        name, colon, key = str(ref).partition(":")
        if not (name and colon and key):
            raise ValueError(f'secret_env.{variable}: "{ref}" is not "secret:key"')
        refs[str(variable)] = jobs_pb2.SecretKeyRef(name=name, key=key)
    return refs


def _strings(mapping: Mapping[str, Any] | None) -> dict[str, str]:
    # Spark conf values are strings; DAG authors write True or 4 as often as "true" or "4".
    return {
        str(k): str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in (mapping or {}).items()
    }


# The core's JSON names for LocalMode (daemon/core/job_json.cc), by proto enum name.
_CORE_LOCAL_MODES = {"LOCAL_MODE_THREADS": "threads", "LOCAL_MODE_CLUSTER": "cluster"}


def request_as_dict(request: jobs_pb2.JobRequest) -> dict[str, Any]:
    """The request in the core's JSON form (the proto's field names), as _sparkd_core reads it."""
    document = json_format.MessageToDict(request, preserving_proto_field_name=True)
    if "local_mode" in document:
        document["local_mode"] = _CORE_LOCAL_MODES[document["local_mode"]]
    return document


def job_to_payload(job: jobs_pb2.Job) -> dict[str, Any]:
    """A JSON-safe form of a job, for a trigger event."""
    return json_format.MessageToDict(job, preserving_proto_field_name=True)


def job_from_payload(payload: Mapping[str, Any]) -> jobs_pb2.Job:
    return json_format.ParseDict(payload, jobs_pb2.Job(), ignore_unknown_fields=True)


@dataclass(frozen=True)
class Link:
    xcom_key: str
    name: str


SPARK_UI = Link("sparkd_spark_ui", "Spark UI")
DRIVER_LOGS = Link("sparkd_driver_logs", "Driver logs")
JOB_PAGE = Link("sparkd_job_page", "Job page")
DASHBOARD = Link("sparkd_dashboard", "Dashboard")
ALL_LINKS = (SPARK_UI, DRIVER_LOGS, JOB_PAGE, DASHBOARD)
JOB_ID_XCOM_KEY = "sparkd_job_id"


def links_for(job: jobs_pb2.Job, settings: ConnectionSettings) -> dict[Link, str]:
    """The job's stable URLs: from the job itself, else from the daemon's HTTP base URL."""
    base = f"{settings.http_base_url}/jobs/{job.id}" if settings.http_base_url else ""
    links = {
        SPARK_UI: job.links.spark_ui or (f"{base}/ui" if base else ""),
        DRIVER_LOGS: job.links.logs or (f"{base}/logs" if base else ""),
        JOB_PAGE: job.links.job_page or base,
        # The team's dashboard from its presets (links.dashboard), served by the daemon;
        # else the connection's template.
        DASHBOARD: job.links.dashboard,
    }
    if not links[DASHBOARD] and settings.dashboard_url_template:
        links[DASHBOARD] = settings.dashboard_url_template.format(
            job_id=job.id,
            team=job.team,
            spark_app_id=job.spark_app_id,
            job_type=job.request.job_type,
        )
    return links


def duration(job: jobs_pb2.Job) -> timedelta | None:
    start = job.started_at if job.HasField("started_at") else job.created_at
    if not job.HasField("finished_at") or not start.seconds:
        return None
    return job.finished_at.ToDatetime() - start.ToDatetime()


def failure_cause(job: jobs_pb2.Job) -> str:
    """One line saying why the job did not succeed, fit to open an exception message."""
    verb = "was cancelled" if job.state == jobs_pb2.JOB_STATE_CANCELLED else "failed"
    cause = job.report.first_fatal_cause or _cause_from_executors(job) or job.state_message
    if not cause and job.HasField("driver_exit_code"):
        cause = f"driver exited with code {job.driver_exit_code}"
    first_line = (cause or f"ended in state {state_name(job.state)}").splitlines()[0]
    return f"Spark job {verb}: {first_line}"


# The daemon records the driver among the executors under this id; reports name it apart.
_DRIVER_ID = "driver"


def _executors(job: jobs_pb2.Job) -> list[jobs_pb2.Executor]:
    return [e for e in job.executors if e.executor_id != _DRIVER_ID]


def _driver_line(job: jobs_pb2.Job) -> list[str]:
    driver = next((e for e in job.executors if e.executor_id == _DRIVER_ID), None)
    if driver is None or not driver.reason:
        return []
    exit_code = f" (exit {driver.exit_code})" if driver.HasField("exit_code") else ""
    evidence = f": {_cell(driver.evidence)}" if driver.evidence else ""
    return [f"Driver: {reason_name(driver.reason)}{exit_code}{evidence}"]


def _cause_from_executors(job: jobs_pb2.Job) -> str:
    counts = _reason_counts(job)
    for reason in _REASON_ORDER[: _REASON_ORDER.index(exit_reason_pb2.EXIT_REASON_APP_ERROR) + 1]:
        if count := counts.get(reason, 0):
            advice = _first(_executors(job), reason, "advice")
            noun = "executor" if count == 1 else "executors"
            return f"{count} {noun} {reason_name(reason)}" + (f"; {advice}" if advice else "")
    return ""


def _reason_counts(job: jobs_pb2.Job) -> dict[int, int]:
    if job.report.executors_by_reason:
        return {rc.reason: rc.count for rc in job.report.executors_by_reason}
    counts: dict[int, int] = {}
    for executor in _executors(job):
        counts[executor.reason] = counts.get(executor.reason, 0) + 1
    return counts


def _first(executors: Iterable[jobs_pb2.Executor], reason: int, attribute: str) -> str:
    return next(
        (getattr(e, attribute) for e in executors if e.reason == reason and getattr(e, attribute)),
        "",
    )


def format_report(job: jobs_pb2.Job, links: Mapping[Link, str] | None = None) -> str:
    """The final report for the task log: state, duration, app, the presets the job resolved
    against (team and version), executors by reason, logs."""
    took = duration(job)
    lines = [
        f"sparkd job {job.id} {state_name(job.state)}"
        + (f" after {_format_duration(took)}" if took is not None else ""),
        f"  Spark app: {job.spark_app_id or '-'}   "
        f"backend: {job.backend or '-'} {job.backend_ref}".rstrip(),
    ]
    if job.presets_used:
        used = ", ".join(f"{ref.job_type} v{ref.version}" for ref in job.presets_used)
        lines.append(f"  presets: {used}")
    if job.state != jobs_pb2.JOB_STATE_SUCCEEDED:
        lines.append(f"  cause: {failure_cause(job)}")
    lines += _driver_line(job)
    lines += _executor_table(job)
    if job.report.driver_log_tail:
        lines.append(f"Driver log, last {len(job.report.driver_log_tail)} lines:")
        lines += [f"  | {line}" for line in job.report.driver_log_tail]
    lines += [f"{link.name}: {url}" for link, url in (links or {}).items() if url]
    return "\n".join(lines)


def _executor_table(job: jobs_pb2.Job) -> list[str]:
    counts = _reason_counts(job)
    if not counts:
        return ["Executors: none recorded"]
    rows = [
        (
            reason_name(reason),
            str(counts[reason]),
            _first(_executors(job), reason, "evidence"),
            _first(_executors(job), reason, "advice"),
        )
        for reason in _REASON_ORDER
        if counts.get(reason)
    ]
    header = ("REASON", "COUNT", "EVIDENCE", "ADVICE")
    widths = [max(len(header[i]), *(len(_cell(r[i])) for r in rows)) for i in range(3)]
    out = ["Executors by exit reason:"]
    for row in (header, *rows):
        cells = [_cell(c).ljust(w) for c, w in zip(row[:3], widths, strict=True)]
        out.append(("  " + "  ".join(cells) + "  " + _cell(row[3])).rstrip())
    return out


def _cell(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= _CELL_WIDTH else one_line[: _CELL_WIDTH - 1] + "…"


def _format_duration(took: timedelta) -> str:
    seconds = int(took.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
