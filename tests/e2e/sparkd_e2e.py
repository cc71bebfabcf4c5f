"""Fixtures for end-to-end tests: a private PostgreSQL, and sparkd daemons on free loopback ports
running real Spark from the project's pyspark. Nothing here is faked."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyspark
import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("SPARKD_BUILD_DIR", ROOT / "build"))
SPARKD = BUILD / "daemon" / "sparkd"
EXAMPLES_JAR = BUILD / "examples" / "sparkd-examples.jar"
# The folders whose files the tests' daemons let jobs name (--file-roots): the example jar's
# and the example PySpark jobs'.
FILE_ROOTS = [EXAMPLES_JAR.parent, ROOT / "dags_examples" / "jobs"]
SPARK_HOME = Path(pyspark.__file__).parent
# The token the tests' daemons bootstrap as admin and the CLI sends.
ADMIN_TOKEN = "e2e-admin-" + uuid.uuid4().hex


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Polls `condition` until it returns something truthy; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    existing = os.environ.get("SPARKD_TEST_PG_URL")
    if existing:
        yield existing
        return
    pg_dir = tempfile.mkdtemp(prefix="sparkd-e2e-pg-")
    url = subprocess.check_output([ROOT / "scripts" / "pg-start", "--no-fsync", pg_dir], text=True).strip()
    yield url
    subprocess.run([ROOT / "scripts" / "pg-stop", pg_dir], check=False)


@dataclass
class Daemon:
    """One `sparkd serve` process and the CLI pointed at it."""

    database_url: str
    data_dir: Path
    grpc_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    history_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    file_roots: list[Path] = field(default_factory=lambda: list(FILE_ROOTS))
    extra_args: list[str] = field(default_factory=list)  # more `sparkd serve` settings

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(SPARKD_SERVER=self.grpc_address, SPARKD_TOKEN=ADMIN_TOKEN,
                   SPARKD_BOOTSTRAP_ADMIN_TOKEN=ADMIN_TOKEN)
        return env

    def start(self) -> None:
        self.log_path = self.data_dir / f"daemon-{time.monotonic_ns()}.log"
        command = [
            str(SPARKD), "serve",
            "--database-url", self.database_url,
            "--spark-home", str(SPARK_HOME),
            "--data-dir", str(self.data_dir),
            "--grpc-listen", self.grpc_address,
            "--http-listen", f"127.0.0.1:{self.http_port}",
            "--history-port", str(self.history_port),
            "--node-id", "e2e",
            "--python", str(Path(os.sys.executable)),
            "--file-roots", ",".join(str(root) for root in self.file_roots),
            *self.extra_args,
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env())
        wait_until(self._healthy, 30, f"sparkd /healthz (log: {self.log_path})")

    def _healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            pytest.fail(f"sparkd exited with {self.process.returncode}: {self.log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Sends `sig` and waits; returns the exit status (None if it was not running)."""
        status = None
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            status = self.process.wait(timeout=30)
        self.process = None
        return status

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SPARKD), *args], capture_output=True, text=True, timeout=timeout,
                              env=self.env())

    def job(self, job_id: str) -> dict:
        request = urllib.request.Request(f"{self.http_url}/jobs/{job_id}",
                                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def wait_for_state(self, job_id: str, states: set[str], timeout: float = 180) -> dict:
        def reached() -> dict | None:
            job = self.job(job_id)
            return job if job["state"] in states else None

        return wait_until(reached, timeout, f"job {job_id} to reach {states}")


@pytest.fixture
def daemon(postgres_url: str, tmp_path: Path) -> Iterator[Daemon]:
    """A daemon on a fresh database and data folder."""
    name = "e2e_" + uuid.uuid4().hex[:12]
    admin_url = postgres_url
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    instance = Daemon(database_url=admin_url.rsplit("/", 1)[0] + "/" + name, data_dir=tmp_path)
    instance.start()
    yield instance
    assert instance.stop() in (0, None), f"sparkd did not shut down cleanly: {instance.log_path}"
    # The daemon stops the history server it started, or adopted after a restart.
    history = job_pid(tmp_path / "history")
    if history:
        wait_until(lambda: not process_group_alive(history), 30, "the history server to stop")
    for job_dir in (tmp_path / "jobs").glob("*"):
        kill_job_processes(job_dir)
    subprocess.run(["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


def job_pid(job_dir: Path) -> int | None:
    pid_file = job_dir / "pid"
    if not pid_file.exists():
        return None
    return int(pid_file.read_text().split()[1])


def process_group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def kill_job_processes(job_dir: Path) -> None:
    """Leaves no Spark process behind a test, whatever it did."""
    pid = job_pid(job_dir)
    if pid and process_group_alive(pid):
        os.killpg(pid, signal.SIGKILL)
