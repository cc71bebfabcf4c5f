"""The operator's parameters and the daemon's JobRequest stay in step: every field of the proto,
read from its descriptor, has an operator parameter, and passing that parameter sets the field."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from sparkd_provider._proto import jobs_pb2
from sparkd_provider.operators.sparkd import SparkdSpecError, SparkK8sJobOperator, sparkK8sJob

# Fields of these messages are flattened into parameters (driver.memory -> driver_memory).
_FLATTENED = {"sparkd.v1.Resources", "sparkd.v1.DynamicAllocation"}
# Where the parameter is not the field's path with "_" for ".": the names Spark users know.
_RENAMES = {
    "executor_instances": "num_executors",
    "dynamic_allocation.enabled": "dynamic_allocation",
    "dynamic_allocation.min_executors": "min_executors",
    "dynamic_allocation.max_executors": "max_executors",
    "dynamic_allocation.initial_executors": "initial_executors",
}
# JobRequest fields deliberately without an operator parameter, each with its reason. None today:
# `file` and everything else is a parameter. (The CLI's --key sets SubmitJobRequest's
# idempotency_key, which the operator derives from dag/task/run/map_index on purpose.)
_NO_PARAMETER: dict[str, str] = {}
# A valid value for each parameter, which the daemon's core accepts at parse time.
_SAMPLES: dict[str, Any] = {
    "name": "rollup",
    "job_type": "heavy_shuffle",
    "file": "s3a://jobs/app.py",
    "class_name": "com.example.Main",
    "args": ["2026-01-01"],
    "driver_memory": "2g",
    "driver_cores": 2,
    "driver_memory_overhead": "512m",
    "executor_memory": "4g",
    "executor_cores": 3,
    "executor_memory_overhead": "1g",
    "num_executors": 4,
    "dynamic_allocation": True,
    "min_executors": 1,
    "max_executors": 8,
    "initial_executors": 2,
    "conf": {"spark.sql.shuffle.partitions": 64},
    "env": {"MODE": "daily"},
    "labels": {"owner": "blue"},
    "py_files": ["s3a://jobs/lib.zip"],
    "jars": ["s3a://jobs/dep.jar"],
    "files": ["s3a://jobs/lookup.csv"],
    "local_mode": "cluster",
    "secret_env": {"DB_PASSWORD": "db-creds:password"},
}


def _leaves(message: Descriptor, prefix: str = "") -> Iterator[tuple[str, FieldDescriptor]]:
    for field in message.fields:
        path = prefix + field.name
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        if (
            field.message_type is not None
            and not is_map
            and field.message_type.full_name in _FLATTENED
        ):
            yield from _leaves(field.message_type, path + ".")
        else:
            yield path, field


def _parameter(path: str) -> str:
    return _RENAMES.get(path, path.replace(".", "_"))


def _is_set(request: jobs_pb2.JobRequest, path: str) -> bool:
    *parents, name = path.split(".")
    message = request
    for parent in parents:
        message = getattr(message, parent)
    field = message.DESCRIPTOR.fields_by_name[name]
    if field.is_repeated:
        return len(getattr(message, name)) > 0
    if field.has_presence:
        return message.HasField(name)
    return getattr(message, name) != field.default_value


LEAVES = [
    (path, field)
    for path, field in _leaves(jobs_pb2.JobRequest.DESCRIPTOR)
    if path not in _NO_PARAMETER
]


def test_the_descriptor_walk_sees_the_fields_it_should() -> None:
    paths = {path for path, _ in LEAVES}
    assert {
        "file",
        "driver.memory",
        "dynamic_allocation.enabled",
        "secret_env",
        "local_mode",
    } <= paths
    assert not any(path in {"driver", "executor", "dynamic_allocation"} for path in paths)


@pytest.mark.parametrize(("path", "field"), LEAVES, ids=[path for path, _ in LEAVES])
def test_every_job_request_field_has_an_operator_parameter_that_sets_it(
    path: str, field: FieldDescriptor
) -> None:
    parameter = _parameter(path)
    parameters = inspect.signature(SparkK8sJobOperator.__init__).parameters
    assert parameter in parameters, (
        f"JobRequest.{path} has no SparkK8sJobOperator parameter {parameter!r}: add one (and to "
        "the provider README), or list the field in _NO_PARAMETER with the reason"
    )
    assert parameter in _SAMPLES, f"give {parameter!r} a sample value in _SAMPLES"
    # A main class is for a JVM application only.
    file = "s3a://jobs/app.jar" if parameter == "class_name" else "s3a://jobs/app.py"
    options = {"file": file, parameter: _SAMPLES[parameter]}
    request = sparkK8sJob(task_id="t", **options).job_request()
    assert _is_set(request, path), (
        f"{parameter}={_SAMPLES[parameter]!r} did not set JobRequest.{path}"
    )


def test_no_exception_is_stale() -> None:
    fields = {path for path, _ in _leaves(jobs_pb2.JobRequest.DESCRIPTOR)}
    assert set(_NO_PARAMETER) <= fields
    assert set(_RENAMES) <= fields


@pytest.mark.parametrize(
    ("mode", "expected"), [("threads", "LOCAL_MODE_THREADS"), ("cluster", "LOCAL_MODE_CLUSTER")]
)
def test_local_mode_names_are_the_cli_and_core_names(mode: str, expected: str) -> None:
    request = sparkK8sJob(task_id="t", file="pi.py", local_mode=mode).job_request()
    assert jobs_pb2.LocalMode.Name(request.local_mode) == expected


def test_an_unknown_local_mode_fails_the_import_naming_the_field() -> None:
    with pytest.raises(
        SparkdSpecError,
        match=r'^task \'t\': local_mode: "local-cluster" is not one of threads, cluster$',
    ):
        sparkK8sJob(task_id="t", file="pi.py", local_mode="local-cluster")
