"""SparkdHook against an in-process server speaking the real proto."""

from __future__ import annotations

import grpc
import pytest
from conftest import CONN_ID
from fake_sparkd import FakeSparkd

from sparkd_provider import _requests as rq
from sparkd_provider.hooks.sparkd import SparkdHook


def _request() -> rq.jobs_pb2.JobRequest:
    return rq.job_request(file="local:///jobs/pi.py")


def test_sends_the_team_token(sparkd: FakeSparkd) -> None:
    SparkdHook(sparkd_conn_id=CONN_ID).submit_job(_request(), "k")
    assert sparkd.tokens == ["Bearer team-a-token"]


def test_same_key_returns_the_same_job(sparkd: FakeSparkd) -> None:
    hook = SparkdHook(sparkd_conn_id=CONN_ID)
    first, created = hook.submit_job(_request(), "k")
    again, created_again = hook.submit_job(_request(), "k")
    assert (created, created_again) == (True, False)
    assert again.id == first.id


def test_retries_while_the_daemon_is_unavailable(sparkd: FakeSparkd) -> None:
    sparkd.fail_next("SubmitJob", grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE)
    job, _ = SparkdHook(sparkd_conn_id=CONN_ID).submit_job(_request(), "k")
    assert job.id == "job-1"
    assert sparkd.calls == ["SubmitJob"] * 3


def test_gives_up_after_the_configured_attempts_as_retryable(sparkd: FakeSparkd) -> None:
    sparkd.fail_next("GetJob", *[grpc.StatusCode.UNAVAILABLE] * 3)
    with pytest.raises(rq.SparkdError) as caught:
        SparkdHook(sparkd_conn_id=CONN_ID).get_job("job-1")
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    assert not caught.value.fatal
    assert sparkd.calls == ["GetJob"] * 3


@pytest.mark.parametrize(
    "code",
    [
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.UNAUTHENTICATED,
    ],
)
def test_fatal_errors_are_not_retried(sparkd: FakeSparkd, code: grpc.StatusCode) -> None:
    sparkd.fail_next("SubmitJob", code)
    with pytest.raises(rq.SparkdError) as caught:
        SparkdHook(sparkd_conn_id=CONN_ID).submit_job(_request(), "k")
    assert caught.value.fatal
    assert sparkd.calls == ["SubmitJob"]


def test_unknown_job_is_fatal_not_found(sparkd: FakeSparkd) -> None:
    with pytest.raises(rq.SparkdError) as caught:
        SparkdHook(sparkd_conn_id=CONN_ID).get_job("nope")
    assert caught.value.code is grpc.StatusCode.NOT_FOUND
    assert caught.value.fatal
