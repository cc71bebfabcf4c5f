"""A small in-memory sparkd speaking the real sparkd.v1 JobService on 127.0.0.1, port 0.

It keeps jobs by idempotency key like the daemon, lets a test move a job to any state, and
can answer the next calls with an error code (UNAVAILABLE, PERMISSION_DENIED, ...).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures

import grpc

from sparkd_provider._proto import jobs_pb2, jobs_pb2_grpc


class FakeSparkd(jobs_pb2_grpc.JobServiceServicer):
    def __init__(self) -> None:
        self._cv = threading.Condition()
        self.jobs: dict[str, jobs_pb2.Job] = {}
        self.by_key: dict[str, str] = {}
        self.calls: list[str] = []  # "SubmitJob", "GetJob", ... in arrival order
        self.tokens: list[str] = []
        self.cancel_reasons: dict[str, str] = {}
        self._errors: dict[str, list[grpc.StatusCode]] = {}
        self._server: grpc.Server | None = None
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeSparkd:
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        jobs_pb2_grpc.add_JobServiceServicer_to_server(self, self._server)
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)

    # --- test controls ---------------------------------------------------------------------
    def fail_next(self, method: str, *codes: grpc.StatusCode) -> None:
        with self._cv:
            self._errors.setdefault(method, []).extend(codes)

    def set_state(self, job_id: str, state: int, **fields: object) -> None:
        with self._cv:
            job = self.jobs[job_id]
            event = jobs_pb2.JobEvent(seq=len(job.events) + 1, from_state=job.state, to_state=state)
            job.state = state
            for name, value in fields.items():
                target = getattr(job, name)
                if isinstance(value, list):
                    target.extend(value)
                elif hasattr(target, "CopyFrom"):
                    target.CopyFrom(value)
                else:
                    setattr(job, name, value)
            if state in FINAL:
                job.finished_at.GetCurrentTime()
            job.events.append(event)
            self._cv.notify_all()

    def wait_for_call(self, method: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cv:
            while method not in self.calls:
                if not self._cv.wait(deadline - time.monotonic()):
                    raise TimeoutError(f"{method} was not called within {timeout}s")

    # --- JobService ------------------------------------------------------------------------
    def _enter(self, method: str, context: grpc.ServicerContext) -> None:
        with self._cv:
            self.calls.append(method)
            self.tokens.append(dict(context.invocation_metadata()).get("authorization", ""))
            self._cv.notify_all()
            pending = self._errors.get(method)
            code = pending.pop(0) if pending else None
        if code is not None:
            context.abort(code, f"injected {code.name}")

    def SubmitJob(self, request, context):
        self._enter("SubmitJob", context)
        with self._cv:
            if request.idempotency_key in self.by_key:
                existing = self.jobs[self.by_key[request.idempotency_key]]
                # As the daemon: a key belongs to one request.
                if existing.request != request.job:
                    context.abort(
                        grpc.StatusCode.ALREADY_EXISTS,
                        "idempotency_key: already used for a different request "
                        f"(job {existing.id})",
                    )
                return jobs_pb2.SubmitJobResponse(job=existing, created=False)
            job_id = f"job-{len(self.jobs) + 1}"
            job = jobs_pb2.Job(
                id=job_id,
                team="team-a",
                idempotency_key=request.idempotency_key,
                state=jobs_pb2.JOB_STATE_QUEUED,
                request=request.job,
                backend="fake",
                links=jobs_pb2.JobLinks(job_page=f"http://sparkd.test/jobs/{job_id}"),
            )
            job.created_at.GetCurrentTime()
            self.jobs[job_id] = job
            self.by_key[request.idempotency_key] = job_id
            return jobs_pb2.SubmitJobResponse(job=job, created=True)

    def _job(self, job_id: str, context: grpc.ServicerContext) -> jobs_pb2.Job:
        if job_id not in self.jobs:
            context.abort(grpc.StatusCode.NOT_FOUND, f"job {job_id} not found")
        return self.jobs[job_id]

    def GetJob(self, request, context):
        self._enter("GetJob", context)
        with self._cv:
            return jobs_pb2.GetJobResponse(job=self._job(request.job_id, context))

    def ListJobs(self, request, context):
        self._enter("ListJobs", context)
        with self._cv:
            return jobs_pb2.ListJobsResponse(
                jobs=[_summary(job) for job in reversed(list(self.jobs.values()))]
            )

    def CancelJob(self, request, context):
        self._enter("CancelJob", context)
        self._job(request.job_id, context)
        self.cancel_reasons[request.job_id] = request.reason
        self.set_state(request.job_id, jobs_pb2.JOB_STATE_CANCELLED, state_message=request.reason)
        return jobs_pb2.CancelJobResponse(job=self.jobs[request.job_id])

    def WatchJob(self, request, context) -> Iterator[jobs_pb2.WatchJobResponse]:
        self._enter("WatchJob", context)
        with self._cv:
            job = self._job(request.job_id, context)
            seen = len(job.events)
            snapshot = jobs_pb2.Job()
            snapshot.CopyFrom(job)
        yield jobs_pb2.WatchJobResponse(job=snapshot)
        while snapshot.state not in FINAL:
            with self._cv:
                # The timeout only lets a stream notice that its client went away.
                while seen == len(job.events) and context.is_active():
                    self._cv.wait(0.5)
                events = list(job.events[seen:])
                seen = len(job.events)
                snapshot = jobs_pb2.Job()
                snapshot.CopyFrom(job)
            if not context.is_active():
                return
            for event in events:
                yield jobs_pb2.WatchJobResponse(event=event, job=snapshot)


FINAL = (jobs_pb2.JOB_STATE_SUCCEEDED, jobs_pb2.JOB_STATE_FAILED, jobs_pb2.JOB_STATE_CANCELLED)


def _summary(job: jobs_pb2.Job) -> jobs_pb2.JobSummary:
    """The listing form of a job, as the daemon's ListJobs answers."""
    return jobs_pb2.JobSummary(
        id=job.id,
        team=job.team,
        idempotency_key=job.idempotency_key,
        state=job.state,
        state_message=job.state_message,
        backend=job.backend,
        created_at=job.created_at,
        links=job.links,
        name=job.request.name,
        job_type=job.request.job_type,
        file=job.request.file,
    )
