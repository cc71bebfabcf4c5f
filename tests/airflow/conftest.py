from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags_examples"
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
# The daemon the tests run against (scripts/test starts it with scripts/sparkd-up).
GRPC_ADDR = os.environ.get("SPARKD_GRPC_ADDR", "")
HTTP_URL = os.environ.get("SPARKD_HTTP_URL", "")
DAEMON_TOKEN = os.environ.get("SPARKD_TOKEN", "")
needs_daemon = pytest.mark.skipif(
    not (GRPC_ADDR and HTTP_URL and DAEMON_TOKEN),
    reason="SPARKD_GRPC_ADDR, SPARKD_HTTP_URL and SPARKD_TOKEN are not set: no sparkd daemon to test against",
)


@pytest.fixture(scope="session", autouse=True)
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway AIRFLOW_HOME with a SQLite metadata DB; set before Airflow is imported."""
    home = tmp_path_factory.mktemp("airflow_home")
    for option in ("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "AIRFLOW__SPARKD__DEFAULT_DEFERRABLE"):
        os.environ.pop(option, None)
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        }
    )
    return home


def airflow_base_env(home: Path) -> dict[str, str]:
    """The environment of `airflow` commands with a migrated metadata DB under `home`, no
    connection and no deferrable option set."""
    env = {
        **os.environ,
        "PATH": f"{Path(AIRFLOW).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
    }
    env.pop("AIRFLOW_CONN_SPARKD_DEFAULT", None)
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    return env


def sparkd_conn(grpc_addr: str, http_url: str, token: str) -> str:
    """The connection to a daemon in the JSON form of AIRFLOW_CONN_<ID>."""
    host, port = grpc_addr.rsplit(":", 1)
    conn = {
        "conn_type": "sparkd",
        "host": host,
        "port": int(port),
        "password": token or None,
        "extra": {"http_base_url": http_url},
    }
    return json.dumps(conn)


def airflow_env(home: Path, grpc_addr: str, http_url: str, token: str) -> dict[str, str]:
    """airflow_base_env plus the connection `sparkd_default` to the daemon at
    `grpc_addr`/`http_url`. No deferrable option is set: the operator must defer on Airflow's
    shipped configuration."""
    return {**airflow_base_env(home), "AIRFLOW_CONN_SPARKD_DEFAULT": sparkd_conn(grpc_addr, http_url, token)}
