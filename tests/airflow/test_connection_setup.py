"""The connection setup of provider/README.md, run exactly as written, and the connection form's
Test button against a real daemon.

The README's three forms (`airflow connections add`, the URI and the JSON form of
AIRFLOW_CONN_SPARKD_DEFAULT) are cut out of the README and run by bash; then a fresh Python reads
the connection through SparkdHook as a task would. The Test button is what Airflow runs for it:
`airflow connections test` and the API route the UI posts to (/api/v2/connections/test), which
hands the hook the connection as a URI of its own making.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AIRFLOW, DAEMON_TOKEN, GRPC_ADDR, HTTP_URL, airflow_base_env, needs_daemon, sparkd_conn

README = Path(__file__).resolve().parents[2] / "provider" / "README.md"
TOKEN = "sparkd_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
EXPECTED = {
    "host": "sparkd.internal",
    "port": 9741,
    "target": "sparkd.internal:9741",
    "token": TOKEN,
    "http_base_url": "https://sparkd.internal:8443",
    "tls": True,
}
READ_SETTINGS = """
import json
from sparkd_provider.hooks.sparkd import SparkdHook
hook = SparkdHook()
conn, settings = hook.get_connection(hook.sparkd_conn_id), hook.settings
print("SETTINGS=" + json.dumps({"host": conn.host, "port": conn.port, "target": settings.target,
    "token": settings.token, "http_base_url": settings.http_base_url, "tls": settings.tls}))
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {**airflow_base_env(tmp_path_factory.mktemp("airflow_conn")), "AIRFLOW__CORE__TEST_CONNECTION": "Enabled"}


def _readme_block(starts_with: str) -> str:
    section = README.read_text().split("## Connection", 1)[1].split("\n## ", 1)[0]
    blocks = [b for b in re.findall(r"```bash\n(.*?)```", section, re.S) if b.startswith(starts_with)]
    assert len(blocks) == 1, f"provider/README.md's Connection section has one block starting {starts_with!r}"
    return blocks[0]


def _bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-euc", script], env=env, capture_output=True, text=True, timeout=300)


def _settings_after(block: str, env: dict[str, str]) -> dict[str, object]:
    run = _bash(f"{block}\nexec {sys.executable} -c '{READ_SETTINGS}'", env)
    assert run.returncode == 0, run.stdout + run.stderr
    line = next(line for line in run.stdout.splitlines() if line.startswith("SETTINGS="))
    return json.loads(line.removeprefix("SETTINGS="))


@pytest.mark.parametrize(
    "starts_with", ["export AIRFLOW_CONN_SPARKD_DEFAULT='sparkd://", "export AIRFLOW_CONN_SPARKD_DEFAULT='{"]
)
def test_the_readme_environment_forms_give_the_hook_every_setting(env: dict[str, str], starts_with: str) -> None:
    assert _settings_after(_readme_block(starts_with), env) == EXPECTED


def test_the_readme_connections_add_command_gives_the_hook_every_setting(env: dict[str, str], tmp_path: Path) -> None:
    add = _bash(_readme_block("airflow connections add"), env)
    assert add.returncode == 0, add.stdout + add.stderr
    # Outside a task Airflow 3's hooks do not see the metadata database (only the environment
    # and secrets backends), so the hook reads it in a task, through Airflow's execution API.
    (tmp_path / "read_conn.py").write_text(
        "from datetime import datetime\n"
        "from airflow.sdk import DAG, task\n"
        "with DAG(dag_id='read_conn', schedule=None, start_date=datetime(2026, 1, 1)):\n"
        "    @task\n"
        "    def read():\n"
        + "".join(f"        {line}\n" for line in READ_SETTINGS.strip().splitlines())
        + "    read()\n"
    )
    try:
        assert "AIRFLOW_CONN_SPARKD_DEFAULT" not in env
        run = _bash("exec airflow dags test read_conn", {**env, "AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path)})
        assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]
        line = next(line for line in (run.stdout + run.stderr).splitlines() if "SETTINGS=" in line)
        assert json.loads(line.split("SETTINGS=", 1)[1]) == EXPECTED
    finally:
        _bash("airflow connections delete sparkd_default", env)


def test_the_form_has_labelled_fields_for_every_setting(env: dict[str, str]) -> None:
    script = (
        "from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService\n"
        "meta = [m for m in HookMetaService.hook_meta_data() if m.connection_type == 'sparkd']\n"
        "print('META=' + meta[0].model_dump_json())\n"
    )
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    meta = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("META="))[5:])
    standard = meta["standard_fields"]
    assert (standard["host"]["title"], standard["port"]["title"], standard["password"]["title"]) == (
        "gRPC host",
        "gRPC port",
        "Team token",
    )
    assert standard["login"]["hidden"] and standard["url_schema"]["hidden"]
    extra = {name: field["schema"] for name, field in meta["extra_fields"].items()}
    assert extra["http_base_url"] == {"title": "HTTP base URL", "type": ["string", "null"]}
    assert extra["tls"] == {"title": "TLS", "type": ["boolean", "null"]}
    assert extra["dashboard_url_template"]["title"] == "Dashboard URL template"


def _connections_test(env: dict[str, str], conn: str) -> str:
    run = subprocess.run(
        [AIRFLOW, "connections", "test", "sparkd_default"],
        env={**env, "AIRFLOW_CONN_SPARKD_DEFAULT": conn},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return run.stdout + run.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_daemon
def test_test_button_passes_with_the_teams_token(env: dict[str, str]) -> None:
    out = _connections_test(env, sparkd_conn(GRPC_ADDR, HTTP_URL, DAEMON_TOKEN))
    assert "Connection success!" in out, out[-3000:]


@needs_daemon
def test_test_button_names_a_refused_token(env: dict[str, str]) -> None:
    out = _connections_test(env, sparkd_conn(GRPC_ADDR, HTTP_URL, "sparkd_" + "0" * 64))
    assert "Connection failed!" in out, out[-3000:]
    assert f"sparkd gRPC at {GRPC_ADDR}: token (the connection's password) is refused: " in out


@needs_daemon
def test_test_button_names_an_unreachable_daemon(env: dict[str, str]) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    out = _connections_test(env, sparkd_conn(address, HTTP_URL, DAEMON_TOKEN))
    assert "Connection failed!" in out, out[-3000:]
    assert f"sparkd gRPC at {address}: health check failed: UNAVAILABLE" in out


@needs_daemon
def test_test_button_names_an_http_base_url_that_does_not_answer(env: dict[str, str]) -> None:
    http_url = f"http://127.0.0.1:{_closed_port()}"
    out = _connections_test(env, sparkd_conn(GRPC_ADDR, http_url, DAEMON_TOKEN))
    assert "Connection failed!" in out, out[-3000:]
    assert f"but HTTP base URL {http_url}/healthz cannot be reached" in out


@needs_daemon
@pytest.mark.parametrize(("token", "ok"), [(DAEMON_TOKEN, True), ("sparkd_revoked", False)])
def test_the_ui_test_route_round_trips_the_form_through_a_uri(env: dict[str, str], token: str, ok: bool) -> None:
    host, port = GRPC_ADDR.rsplit(":", 1)
    body = {
        "connection_id": "sparkd_from_the_form",
        "conn_type": "sparkd",
        "host": host,
        "port": int(port),
        "password": token,
        # What the form writes into extra: its fields' values under their names.
        "extra": json.dumps({"http_base_url": HTTP_URL, "tls": False, "dashboard_url_template": ""}),
    }
    script = (
        "import json, sys\n"
        "from airflow.api_fastapi.core_api.datamodels.connections import ConnectionBody\n"
        "from airflow.api_fastapi.core_api.routes.public.connections import test_connection\n"
        "reply = test_connection(ConnectionBody(**json.loads(sys.argv[1])))\n"
        "print('REPLY=' + reply.model_dump_json())\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, json.dumps(body)], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    reply = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("REPLY="))[6:])
    assert reply["status"] is ok, reply
    expected = "serving, token accepted; HTTP base URL" if ok else "token (the connection's password) is refused"
    assert f"sparkd gRPC at {GRPC_ADDR}: " in reply["message"]
    assert expected in reply["message"]
