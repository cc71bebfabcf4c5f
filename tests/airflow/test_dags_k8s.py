"""`airflow dags test` of dags_examples/sparkd_k8s.py against a daemon on the k8s-native backend:
the task defers, the daemon creates the driver pod on the test control plane (kwok runs it, as
the harness's preset in tests/airflow/k8s_presets says), and the task ends with the report.

Needs SPARKD_K8S_STACK_ENV: the sparkd.env of `scripts/sparkd-up --k8s K8S_ENV DIR` (scripts/test
starts one beside the local daemon, and applies tests/airflow/k8s_presets to it).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import urllib.request
from pathlib import Path

import pytest
from conftest import AIRFLOW, airflow_env

STACK_ENV = os.environ.get("SPARKD_K8S_STACK_ENV", "")
pytestmark = pytest.mark.skipif(
    not STACK_ENV, reason="SPARKD_K8S_STACK_ENV is not set: no sparkd daemon on k8s-native to test against"
)


def read_env(path: Path) -> dict[str, str]:
    """The variables of a sparkd.env file (lines `export NAME=VALUE`)."""
    pairs = (line[len("export ") :].partition("=") for line in path.read_text().splitlines())
    return {name: " ".join(shlex.split(value)) for name, _, value in pairs if value}


def test_k8s_dag_runs_its_driver_as_a_pod_and_reports(tmp_path: Path) -> None:
    stack = read_env(Path(STACK_ENV))
    http_url, token = stack["SPARKD_HTTP_URL"], stack["SPARKD_TOKEN"]
    env = airflow_env(tmp_path, stack["SPARKD_GRPC_ADDR"], http_url, token)
    run = subprocess.run(
        [AIRFLOW, "dags", "test", "sparkd_k8s", "2026-01-01T00:00:00+00:00"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-5000:]
    assert "Final report" in log and "SUCCEEDED" in log, log[-5000:]
    job_id = re.search(rf"{re.escape(http_url.rstrip('/'))}/jobs/([0-9a-z-]+)", log)
    assert job_id, "the task log links the job page"

    request = urllib.request.Request(
        f"{http_url}/jobs/{job_id[1]}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        job = json.load(response)
    assert job["state"] == "SUCCEEDED", job
    driver = next(x for x in job["executors"] if x["executor_id"] == "driver")
    assert driver["pod_name"] == f"sparkd-{job_id[1]}-driver", driver
    assert driver["reason"] == "SUCCEEDED", driver
    assert f"backend: k8s-native default/sparkd-{job_id[1]}-driver" in log, log[-5000:]
