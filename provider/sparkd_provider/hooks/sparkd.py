"""Hooks to sparkd's JobService: SparkdHook (blocking, for workers) and SparkdAsyncHook
(grpc.aio, for the triggerer). Both build requests and read replies through `_requests`."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any, TypeVar

import grpc
from asgiref.sync import sync_to_async
from grpc import aio

from sparkd_provider import _requests as rq
from sparkd_provider._compat import BaseHook
from sparkd_provider._proto import jobs_pb2, jobs_pb2_grpc

Reply = TypeVar("Reply")

# gRPC's standard health service, which the daemon enables; called with raw bytes so the
# provider needs no grpcio-health-checking. HealthCheckRequest{service: ""} encodes to b"".
_HEALTH_CHECK = "/grpc.health.v1.Health/Check"
_HEALTH_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
_TEST_TIMEOUT = 10.0


def _health_status(reply: bytes) -> int:
    """HealthCheckResponse's `status` (field 1, a varint below 128); absent means 0, UNKNOWN."""
    return reply[1] if len(reply) >= 2 and reply[0] == 0x08 else 0


class SparkdHook(BaseHook):
    """Talks to a sparkd daemon over gRPC, with a deadline on every call and retries with
    backoff while the daemon is UNAVAILABLE (restarting, or not listening yet)."""

    conn_name_attr = "sparkd_conn_id"
    default_conn_name = "sparkd_default"
    conn_type = "sparkd"
    hook_name = "sparkd"

    def __init__(self, sparkd_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sparkd_conn_id = sparkd_conn_id

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The connection form's own fields, stored in the connection's extra under these keys."""
        # Airflow 3's UI reads these through stand-ins for FAB and WTForms (neither needs to be
        # installed); Airflow 2's FAB UI renders them as they are.
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, StringField

        return {
            "http_base_url": StringField(
                lazy_gettext("HTTP base URL"),
                widget=BS3TextFieldWidget(),
                description="The daemon's HTTP side, for the links on the task page "
                "(http://sparkd:8080)",
            ),
            "tls": BooleanField(
                lazy_gettext("TLS"),
                description="Connect to the gRPC side over TLS (the system's CA certificates)",
                default=False,
            ),
            "dashboard_url_template": StringField(
                lazy_gettext("Dashboard URL template"),
                widget=BS3TextFieldWidget(),
                description="Optional: a URL with {job_id}, {team}, {spark_app_id}, {job_type}",
            ),
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["schema", "login"],
            "relabeling": {"host": "gRPC host", "port": "gRPC port", "password": "Team token"},
            "placeholders": {
                "host": "sparkd.internal",
                "port": "9741",
                "password": "the token from `sparkd admin create-token TEAM`",
                "http_base_url": "http://sparkd.internal:8080",
                "dashboard_url_template": "https://grafana/d/spark?var-app={spark_app_id}",
            },
        }

    @cached_property
    def settings(self) -> rq.ConnectionSettings:
        return _settings_from(self.get_connection(self.sparkd_conn_id))

    def _new_channel(self) -> grpc.Channel:
        target = self.settings.target
        if self.settings.tls:
            return grpc.secure_channel(target, grpc.ssl_channel_credentials())
        return grpc.insecure_channel(target)

    @cached_property
    def _stub(self) -> jobs_pb2_grpc.JobServiceStub:
        return jobs_pb2_grpc.JobServiceStub(self._new_channel())

    def test_connection(self) -> tuple[bool, str]:
        """The connection form's Test button (and `airflow connections test`): the daemon's
        gRPC health check, then the token on an authenticated call (ListJobs of one job), then
        `/healthz` of the HTTP base URL when there is one. One attempt each, no retries, at most
        10 s each; the first that fails is named in the message."""
        try:
            settings = self.settings
        except (rq.SparkdError, ValueError, TypeError) as error:
            return False, f"connection {self.sparkd_conn_id!r}: {error}"
        timeout = min(settings.timeout, _TEST_TIMEOUT)
        where = f"sparkd gRPC at {settings.target}" + (" (TLS)" if settings.tls else "")
        with self._new_channel() as channel:
            check = channel.unary_unary(
                _HEALTH_CHECK, request_serializer=bytes, response_deserializer=bytes
            )
            try:
                status = _health_status(check(b"", timeout=timeout))
            except grpc.RpcError as error:
                return False, f"{where}: health check failed: {_rpc_text(error)}"
            if status != 1:
                return False, f"{where}: health check says {_HEALTH_STATUS.get(status, status)}"
            try:
                jobs_pb2_grpc.JobServiceStub(channel).ListJobs(
                    jobs_pb2.ListJobsRequest(page_size=1),
                    timeout=timeout,
                    metadata=settings.metadata(),
                )
            except grpc.RpcError as error:
                if error.code() is grpc.StatusCode.UNAUTHENTICATED:
                    refused = f"token (the connection's password) is refused: {error.details()}"
                    return False, f"{where}: {refused}"
                return False, f"{where}: token check (ListJobs) failed: {_rpc_text(error)}"
        message = f"{where}: serving, token accepted"
        if settings.http_base_url:
            url = f"{settings.http_base_url}/healthz"
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    response.read(256)
            except urllib.error.HTTPError as error:
                body = error.read(256).decode("utf-8", "replace").strip()
                return False, f"{message}; but HTTP base URL {url} answered {error.code}: {body}"
            except (urllib.error.URLError, OSError, ValueError) as error:
                reason = getattr(error, "reason", error)
                return False, f"{message}; but HTTP base URL {url} cannot be reached: {reason}"
            message += f"; HTTP base URL {url} ok"
        return True, message

    def _call(self, method: Callable[..., Reply], request: Any) -> Reply:
        delays = rq.backoff_delays(self.settings.attempts)
        for attempt in range(len(delays) + 1):
            try:
                return method(
                    request, timeout=self.settings.timeout, metadata=self.settings.metadata()
                )
            except grpc.RpcError as error:
                if error.code() not in rq.TRANSIENT_CODES or attempt == len(delays):
                    raise rq.error_from_rpc(error) from error
                self.log.warning(
                    "sparkd unavailable (%s); retrying in %.1fs", error.details(), delays[attempt]
                )
                time.sleep(delays[attempt])
        raise AssertionError("unreachable")

    def submit_job(
        self, request: jobs_pb2.JobRequest, idempotency_key: str
    ) -> tuple[jobs_pb2.Job, bool]:
        """Returns the job and whether this call created it (False: an earlier submit did)."""
        reply = self._call(
            self._stub.SubmitJob,
            jobs_pb2.SubmitJobRequest(job=request, idempotency_key=idempotency_key),
        )
        return reply.job, reply.created

    def submit_or_reattach(
        self, request: jobs_pb2.JobRequest, keys: list[str]
    ) -> tuple[jobs_pb2.Job, bool, str]:
        """Submits with each key of the chain until a job can be attached; returns it, whether
        it was created now, and the key it was found under."""
        for key in keys:
            job, created = self.submit_job(request, key)
            if created or rq.can_attach(job) or key == keys[-1]:
                return job, created, key
        raise AssertionError("key chain is never empty")

    def get_job(self, job_id: str) -> jobs_pb2.Job:
        return self._call(self._stub.GetJob, jobs_pb2.GetJobRequest(job_id=job_id)).job

    def cancel_job(self, job_id: str, reason: str) -> jobs_pb2.Job:
        return self._call(
            self._stub.CancelJob, jobs_pb2.CancelJobRequest(job_id=job_id, reason=reason)
        ).job

    def wait_for_final(self, job_id: str, poll_interval: float) -> jobs_pb2.Job:
        """Polls GetJob until the job reaches a final state (the non-deferrable wait)."""
        while not rq.is_final(job := self.get_job(job_id)):
            time.sleep(poll_interval)
        return job


class SparkdAsyncHook(SparkdHook):
    """The grpc.aio flavour for triggers: same connection, same requests, same errors."""

    async def _ensure_settings(self) -> None:
        # get_connection blocks; the triggerer's event loop must not, so read it async once.
        if "settings" in self.__dict__:
            return
        aget = getattr(self, "aget_connection", None)  # Airflow 3
        conn = await (
            aget(self.sparkd_conn_id)
            if aget
            else sync_to_async(self.get_connection)(self.sparkd_conn_id)
        )
        self.__dict__["settings"] = _settings_from(conn)

    @cached_property
    def _aio_channel(self) -> aio.Channel:
        target = self.settings.target
        if self.settings.tls:
            return aio.secure_channel(target, grpc.ssl_channel_credentials())
        return aio.insecure_channel(target)

    @cached_property
    def _aio_stub(self) -> jobs_pb2_grpc.JobServiceStub:
        return jobs_pb2_grpc.JobServiceStub(self._aio_channel)

    async def _acall(self, method: Callable[..., Awaitable[Reply]], request: Any) -> Reply:
        await self._ensure_settings()
        delays = rq.backoff_delays(self.settings.attempts)
        for attempt in range(len(delays) + 1):
            try:
                return await method(
                    request, timeout=self.settings.timeout, metadata=self.settings.metadata()
                )
            except aio.AioRpcError as error:
                if error.code() not in rq.TRANSIENT_CODES or attempt == len(delays):
                    raise rq.error_from_rpc(error) from error
                self.log.warning(
                    "sparkd unavailable (%s); retrying in %.1fs", error.details(), delays[attempt]
                )
                await asyncio.sleep(delays[attempt])
        raise AssertionError("unreachable")

    async def aget_job(self, job_id: str) -> jobs_pb2.Job:
        return (await self._acall(self._aio_stub.GetJob, jobs_pb2.GetJobRequest(job_id=job_id))).job

    async def acancel_job(self, job_id: str, reason: str) -> jobs_pb2.Job:
        request = jobs_pb2.CancelJobRequest(job_id=job_id, reason=reason)
        return (await self._acall(self._aio_stub.CancelJob, request)).job

    async def await_final(self, job_id: str, poll_interval: float) -> jobs_pb2.Job:
        """Follows WatchJob until the job is final. A broken stream (daemon restart, proxy
        idle timeout) is resumed after a GetJob, which also catches a state change missed
        while disconnected; repeated UNAVAILABLE backs off like any other call."""
        failures = 0
        delays = rq.backoff_delays(self.settings.attempts)
        while True:
            job = await self.aget_job(job_id)
            if rq.is_final(job):
                return job
            try:
                # No deadline on the stream itself: a Spark job may run for hours.
                stream = self._aio_stub.WatchJob(
                    jobs_pb2.WatchJobRequest(job_id=job_id), metadata=self.settings.metadata()
                )
                async for message in stream:
                    failures = 0
                    if rq.is_final(message.job):
                        return message.job
            except aio.AioRpcError as error:
                if error.code() not in rq.TRANSIENT_CODES or failures == len(delays):
                    raise rq.error_from_rpc(error) from error
                await asyncio.sleep(delays[failures])
                failures += 1
                continue
            # The stream ended without a final state: poll once more before re-watching.
            await asyncio.sleep(poll_interval)

    async def aclose(self) -> None:
        if "_aio_channel" in self.__dict__:
            await self._aio_channel.close()


def _rpc_text(error: grpc.RpcError) -> str:
    return f"{error.code().name}: {error.details()}"


def _settings_from(conn: Any) -> rq.ConnectionSettings:
    return rq.ConnectionSettings.from_connection(
        host=conn.host, port=conn.port, password=conn.password, extra=conn.extra
    )
