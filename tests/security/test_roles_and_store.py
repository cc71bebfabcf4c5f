"""An adversarial tenant against a real daemon: roles that reach past their team, a namespace
claimed twice, an idempotency key reused for another request, a listing blown up by huge jobs,
and database text in error messages."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import uuid
from pathlib import Path

from sparkd_e2e import ADMIN_TOKEN, EXAMPLES_JAR, ROOT, SPARKD, Daemon

JAR = str(EXAMPLES_JAR)
# Words only SQL, libpq or the server's own messages would bring into an error.
DATABASE_WORDS = ("SELECT", "INSERT", "UPDATE ", " FROM ", "WHERE", "$1", "jsonb", "ERROR:",
                  "syntax", "relation", "byte sequence", "violates", "PostgreSQL", "libpq")


def cli_as(daemon: Daemon, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = daemon.env()
    env["SPARKD_TOKEN"] = token
    return subprocess.run([str(SPARKD), *args], capture_output=True, text=True, timeout=120, env=env)


def create_token(daemon: Daemon, token: str, team: str, role: str) -> str:
    issued = cli_as(daemon, token, "admin", "create-token", team, "--role", role)
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip()


def token_id_of(stderr: str) -> str:
    return re.search(r"token (tok_[0-9a-f]+)", stderr).group(1)


def assert_no_database_text(text: str) -> None:
    for word in DATABASE_WORDS:
        assert word not in text, f"{word!r} in {text!r}"


def test_team_admin_manages_its_own_team_and_nothing_else(daemon: Daemon) -> None:
    for team in ("blue", "red"):
        assert daemon.cli("admin", "create-team", team).returncode == 0
    # The old spelling is refused rather than guessed: it used to grant every team.
    old = daemon.cli("admin", "create-token", "blue", "--role", "admin")
    assert old.returncode != 0 and "not member, team-admin or platform-admin" in old.stderr
    issued = daemon.cli("admin", "create-token", "blue", "--role", "team-admin")
    assert issued.returncode == 0, issued.stderr
    assert "team admin of team blue" in issued.stderr and "no other team's" in issued.stderr
    blue_admin = issued.stdout.strip()
    red_member = daemon.cli("admin", "create-token", "red")
    red_member_id = token_id_of(red_member.stderr)

    refused = {
        "create a team": ("admin", "create-team", "mallory"),
        "mint for red": ("admin", "create-token", "red"),
        "mint a platform admin": ("admin", "create-token", "blue", "--role", "platform-admin"),
        "list red's tokens": ("admin", "list-tokens", "--team", "red"),
        "revoke red's token": ("admin", "revoke-token", red_member_id),
        "list red's jobs": ("list", "--team", "red"),
        "read red's presets": ("presets", "list", "red"),
    }
    for what, args in refused.items():
        result = cli_as(daemon, blue_admin, *args)
        assert result.returncode != 0, f"{what}: {result.stdout}"
    # Red's token still works: the revocation above did nothing.
    assert cli_as(daemon, red_member.stdout.strip(), "list").returncode == 0

    # Within its team it is an admin: tokens and presets.
    member = cli_as(daemon, blue_admin, "admin", "create-token", "blue")
    assert member.returncode == 0 and "member of team blue" in member.stderr
    listed = cli_as(daemon, blue_admin, "admin", "list-tokens")
    assert listed.returncode == 0, listed.stderr
    assert " red " not in listed.stdout and "platform-admin" not in listed.stdout
    assert "team-admin" in listed.stdout
    applied = cli_as(daemon, blue_admin, "presets", "apply", str(ROOT / "deploy" / "presets"),
                     "--team", "blue")
    assert applied.returncode == 0, applied.stderr
    teams = cli_as(daemon, blue_admin, "admin", "list-teams")
    assert teams.returncode == 0 and "blue" in teams.stdout and "red" not in teams.stdout


def test_existing_admin_tokens_migrate_to_team_admins(postgres_url: str, tmp_path: Path) -> None:
    """A database from before sql/0005 with the bootstrap token and an admin token of team blue,
    both `admin`: after the upgrade the bootstrap token still manages every team, blue's only
    blue."""
    name = "pre5_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", postgres_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    blue_token = "sparkd_" + uuid.uuid4().hex
    script = ["CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
              " applied_at timestamptz NOT NULL DEFAULT now());"]
    for path in sorted((ROOT / "sql").glob("000[1-4]_*.sql")):
        script.append(path.read_text())
        script.append(f"INSERT INTO schema_migrations VALUES ({int(path.name[:4])}, '{path.stem}');")

    def token_row(token_id: str, team: str, token: str) -> str:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return f"('{token_id}', '{team}', 'admin', decode('{digest}', 'hex'))"

    script.append(
        "INSERT INTO teams (name, namespaces) VALUES ('admin', '{}'), ('blue', '{spark-blue}');"
        "INSERT INTO api_tokens (id, team, role, token_hash) VALUES "
        f"{token_row('tok_boot', 'admin', ADMIN_TOKEN)}, {token_row('tok_blue', 'blue', blue_token)};")
    try:
        subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-1", "-c", "\n".join(script)],
                       check=True, capture_output=True, text=True)
        upgraded = Daemon(database_url=url, data_dir=tmp_path)
        upgraded.start()
        try:
            assert cli_as(upgraded, blue_token, "admin", "create-team", "mallory").returncode != 0
            assert cli_as(upgraded, blue_token, "admin", "create-token", "blue").returncode == 0
            created = upgraded.cli("admin", "create-team", "green", "--namespace", "spark-green")
            assert created.returncode == 0, created.stderr
            taken = upgraded.cli("admin", "create-team", "thief", "--namespace", "spark-blue")
            assert taken.returncode != 0 and "belongs to team blue" in taken.stderr
            tokens = upgraded.cli("admin", "list-tokens")
            assert re.search(r"tok_boot\s+admin\s+platform-admin", tokens.stdout), tokens.stdout
            assert re.search(r"tok_blue\s+blue\s+team-admin", tokens.stdout), tokens.stdout
        finally:
            upgraded.stop()
    finally:
        subprocess.run(["psql", postgres_url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       check=False)


def test_a_namespace_belongs_to_one_team_even_when_creates_race(daemon: Daemon) -> None:
    assert daemon.cli("admin", "create-team", "etl", "--namespace", "spark-etl").returncode == 0
    taken = daemon.cli("admin", "create-team", "thief", "--namespace", "spark-etl")
    assert taken.returncode != 0
    assert '"spark-etl" already belongs to team etl' in taken.stderr
    assert "thief" not in daemon.cli("admin", "list-teams").stdout

    racers = [subprocess.Popen([str(SPARKD), "admin", "create-team", f"racer-{i}", "--namespace",
                                "spark-contested"], env=daemon.env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for i in range(6)]
    results = [(racer.wait(timeout=60), racer.stderr.read()) for racer in racers]
    for racer in racers:
        racer.stdout.close()
        racer.stderr.close()
    assert [code for code, _ in results].count(0) == 1, results
    for code, stderr in results:
        assert code == 0 or "already belongs to team racer-" in stderr, stderr


def test_a_key_reused_for_another_request_is_refused_naming_the_job(daemon: Daemon) -> None:
    args = ["submit", "--key", "dag/task/run/0", "--file", JAR, "--class", "io.sparkd.examples.Fail",
            "--conf", "spark.app.tag=nightly", "--", "0"]
    first = daemon.cli(*args)
    assert first.returncode == 0, first.stderr
    job_id = first.stdout.split()[0]
    again = daemon.cli(*args)
    assert again.returncode == 0 and again.stdout.split()[0] == job_id
    assert "(already submitted)" in again.stdout
    for changed in (["--conf", "spark.app.tag=hourly"], ["--name", "other"], ["--", "1"]):
        different = [*args[:-2], *changed] if changed[0] == "--" else [*args[:-2], *changed, "--", "0"]
        refused = daemon.cli(*different)
        assert refused.returncode != 0, changed
        assert f"already used for a different request (job {job_id})" in refused.stderr, refused.stderr
    daemon.wait_for_state(job_id, {"SUCCEEDED"})


def test_huge_jobs_never_break_a_listing(daemon: Daemon) -> None:
    """Four jobs holding 1 MiB conf values (and one a huge state message) once made every
    `sparkd list` of the team fail on gRPC's 4 MiB limit, even with --limit 3."""
    rows = []
    for i in range(4):
        request = json.dumps({"file": JAR, "conf": {"spark.huge": "x" * (1 << 20)}})
        message = "m" * (3 << 20) if i == 3 else "accepted"
        rows.append(f"('huge{i}', 'admin', 'huge/{i}', 'SUCCEEDED', '{message}', '{request}',"
                    f" 'parked', now() + interval '{i} seconds', now())")
    insert = ("INSERT INTO jobs (id, team, idempotency_key, state, state_message, request, backend,"
              " created_at, updated_at) VALUES " + ", ".join(rows))
    # Stored directly, as another daemon version or a validation gap could have stored them.
    subprocess.run(["psql", daemon.database_url, "-q", "-v", "ON_ERROR_STOP=1"], input=insert,
                   check=True, capture_output=True, text=True)
    for limit in ("3", "20"):
        listing = daemon.cli("list", "--limit", limit)
        assert listing.returncode == 0, listing.stderr
        ids = re.findall(r"^(huge\d)", listing.stdout, re.MULTILINE)
        assert ids == ["huge3", "huge2", "huge1"][: int(limit)] + (["huge0"] if limit == "20" else [])
        assert len(listing.stdout) < 10_000
    shown = daemon.job("huge0")
    assert len(shown["request"]["conf"]["spark.huge"]) == 1 << 20


def test_no_error_message_carries_database_text(daemon: Daemon, tmp_path: Path) -> None:
    """A NUL character reaches the store from a preset file: YAML's "\\0" escape decodes to one,
    and PostgreSQL's jsonb cannot hold it. The answer names no SQL and is not INTERNAL."""
    assert daemon.cli("admin", "create-team", "blue").returncode == 0
    spellings = {
        "description": 'description: "nul \\0 here"\n',
        "conf value": 'conf: {spark.app.tag: "a\\0b"}\n',
        "label": 'labels: {owner: "a\\0b"}\n',
        "env value": 'env: [{name: A, value: "a\\0b"}]\n',
    }
    for what, yaml in spellings.items():
        folder = tmp_path / what.replace(" ", "_")
        folder.mkdir()
        (folder / "nul_test.yaml").write_text(yaml)
        result = daemon.cli("presets", "apply", str(folder), "--team", "blue")
        assert result.returncode != 0, f"{what}: {result.stdout}"
        assert "database error" not in result.stderr, f"{what}: {result.stderr}"
        assert_no_database_text(result.stderr)
