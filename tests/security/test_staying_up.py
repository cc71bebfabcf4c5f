"""A daemon that stays up under abuse, and output that cannot be abused.

Each hole an adversarial tenant found has its regression test here, with the other spellings of
its class: zombies of ended jobs, a spark-submit that cannot start reported as lost, slow HTTP
clients starving /healthz, streams outliving a revoked token, follow streams leaking threads and
descriptors, PostgreSQL changing port across a restart, control sequences reaching the
terminal, missing security headers, relative paths read on the daemon's side, and a failed
driver counted as an executor. Everything runs against real daemons, real Spark and a real
PostgreSQL (tests/e2e/sparkd_e2e.py).
"""

from __future__ import annotations

import os
import pty
import re
import resource
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sparkd_e2e import ADMIN_TOKEN, EXAMPLES_JAR, ROOT, SPARKD, Daemon, job_pid, process_group_alive, wait_until

JAR = str(EXAMPLES_JAR)
TERMINAL_JOB = {"SUCCEEDED", "FAILED", "CANCELLED"}
# What a hostile job name, reason or driver line carries: retitle, clear screen, bell, an 8-bit
# CSI and a right-to-left override.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\u009b31m\u202eevil"
ESCAPED = "\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m\\u202eevil"


def job_id_of(output: str) -> str:
    match = re.search(r"\b(j[0-9a-z]{20})\b", output)
    assert match, f"no job id in: {output}"
    return match.group(1)


def submit(daemon: Daemon, *args: str) -> str:
    result = daemon.cli("submit", *args)
    assert result.returncode == 0, result.stderr
    return job_id_of(result.stdout)


def zombie_children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue  # a thread that just ended
    zombies = []
    for child in children:
        try:
            stat = Path(f"/proc/{child}/stat").read_text()
        except FileNotFoundError:
            continue
        if stat[stat.rindex(")") + 2] == "Z":
            zombies.append(child)
    return zombies


def thread_and_fd_counts(pid: int) -> tuple[int, int]:
    return len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))


def member_token(daemon: Daemon, team: str) -> tuple[str, str]:
    """A new team with a member token: (token, token id)."""
    created = daemon.cli("admin", "create-team", team)
    assert created.returncode == 0, created.stderr
    issued = daemon.cli("admin", "create-token", team)
    assert issued.returncode == 0, issued.stderr
    token_id = re.search(r"token (\S+?): ", issued.stderr).group(1)
    return issued.stdout.strip(), token_id


def cli_as(daemon: Daemon, token: str, *args: str, **kwargs) -> subprocess.Popen[str]:
    env = dict(daemon.env(), SPARKD_TOKEN=token)
    return subprocess.Popen([str(SPARKD), *args], env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kwargs)


# --- 1. zombies -------------------------------------------------------------------------------


def test_ended_jobs_leave_no_zombie_children(daemon: Daemon) -> None:
    # Every way a job's process ends: success, failure, a cancel that kills its group.
    jobs = [submit(daemon, "--file", JAR, "--class", "io.sparkd.examples.Fail", "--", str(code))
            for code in (0, 3, 0, 1, 0, 3, 0, 1)]
    sleeper = submit(daemon, "--file", JAR, "--class", "io.sparkd.examples.Sleep", "--", "600")
    daemon.wait_for_state(sleeper, {"RUNNING"})
    assert daemon.cli("cancel", sleeper).returncode == 0
    for job_id in [*jobs, sleeper]:
        daemon.wait_for_state(job_id, TERMINAL_JOB)
    wait_until(lambda: not process_group_alive(job_pid(daemon.data_dir / "jobs" / sleeper)), 30,
               "the cancelled job's processes to end")
    pid = daemon.process.pid
    wait_until(lambda: not zombie_children(pid), 10, f"no zombie children of the daemon ({zombie_children(pid)})")


# --- 2. a spark-submit that cannot start ------------------------------------------------------


def raise_stack_limit() -> None:
    # The CLI's own exec must take 600 KiB of arguments whatever the caller's stack limit.
    resource.setrlimit(resource.RLIMIT_STACK, (64 << 20, resource.RLIM_INFINITY))


def test_arguments_an_exec_could_not_take_are_refused_before_launch(daemon: Daemon) -> None:
    # An exec takes at least 128 KiB of arguments (a quarter of the stack limit, never less), and
    # a request carries at most 64 KiB of them: the argument list can no longer be too long for
    # spark-submit's exec (the E2BIG path, which also records "could not start: ... (E2BIG)",
    # is tested on its own in process_test.cc). 600 KiB is refused, naming the field and limit.
    args = ["x" * (100 << 10)] * 6
    result = subprocess.run([str(SPARKD), "submit", "--file", JAR, "--class", "io.sparkd.examples.Fail",
                             "--", *args], capture_output=True, text=True, env=daemon.env(),
                            preexec_fn=raise_stack_limit, timeout=120)
    assert result.returncode == 2, result.stdout
    assert "args: more than 65536 bytes in all" in result.stderr, result.stderr
    assert not zombie_children(daemon.process.pid)


def test_a_path_in_the_jobs_environment_is_refused_naming_it(daemon: Daemon) -> None:
    # The launch chain (the wrapper that records the exit status, spark-submit's shell scripts)
    # resolves commands through PATH: a job cannot set it, in env nor as Spark conf.
    for flags in (["--env", "PATH=/nonexistent"], ["--conf", "spark.executorEnv.PATH=/nonexistent"]):
        result = daemon.cli("submit", "--file", JAR, "--class", "io.sparkd.examples.Fail", *flags, "--", "0")
        assert result.returncode == 2, (flags, result.stdout)
        assert "PATH" in result.stderr, (flags, result.stderr)


# --- 3. slow HTTP clients ---------------------------------------------------------------------


def healthz_seconds(daemon: Daemon) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(f"{daemon.http_url}/healthz", timeout=10) as response:
        assert response.status == 200
    return time.monotonic() - started


def test_slow_clients_cannot_starve_healthz_and_are_closed(daemon: Daemon) -> None:
    # Four spellings of a slow client, 16 of each: a header line every 2 s (httplib's per-recv
    # timeout never trips), a byte a second, nothing at all, a body a byte a second.
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    body_head = b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    kinds = ["lines", "bytes", "silent", "body"] * 16
    conns: dict[socket.socket, str] = {}
    for kind in kinds:
        s = socket.create_connection(("127.0.0.1", daemon.http_port), timeout=5)
        s.setblocking(False)
        if kind == "lines":
            s.send(head)
        elif kind == "body":
            s.send(body_head)
        conns[s] = kind
    open_ = set(conns)
    start = time.monotonic()
    last_send = 0.0
    worst = 0.0
    try:
        while open_ and time.monotonic() - start < 40:
            now = time.monotonic()
            if now - last_send >= 1:
                last_send = now
                for s in list(open_):
                    kind = conns[s]
                    payload = {"lines": b"X-Slow: %d\r\n" % int(now), "bytes": b"X", "body": b"x"}.get(kind)
                    if payload and (kind != "lines" or int(now - start) % 2 == 0):
                        try:
                            s.send(payload)
                        except (BrokenPipeError, ConnectionResetError):
                            open_.discard(s)
            if now - start < 8:  # while every slow client still hangs on
                worst = max(worst, healthz_seconds(daemon))
            readable, _, _ = select.select(list(open_), [], [], 0.2)
            for s in readable:
                try:
                    if not s.recv(65536):
                        open_.discard(s)
                except (ConnectionResetError, BlockingIOError):
                    open_.discard(s)
        assert worst < 3, f"/healthz took {worst:.1f}s while 64 slow clients hung on"
        assert not open_, f"{sorted(conns[s] for s in open_)} still open after 40 s"
        assert healthz_seconds(daemon) < 3
    finally:
        for s in conns:
            s.close()


# --- 4. streams outliving a revoked token -----------------------------------------------------


def test_streams_of_a_revoked_token_end_unauthenticated(daemon: Daemon) -> None:
    token, token_id = member_token(daemon, "stream-team")
    env = dict(daemon.env(), SPARKD_TOKEN=token)
    submitted = subprocess.run([str(SPARKD), "submit", "--file", JAR, "--class", "io.sparkd.examples.Sleep",
                                "--", "600"], capture_output=True, text=True, env=env, timeout=60)
    assert submitted.returncode == 0, submitted.stderr
    job_id = job_id_of(submitted.stdout)
    daemon.wait_for_state(job_id, {"RUNNING"})
    streams = {
        "logs --follow (ReadJobLog)": cli_as(daemon, token, "logs", job_id, "--follow"),
        "run (WatchJob and ReadJobLog)": cli_as(daemon, token, "run", "--file", JAR, "--class",
                                                "io.sparkd.examples.Sleep", "--", "600"),
    }
    try:
        run_job = None

        def run_job_running() -> bool:
            nonlocal run_job
            listing = daemon.cli("list", "--team", "stream-team", "--state", "RUNNING").stdout
            ids = [i for i in re.findall(r"\b(j[0-9a-z]{20})\b", listing) if i != job_id]
            run_job = ids[0] if ids else None
            return run_job is not None

        wait_until(run_job_running, 120, "the job of `sparkd run` to run")
        for name, process in streams.items():
            assert process.poll() is None, f"{name} ended early: {process.communicate()}"
        revoked = daemon.cli("admin", "revoke-token", token_id)
        assert revoked.returncode == 0, revoked.stderr
        revoked_at = time.monotonic()
        for name, process in streams.items():
            _, err = process.communicate(timeout=20)
            assert time.monotonic() - revoked_at < 15, f"{name} streamed on after the revocation"
            assert process.returncode != 0, name
            assert "SPARKD_TOKEN" in err, f"{name}: {err}"  # the CLI's hint for UNAUTHENTICATED
    finally:
        for process in streams.values():
            if process.poll() is None:
                process.kill()
                process.communicate()
        for listed in re.findall(r"\b(j[0-9a-z]{20})\b", daemon.cli("list", "--state", "RUNNING").stdout):
            daemon.cli("cancel", listed)


# --- 5. follow streams leaking threads and descriptors ----------------------------------------


def test_follow_streams_hold_no_thread_and_leave_nothing_behind(daemon: Daemon) -> None:
    job_id = submit(daemon, "--file", JAR, "--class", "io.sparkd.examples.Sleep", "--", "600")
    daemon.wait_for_state(job_id, {"RUNNING"})
    pid = daemon.process.pid
    # gRPC's own executor grows with load up to twice the cores, whatever the streams: the
    # margin for threads. A stream that holds a thread, or a database connection kept per
    # burst, is far past it.
    thread_margin, fd_margin = 2 * (os.cpu_count() or 1) + 2, 3

    def follow_and_cancel(count: int) -> tuple[int, int]:
        """`count` followers at once, cancelled by their clients; the counts while they stream."""
        followers = [subprocess.Popen([str(SPARKD), "logs", job_id, "--follow"], env=daemon.env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                     for _ in range(count)]
        for f in followers:  # each one streams (the log so far) before its client goes away
            ready, _, _ = select.select([f.stdout], [], [], 30)
            assert ready and f.stdout.read1(1), "a follower printed nothing"
        during = thread_and_fd_counts(pid)
        for f in followers:
            # The client goes away: its stream is cancelled. SIGTERM, not SIGINT: a suite started
            # in the background by a non-interactive shell runs with SIGINT ignored.
            f.send_signal(signal.SIGTERM)
        for f in followers:
            f.wait(timeout=30)
            f.stdout.close()
        return during

    follow_and_cancel(1)  # what starts lazily with the first stream is in the baseline
    baseline = thread_and_fd_counts(pid)
    threads_during, _ = follow_and_cancel(100)
    assert threads_during <= baseline[0] + thread_margin, f"100 followers held {threads_during - baseline[0]} threads"

    def settled() -> bool:
        threads, fds = thread_and_fd_counts(pid)
        return threads <= baseline[0] + thread_margin and fds <= baseline[1] + fd_margin

    wait_until(settled, 30, f"threads and fds back to {baseline} (now {thread_and_fd_counts(pid)})")
    daemon.cli("cancel", job_id)


# --- 6. PostgreSQL's port across a stop and a start ------------------------------------------


def test_pg_start_keeps_the_port_of_its_data_dir() -> None:
    # Directly under /tmp, as the e2e fixture does: as root, PostgreSQL runs as its own user,
    # which must reach the folder.
    pg = Path(tempfile.mkdtemp(prefix="sparkd-pg-port-"))
    start = [str(ROOT / "scripts" / "pg-start"), "--no-fsync", str(pg)]
    stop = [str(ROOT / "scripts" / "pg-stop"), str(pg)]
    try:
        first = subprocess.run(start, capture_output=True, text=True, check=True, timeout=120).stdout.strip()
        assert subprocess.run(start, capture_output=True, text=True, check=True).stdout.strip() == first
        subprocess.run(stop, check=True, timeout=60)
        again = subprocess.run(start, capture_output=True, text=True, check=True, timeout=60).stdout.strip()
        assert again == first, "a daemon configured with the first URL would be orphaned"
        subprocess.run(stop, check=True, timeout=60)

        port = int(first.rsplit(":", 1)[1].split("/")[0])
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
            taken = subprocess.run(start, capture_output=True, text=True, timeout=60)
        assert taken.returncode != 0
        assert f"port {port}" in taken.stderr and "taken by another program" in taken.stderr, taken.stderr
        assert subprocess.run(start, capture_output=True, text=True, check=True).stdout.strip() == first
    finally:
        subprocess.run(stop, check=False, timeout=60)
        shutil.rmtree(pg, ignore_errors=True)


# --- 7. control sequences in the CLI's output -------------------------------------------------


def test_cli_output_cannot_drive_the_terminal(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> None:
    # The app lives outside the daemon's data dir, in a folder its file roots allow.
    apps = tmp_path_factory.mktemp("apps")
    daemon.stop()
    daemon.file_roots.append(apps)
    daemon.start()
    app = apps / "hostile.py"
    app.write_text(f"import sys\nprint({HOSTILE!r})\nsys.exit(3)\n")
    run = daemon.cli("run", "--file", str(app))
    assert run.returncode == 1, run.stderr
    job_id = job_id_of(run.stderr)
    # The driver's own output into a pipe stays as the application wrote it.
    assert HOSTILE in run.stdout
    # Everything the CLI prints about the job is escaped: the report's log tail ...
    assert "\x1b" not in run.stderr and "\u202e" not in run.stderr
    assert f"| {ESCAPED}" in run.stderr
    cancelled_reason = daemon.cli("status", job_id)
    assert cancelled_reason.returncode == 0
    assert "\x1b" not in cancelled_reason.stdout and ESCAPED in cancelled_reason.stdout
    # ... and the driver's output on a terminal.
    logs_raw = daemon.cli("logs", job_id)
    assert HOSTILE in logs_raw.stdout
    on_screen = read_through_a_terminal([str(SPARKD), "logs", job_id], daemon.env())
    assert "\x1b" not in on_screen and ESCAPED in on_screen, on_screen

    # A hostile name and cancel reason, if the request validation lets them through at all.
    named = daemon.cli("submit", "--name", HOSTILE, "--file", JAR, "--class", "io.sparkd.examples.Sleep",
                       "--", "600")
    if named.returncode == 2:
        assert "name" in named.stderr
        return
    assert named.returncode == 0, named.stderr
    named_id = job_id_of(named.stdout)
    daemon.cli("cancel", named_id, "--reason", HOSTILE)
    for output in (daemon.cli("list").stdout, daemon.cli("status", named_id).stdout):
        assert "\x1b" not in output and "\u009b" not in output and "\u202e" not in output
        assert ESCAPED in output, output


def read_through_a_terminal(command: list[str], env: dict[str, str]) -> str:
    """Runs `command` with its stdout on a pseudo-terminal; what the terminal received."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(command, stdout=terminal, stderr=subprocess.DEVNULL, env=env)
    os.close(terminal)
    received = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not chunk:
            break
        received += chunk
    process.wait(timeout=30)
    os.close(controller)
    return received.decode("utf-8", "replace")


# --- 8. security headers on every HTTP response -----------------------------------------------


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def test_every_http_response_carries_the_security_headers(daemon: Daemon) -> None:
    job_id = submit(daemon, "--file", JAR, "--class", "io.sparkd.examples.Fail", "--", "0")
    daemon.wait_for_state(job_id, TERMINAL_JOB)
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    cases = [
        ("health", "/healthz", {}, 200),
        ("job page", f"/jobs/{job_id}", auth, 200),
        ("driver log (chunked)", f"/jobs/{job_id}/logs", auth, 200),
        ("no token", f"/jobs/{job_id}", {}, 401),
        ("unknown job", "/jobs/j00000000000000000000", auth, 404),
        ("unknown route", "/nothing/here", {}, 404),
    ]
    for name, path, headers, status in cases:
        request = urllib.request.Request(f"{daemon.http_url}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                got, answer = response.status, response.headers
        except urllib.error.HTTPError as error:
            got, answer = error.code, error.headers
        assert got == status, name
        for header, value in SECURITY_HEADERS.items():
            assert answer.get(header) == value, f"{name}: {header} is {answer.get(header)!r}"
        policy = answer.get("Content-Security-Policy", "")
        assert policy.startswith("default-src 'none'") and "frame-ancestors 'none'" in policy, f"{name}: {policy}"
    # A request httplib refuses before any route (a malformed request line) gets them too.
    with socket.create_connection(("127.0.0.1", daemon.http_port), timeout=10) as s:
        s.sendall(b"NOT-HTTP\r\n\r\n")
        reply = s.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 400") and "X-Content-Type-Options: nosniff" in reply, reply


# --- 9. relative paths, and a failed driver named as the driver -------------------------------


def test_the_readme_run_with_a_relative_path_works(daemon: Daemon, tmp_path: Path) -> None:
    cwd = EXAMPLES_JAR.parent.parent  # the build folder: the README's build/examples/... relative
    relative = os.path.relpath(EXAMPLES_JAR, cwd)
    run = subprocess.run([str(SPARKD), "run", "--quiet", "--file", relative, "--class", "io.sparkd.examples.Fail",
                          "--", "0"], capture_output=True, text=True, env=daemon.env(), cwd=cwd, timeout=300)
    assert run.returncode == 0, run.stderr
    job = daemon.job(job_id_of(run.stderr))
    assert job["request"]["file"] == str(EXAMPLES_JAR)

    for flag in ("--file", "--py-files", "--jars", "--files"):
        args = ["submit", "--class", "X"]
        args += ["--file", "missing/app.jar"] if flag == "--file" else ["--file", JAR, flag, f"{JAR},missing/dep.jar"]
        refused = subprocess.run([str(SPARKD), *args], capture_output=True, text=True, env=daemon.env(),
                                 cwd=tmp_path, timeout=60)
        assert refused.returncode == 2, f"{flag}: {refused.stderr}"
        assert f'{flag}: "missing/' in refused.stderr and "does not exist" in refused.stderr, refused.stderr


def test_a_failed_driver_is_reported_as_the_driver(daemon: Daemon) -> None:
    run = daemon.cli("run", "--quiet", "--file", JAR, "--class", "io.sparkd.examples.Fail", "--", "3")
    assert run.returncode == 1
    job = daemon.job(job_id_of(run.stderr))
    cause = job["report"]["first_fatal_cause"]
    assert cause.startswith("driver APP_ERROR (exit code 3)"), cause
    assert "executor" not in cause and "executor APP_ERROR" not in job["state_message"]
    assert job["report"]["executors_by_reason"] == {}, job["report"]
    assert "cause:     driver APP_ERROR (exit code 3)" in run.stderr

