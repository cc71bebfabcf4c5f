"""Every job option `sparkd run` takes is an operator parameter too: read from the built CLI's --help."""

from __future__ import annotations

import inspect
import re
import subprocess
from pathlib import Path

from sparkd_provider.operators.sparkd import SparkK8sJobOperator

SPARKD = Path(__file__).resolve().parents[2] / "build" / "daemon" / "sparkd"
# The CLI's flag -> the operator's parameter, where the names differ.
RENAMES = {"class": "class_name", "label": "labels", "local-cluster": "local_mode"}
# Flags of the CLI that are not job options, each with why the operator has none.
NOT_JOB_OPTIONS = {
    "key": "the operator derives the idempotency key from dag_id/task_id/run_id/map_index",
    "server": "the daemon comes from the Airflow connection (sparkd_conn_id)",
    "quiet": "CLI output; the task log always has the report",
}


def test_every_flag_of_sparkd_run_has_an_operator_parameter() -> None:
    # The suite builds the daemon first (scripts/test): a missing binary is a broken setup.
    assert SPARKD.exists(), f"{SPARKD} is not built: run scripts/setup"
    usage = subprocess.run([SPARKD, "run", "--help"], capture_output=True, text=True, timeout=30)
    flags = set(re.findall(r"(?<![\w-])--([a-z][a-z-]*)", usage.stdout + usage.stderr))
    assert {"file", "class", "executor-memory", "secret-env", "local-cluster"} <= flags, usage
    parameters = set(inspect.signature(SparkK8sJobOperator.__init__).parameters)
    missing = {
        flag: RENAMES.get(flag, flag.replace("-", "_"))
        for flag in flags - set(NOT_JOB_OPTIONS)
        if RENAMES.get(flag, flag.replace("-", "_")) not in parameters
    }
    assert missing == {}, "sparkd run flags without an operator parameter"
    assert set(NOT_JOB_OPTIONS) <= flags, "an exception names a flag the CLI no longer has"
