"""Secrets kept secret: env values and secrets off command lines, the database, the API and the
event log; the Spark UIs reachable only through the daemon, one job's application at a time;
signed links that expire and keys that rotate. Real daemons, real Spark, real PostgreSQL."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import re
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from sparkd_e2e import ADMIN_TOKEN, EXAMPLES_JAR, ROOT, SPARKD, Daemon, wait_until

JAR = str(EXAMPLES_JAR)
REDACTED = "*********(redacted)"

# A PySpark job that reports, as SHA-256 digests (never the values), which of its variables the
# driver and the executor processes see, then waits for a marker file so the test can look at
# the running processes.
APP = """
import hashlib, os, sys, time
from pyspark.sql import SparkSession

NAMES = ["DB_PASSWORD", "MODE", "API_TOKEN", "FROM_CONF"]

def digests(_):
    seen = {n: hashlib.sha256(os.environ[n].encode()).hexdigest() if n in os.environ else "unset"
            for n in NAMES}
    yield (os.getppid(), tuple(sorted(seen.items())))

spark = SparkSession.builder.getOrCreate()
for (name, digest) in next(digests(None))[1]:
    print(f"driver {name} {digest}", flush=True)
driver_jvm = os.getppid()
for parent, seen in set(spark.sparkContext.parallelize(range(4), 4).mapPartitions(digests).collect()):
    for (name, digest) in seen:
        print(f"executor {'in-driver' if parent == driver_jvm else 'separate'} {name} {digest}",
              flush=True)
print("WAITING", flush=True)
deadline = time.time() + 300
while not os.path.exists(sys.argv[1]) and time.time() < deadline:
    time.sleep(0.2)
spark.stop()
"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def cli(daemon: Daemon, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = daemon.env()
    env["SPARKD_TOKEN"] = token
    return subprocess.run([str(SPARKD), *args], capture_output=True, text=True, timeout=300, env=env)


def new_team(daemon: Daemon, name: str) -> str:
    created = daemon.cli("admin", "create-team", name)
    assert created.returncode == 0, created.stderr
    token = daemon.cli("admin", "create-token", name)
    assert token.returncode == 0, token.stderr
    return token.stdout.strip()


def write_secret(daemon: Daemon, team: str, name: str, key: str, value: str) -> None:
    path = daemon.data_dir / "secrets" / team / name / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value)


def job_id_of(output: str) -> str:
    match = re.search(r"\b(j[0-9a-z]{20})\b", output)
    assert match, f"no job id in: {output}"
    return match.group(1)


def http_get(daemon: Daemon, target: str, headers: dict[str, str] | None = None) -> tuple[int, dict, str]:
    """GET `target` exactly as written (no normalisation of dot segments or escapes)."""
    connection = http.client.HTTPConnection("127.0.0.1", daemon.http_port, timeout=60)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode(errors="replace")
    finally:
        connection.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_links(output: str) -> dict[str, str]:
    return {name: re.search(rf"{label}:\s+(\S+)", output).group(1)
            for name, label in (("page", "job page"), ("ui", "Spark UI"), ("logs", "logs"))}


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def all_command_lines() -> dict[int, bytes]:
    lines = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # ended meanwhile, or not ours to read
                lines[int(entry.name)] = (entry / "cmdline").read_bytes()
    return lines


def database_dump(daemon: Daemon) -> str:
    return subprocess.run(["pg_dump", "--data-only", daemon.database_url], capture_output=True, text=True,
                          check=True).stdout


def test_env_and_secrets_stay_off_command_lines_the_database_the_api_and_the_event_log(
        daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> None:
    apps = tmp_path_factory.mktemp("apps")  # a file root of the daemon, outside its data dir
    daemon.stop()
    daemon.file_roots.append(apps)
    daemon.start()
    blue = new_team(daemon, "blue")
    secret = "s3cr3t-from-the-store-" + uuid.uuid4().hex
    plain = "plain-password-" + uuid.uuid4().hex
    conf_secret = "conf-secret-" + uuid.uuid4().hex
    from_conf = "via-executor-env-conf-" + uuid.uuid4().hex
    write_secret(daemon, "blue", "creds", "token", secret)
    app = apps / "env_app.py"
    app.write_text(APP)
    marker = daemon.data_dir / "go-on"

    submitted = cli(daemon, blue, "submit", "--file", str(app), "--local-cluster", "--num-executors", "2",
                    "--executor-memory", "512m", "--env", f"DB_PASSWORD={plain}", "--env", "MODE=adhoc",
                    "--secret-env", "API_TOKEN=creds:token",
                    "--conf", f"spark.hadoop.fs.s3a.secret.key={conf_secret}",
                    "--conf", f"spark.executorEnv.FROM_CONF={from_conf}",
                    "--conf", f"spark.sparkd.probe.api_key={conf_secret}", "--", str(marker))
    assert submitted.returncode == 0, submitted.stderr
    job_id = job_id_of(submitted.stdout)
    links = signed_links(submitted.stdout)
    job_dir = daemon.data_dir / "jobs" / job_id
    wait_until(lambda: (job_dir / "driver.log").exists() and "WAITING" in (job_dir / "driver.log").read_text(),
               240, "the job to report what its processes see")

    # Every process of the job got every variable: the driver, and local-cluster's executors
    # (separate JVMs forked by the in-process workers).
    log = (job_dir / "driver.log").read_text()
    expected = {"DB_PASSWORD": sha(plain), "MODE": sha("adhoc"), "API_TOKEN": sha(secret),
                "FROM_CONF": sha(from_conf)}
    for name, digest in expected.items():
        assert f"driver {name} {digest}" in log, log
        assert f"executor separate {name} {digest}" in log, log
    assert "executor in-driver" not in log, "local-cluster executors must be separate processes"

    # No command line on the host holds a value, while the job runs...
    lines = all_command_lines()
    assert any(b"SparkSubmit" in line and str(app).encode() in line for line in lines.values()), \
        "the job's spark-submit JVM should be among the processes looked at"
    for value in (secret, plain, conf_secret, from_conf):
        holders = [pid for pid, line in lines.items() if value.encode() in line]
        assert not holders, f"a value is on the command line of {holders}"
    # ... where the secret-looking conf went to a file only the daemon's user reads.
    properties = job_dir / "private.properties"
    assert properties.stat().st_mode & 0o777 == 0o600
    assert conf_secret in properties.read_text()

    # The live Spark UI is served through the daemon, its links stay on the proxy, its kill links
    # are refused, and its environment page shows the secret-looking conf redacted.
    ui = path_of(links["ui"])
    status, headers, _ = http_get(daemon, ui)
    assert status == 302 and headers["Location"] == f"/jobs/{job_id}/ui/", (status, headers)
    cookie = headers["Set-Cookie"].split(";")[0]
    assert f"Path=/jobs/{job_id}/ui" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]
    page = page_when_ready(daemon, f"/jobs/{job_id}/ui/jobs/", {"Cookie": cookie})
    assert "Spark Jobs" in page, page[:500]
    assert f'href="/jobs/{job_id}/ui/' in page
    status, _, environment = http_get(daemon, f"/jobs/{job_id}/ui/environment/", {"Cookie": cookie})
    assert status == 200 and "spark.hadoop.fs.s3a.secret.key" in environment
    assert conf_secret not in environment and secret not in environment and plain not in environment
    for kill in ("jobs/job/kill/?id=0", "stages/stage/kill/?id=0&terminate=true"):
        status, _, _ = http_get(daemon, f"/jobs/{job_id}/ui/{kill}", {"Cookie": cookie})
        assert status == 404, kill

    marker.write_text("go")
    daemon.wait_for_state(job_id, {"SUCCEEDED"}, timeout=180)

    # Spark's own event log redacts the same names (spark.redaction.regex is the daemon's).
    event_log = next((job_dir / "events").iterdir()).read_text()
    for value in (secret, plain, conf_secret, from_conf):
        assert value not in event_log
    environment_update = next(json.loads(line) for line in event_log.splitlines()
                              if '"SparkListenerEnvironmentUpdate"' in line)
    spark_properties = dict(environment_update["Spark Properties"])
    assert spark_properties["spark.hadoop.fs.s3a.secret.key"] == REDACTED
    # Spark's default pattern does not cover "api_key"; the daemon's does.
    assert spark_properties["spark.sparkd.probe.api_key"] == REDACTED
    assert "spark.redaction.regex" in spark_properties

    # The API, the pages (signed link and token) and the CLI show the values redacted and the
    # reference as it is.
    status, _, page = http_get(daemon, path_of(links["page"]))
    assert status == 200
    shown = json.loads(page)
    assert shown["request"]["env"] == {"DB_PASSWORD": REDACTED, "MODE": "adhoc"}
    assert shown["request"]["secret_env"] == {"API_TOKEN": {"name": "creds", "key": "token"}}
    assert shown["request"]["conf"]["spark.hadoop.fs.s3a.secret.key"] == REDACTED
    resolved_env = {e["name"]: e for e in shown["resolved_spec"]["env"]}
    assert resolved_env["DB_PASSWORD"]["value"] == REDACTED
    assert resolved_env["API_TOKEN"]["valueFrom"] == {"secretKeyRef": {"name": "creds", "key": "token"}}
    status_output = cli(daemon, blue, "status", job_id)
    for text in (page, status_output.stdout, status_output.stderr):
        for value in (secret, plain, conf_secret):
            assert value not in text

    # The database holds the plain values a relaunch needs, never the secret; no log holds any.
    dump = database_dump(daemon)
    assert secret not in dump
    assert plain in dump, "plain env is stored on purpose (a job queued across a crash is launched from it)"
    daemon_log = daemon.log_path.read_text()
    for value in (secret, plain, conf_secret, from_conf):
        assert value not in daemon_log
    for path in daemon.data_dir.rglob("*"):
        if path.is_file() and "secrets" not in path.relative_to(daemon.data_dir).parts:
            assert secret.encode() not in path.read_bytes(), f"the secret is in {path}"


def test_secret_references_are_checked_at_submit_and_never_name_a_path(daemon: Daemon) -> None:
    blue = new_team(daemon, "blue")
    new_team(daemon, "red")
    write_secret(daemon, "blue", "creds", "token", "blue-value")
    write_secret(daemon, "red", "red-only", "token", "red-value")
    base = ["submit", "--file", JAR, "--class", "io.sparkd.examples.SparkPi"]
    # The CLI exits 2 for INVALID_ARGUMENT, 1 for FAILED_PRECONDITION.
    refused = {
        "creds:missing": (1, 'secret_env.X: secret "creds" of team blue has no key "missing"'),
        "nope:token": (1, 'secret_env.X: there is no secret "nope" of team blue'),
        # Another team's secret is not there for blue, under its name or as a path.
        "red-only:token": (1, 'there is no secret "red-only" of team blue'),
        "../red/red-only:token": (2, 'secret_env.X.name: secret name "../red/red-only"'),
        "creds:../../red/red-only/token": (2, "secret_env.X.key"),
        "creds:..": (2, "secret_env.X.key"),
        "creds:%2e%2e": (2, "secret_env.X.key"),
        "creds:a\\b": (2, "secret_env.X.key"),
    }
    for ref, (exit_code, message) in refused.items():
        result = cli(daemon, blue, *base, "--secret-env", f"X={ref}")
        assert result.returncode == exit_code and message in result.stderr, (ref, result.stderr)
        for value in ("blue-value", "red-value"):
            assert value not in result.stderr
        assert str(daemon.data_dir) not in result.stderr, "messages must not reveal the daemon's paths"
    both = cli(daemon, blue, *base, "--env", "X=plain", "--secret-env", "X=creds:token")
    assert both.returncode == 2 and "secret_env.X: also set in env" in both.stderr
    for malformed in ("X", "X=creds", "X=:token", "X=creds:", "=creds:token"):
        result = cli(daemon, blue, *base, "--secret-env", malformed)
        assert result.returncode == 2 and "is not NAME=SECRET:KEY" in result.stderr, malformed
    listed = cli(daemon, blue, "list")
    assert re.search(r"\bj[0-9a-z]{20}\b", listed.stdout) is None, "no refused submit may create a job"


def test_a_secret_gone_before_launch_fails_the_job_naming_secret_and_key(daemon: Daemon) -> None:
    blue = new_team(daemon, "blue")
    write_secret(daemon, "blue", "creds", "token", "short-lived")
    daemon.stop()
    daemon.extra_args = ["--run-jobs", "false"]  # accept the job, launch none
    daemon.start()
    submitted = cli(daemon, blue, "submit", "--file", JAR, "--class", "io.sparkd.examples.SparkPi",
                    "--secret-env", "API_TOKEN=creds:token")
    assert submitted.returncode == 0, submitted.stderr
    job_id = job_id_of(submitted.stdout)
    (daemon.data_dir / "secrets" / "blue" / "creds" / "token").unlink()
    daemon.stop()
    daemon.extra_args = []
    daemon.start()
    job = daemon.wait_for_state(job_id, {"FAILED"}, timeout=60)
    assert 'launch failed: secret_env.API_TOKEN: secret "creds" of team blue has no key "token"' in \
        job["state_message"], job["state_message"]
    assert not (daemon.data_dir / "jobs" / job_id / "pid").exists(), "nothing may start without its secret"


def test_every_reply_redacts_names_that_look_secret(daemon: Daemon) -> None:
    names = ("db_password", "GITHUB_TOKEN", "API_KEY", "PGPASSWD", "GOOGLE_APPLICATION_CREDENTIALS",
             "AWS_SECRET_ACCESS_KEY")
    values = {name: f"value-{uuid.uuid4().hex}" for name in names}
    conf = {"spark.hadoop.fs.s3a.access.key": "ak-" + uuid.uuid4().hex,
            "spark.ssl.keyPassword": "kp-" + uuid.uuid4().hex,
            "spark.driver.extraJavaOptions": "-Ddb.password=" + uuid.uuid4().hex}
    args = ["--file", JAR, "--class", "io.sparkd.examples.SparkPi", "--env", "MODE=adhoc"]
    for name, value in values.items():
        args += ["--env", f"{name}={value}"]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]

    resolved = daemon.cli("resolve", *args)
    assert resolved.returncode == 0, resolved.stderr
    submitted = daemon.cli("submit", *args)
    assert submitted.returncode == 0, submitted.stderr
    job_id = job_id_of(submitted.stdout)
    page = daemon.job(job_id)
    status, _, signed_page = http_get(daemon, path_of(signed_links(submitted.stdout)["page"]))
    assert status == 200
    for text in (resolved.stdout, json.dumps(page), signed_page):
        for value in [*values.values(), *conf.values()]:
            assert value not in text
        assert "adhoc" in text
    assert all(page["request"]["env"][name] == REDACTED for name in values)
    assert all(page["request"]["conf"][key] == REDACTED for key in conf)
    daemon.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})


def history_server_listens_on_loopback_only(port: int) -> bool:
    """True when the only sockets listening on `port` are bound to 127.0.0.1 (IPv4 or mapped)."""
    listening = []
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for row in (table.read_text().splitlines()[1:] if table.exists() else []):
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                listening.append(address)
    assert listening, f"nothing listens on {port}"
    return all(a in ("0100007F", "0000000000000000FFFF00000100007F") for a in listening)


def page_when_ready(daemon: Daemon, target: str, headers: dict[str, str]) -> str:
    """The page once the UI serves it: the history server answers 404 until it has loaded a
    finished application, and the live UI exists only once the driver runs."""
    def ready() -> str | None:
        status, _, body = http_get(daemon, target, headers)
        return body if status == 200 else None

    return wait_until(ready, 90, f"{target} to be served")


def test_ui_proxy_reaches_the_jobs_own_application_only(daemon: Daemon) -> None:
    blue, red = new_team(daemon, "blue"), new_team(daemon, "red")
    jobs = {}
    for team, token in (("blue", blue), ("red", red)):
        result = cli(daemon, token, "run", "--quiet", "--file", JAR, "--class", "io.sparkd.examples.SparkPi", "--", "2")
        assert result.returncode == 0, result.stderr
        job_id = job_id_of(result.stderr)
        jobs[team] = (job_id, daemon.job(job_id)["spark_app_id"], signed_links(result.stderr)["ui"])
    (a, app_a, link_a), (b, app_b, _) = jobs["blue"], jobs["red"]
    assert history_server_listens_on_loopback_only(daemon.history_port)

    status, headers, _ = http_get(daemon, path_of(link_a))
    assert status == 302
    cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    page = page_when_ready(daemon, f"/jobs/{a}/ui/", cookie)
    assert app_a in page and "Spark Jobs" in page and app_b not in page

    def refused(target: str, headers: dict[str, str]) -> None:
        status, _, body = http_get(daemon, target, headers)
        assert status in (400, 401, 404), (target, status)
        assert app_b not in body and "SparkPi" not in body, target

    # Another application, the listing, the history server's own pages, in every spelling.
    for rest in (f"history/{app_b}/jobs/", f"history/{app_b}/environment/", f"../history/{app_b}/jobs/",
                 f"%2e%2e/history/{app_b}/", f"%252e%252e/history/{app_b}/", f"history/{app_a}/../{app_b}/jobs/",
                 f"history/{app_a}/%2e%2e/{app_b}/jobs/", f"history%2F{app_b}%2Fjobs%2F", f"..%5Chistory%5C{app_b}",
                 "api/v1/applications", "api/v1/applications/", f"api/v1/applications/{app_b}/environment",
                 f"api/v1/applications/{app_b}/logs", "api/v1/version", "history/", "history"):
        refused(f"/jobs/{a}/ui/{rest}", cookie)
        refused(f"/jobs/{a}/ui/{rest}", bearer(blue))
    # Pages of its own app are there, also by a live UI's path.
    for rest in (f"history/{app_a}/environment/", "environment/", f"api/v1/applications/{app_a}/jobs"):
        status, _, body = http_get(daemon, f"/jobs/{a}/ui/{rest}", cookie)
        assert status == 200 and app_b not in body, rest
    # Blue's cookie and token are no key to red's job, and nothing opens without credentials.
    refused(f"/jobs/{b}/ui/", cookie)
    refused(f"/jobs/{b}/ui/", bearer(blue))
    refused(f"/jobs/{b}/ui/", {"Cookie": f"sparkd_ui={cookie['Cookie'].split('=', 1)[1]}"})
    refused(f"/jobs/{a}/ui/", {})
    refused(f"/jobs/{a}/ui/", {"Cookie": "sparkd_ui=" + "1.1." + "0" * 64})
    assert app_b in page_when_ready(daemon, f"/jobs/{b}/ui/", bearer(red))


def test_signed_links_expire_and_say_so(daemon: Daemon) -> None:
    daemon.stop()
    daemon.extra_args = ["--link-ttl", "8s"]
    daemon.start()
    submitted = daemon.cli("submit", "--file", JAR, "--class", "io.sparkd.examples.SparkPi")
    assert submitted.returncode == 0, submitted.stderr
    links = signed_links(submitted.stdout)
    exp = int(re.search(r"exp=(\d+)", links["page"]).group(1))
    assert 0 < exp - time.time() <= 9
    assert http_get(daemon, path_of(links["page"]))[0] == 200

    def expired() -> str | None:
        status, _, body = http_get(daemon, path_of(links["page"]))
        return body if status == 401 else None

    message = json.loads(wait_until(expired, 30, "the link to expire"))["message"]
    assert "this link expired at" in message and "sparkd status JOB_ID" in message, message
    for name in ("ui", "logs"):
        status, _, body = http_get(daemon, path_of(links[name]))
        assert status == 401 and "expired" in body, name
    # A later expiry under the same signature, and an old link without one, are refused.
    status, _, _ = http_get(daemon, path_of(links["page"]).replace(f"exp={exp}", f"exp={exp + 3600}"))
    assert status == 401
    status, _, body = http_get(daemon, path_of(links["page"]).split("?")[0] + "?sig=" + "0" * 64)
    assert status == 401 and "no expiry" in body
    # A token still opens the page.
    assert http_get(daemon, path_of(links["page"]).split("?")[0], bearer(ADMIN_TOKEN))[0] == 200


def test_link_keys_rotate_and_retire_on_every_replica(daemon: Daemon, tmp_path: Path) -> None:
    blue = new_team(daemon, "blue")
    submitted = daemon.cli("submit", "--file", JAR, "--class", "io.sparkd.examples.SparkPi")
    assert submitted.returncode == 0, submitted.stderr
    job_id = job_id_of(submitted.stdout)
    old = path_of(signed_links(submitted.stdout)["page"])
    assert "&kid=1&" in old
    other = Daemon(database_url=daemon.database_url, data_dir=tmp_path / "replica",
                   extra_args=["--run-jobs", "false"])
    (tmp_path / "replica").mkdir()
    other.start()
    try:
        refused = cli(daemon, blue, "admin", "rotate-link-key")
        assert refused.returncode == 1 and "only platform admins manage the link signing keys" in refused.stderr

        rotated = daemon.cli("admin", "rotate-link-key")
        assert rotated.returncode == 0, rotated.stderr
        assert "key 2 signs the job links from now on" in rotated.stderr
        assert re.search(r"^1\s+\S+\s+-$", rotated.stdout, re.M), rotated.stdout
        new = path_of(signed_links(daemon.cli("status", job_id).stdout)["page"])
        assert "&kid=2&" in new
        for replica in (daemon, other):  # the other replica loads key 2 when a link names it
            assert http_get(replica, new)[0] == 200
            assert http_get(replica, old)[0] == 200

        retired = daemon.cli("admin", "rotate-link-key", "--retire-older-than", "0s")
        assert retired.returncode == 0, retired.stderr
        listed = daemon.cli("admin", "list-link-keys")
        assert re.search(r"^3\s+\S+\s+-$", listed.stdout, re.M), listed.stdout
        assert re.search(r"^[12]\s+\S+\s+\d{4}-", listed.stdout, re.M), listed.stdout
        assert not re.search(r"[0-9a-f]{64}", listed.stdout + retired.stdout), "keys are never shown"
        for replica in (daemon, other):
            def refused_by(r: Daemon = replica) -> str | None:
                status, _, body = http_get(r, old)
                return body if status == 401 else None

            assert "retired" in wait_until(refused_by, 45, "the retirement to reach the replica")
            assert http_get(replica, new)[0] == 401
        newest = path_of(signed_links(other.cli("status", job_id).stdout)["page"])
        assert "&kid=3&" in newest and http_get(daemon, newest)[0] == 200
    finally:
        other.stop()
    bad = daemon.cli("admin", "rotate-link-key", "--retire-older-than", "soon")
    assert bad.returncode == 2 and "is not a duration" in bad.stderr


def test_the_old_link_secret_becomes_key_one_and_leaves_its_old_table(postgres_url: str, tmp_path: Path) -> None:
    name = "sec_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", postgres_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    try:
        # The schema as the release before 0006 left it, with its link secret.
        psql = ["psql", url, "-q", "-v", "ON_ERROR_STOP=1"]
        subprocess.run([*psql, "-c", "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT"
                        " NULL, applied_at timestamptz NOT NULL DEFAULT now())"], check=True)
        for sql in sorted((ROOT / "sql").glob("[0-9][0-9][0-9][0-9]_*.sql")):
            if int(sql.name[:4]) >= 6:
                break
            subprocess.run([*psql, "-1", "-f", str(sql)], check=True)
            subprocess.run([*psql, "-c", f"INSERT INTO schema_migrations VALUES ({int(sql.name[:4])}, '{sql.stem}')"],
                           check=True)
        old_secret = uuid.uuid4().hex * 2
        subprocess.run([*psql, "-c", "INSERT INTO daemon_secrets (name, value)"
                        f" VALUES ('link-signing', '{old_secret}')"], check=True)
        daemon = Daemon(database_url=url, data_dir=tmp_path)
        daemon.start()
        try:
            submitted = daemon.cli("submit", "--file", JAR, "--class", "io.sparkd.examples.SparkPi")
            assert submitted.returncode == 0, submitted.stderr
            job_id = job_id_of(submitted.stdout)
            page = signed_links(submitted.stdout)["page"]
            exp = re.search(r"exp=(\d+)", page).group(1)
            # The link is signed with the old secret, now key 1.
            mac = hmac.new(old_secret.encode(), f"sparkd-link\n{job_id}\n{exp}".encode(), "sha256").hexdigest()
            assert page.endswith(f"exp={exp}&kid=1&sig={mac}"), page
            left = subprocess.run([*psql, "-tAc", "SELECT count(*) FROM daemon_secrets WHERE name = 'link-signing'"],
                                  capture_output=True, text=True, check=True).stdout.strip()
            assert left == "0"
            daemon.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
        finally:
            daemon.stop()
    finally:
        subprocess.run(["psql", postgres_url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


def test_sealed_link_keys_need_their_encryption_key(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    submitted = daemon.cli("submit", "--file", JAR, "--class", "io.sparkd.examples.SparkPi")
    assert submitted.returncode == 0, submitted.stderr
    job_id = job_id_of(submitted.stdout)
    daemon.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
    daemon.stop()
    passphrase = "passphrase-" + uuid.uuid4().hex
    monkeypatch.setenv("SPARKD_LINK_KEY_ENCRYPTION_KEY", passphrase)
    daemon.start()  # seals the key it finds in place
    dump = database_dump(daemon)
    assert re.search(r"\taes256gcm:[0-9a-f]{24}:[0-9a-f]+\t", dump), "the key must be sealed in place"
    assert not re.search(r"\t[0-9a-f]{64}\t", dump), "no key may stay in the clear"
    link = path_of(signed_links(daemon.cli("status", job_id).stdout)["page"])
    assert http_get(daemon, link)[0] == 200
    assert passphrase not in daemon.log_path.read_text()
    daemon.stop()

    monkeypatch.delenv("SPARKD_LINK_KEY_ENCRYPTION_KEY")
    command = [str(SPARKD), "serve", "--database-url", daemon.database_url, "--data-dir", str(daemon.data_dir),
               "--spark-home", "/nonexistent", "--run-jobs", "false", "--http-listen", "127.0.0.1:0",
               "--grpc-listen", "127.0.0.1:0"]
    without = subprocess.run(command, capture_output=True, text=True, timeout=60, env=daemon.env())
    assert without.returncode != 0
    assert "is sealed: set link-key-encryption-key" in without.stderr, without.stderr
    monkeypatch.setenv("SPARKD_LINK_KEY_ENCRYPTION_KEY", "another-" + passphrase)
    wrong = subprocess.run(command, capture_output=True, text=True, timeout=60, env=daemon.env())
    assert wrong.returncode != 0 and "does not open with this link-key-encryption-key" in wrong.stderr
    monkeypatch.setenv("SPARKD_LINK_KEY_ENCRYPTION_KEY", passphrase)
    daemon.start()
    assert http_get(daemon, link)[0] == 200
