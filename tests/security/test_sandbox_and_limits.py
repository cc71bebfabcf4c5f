"""No way out of a team's sandbox, and bounded inputs: what a tenant holding a member token tried
against the local backend, each hole with its regression test and the other spellings of its
class, against real daemons running real Spark."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sparkd_e2e import BUILD, EXAMPLES_JAR, Daemon

JAR = str(EXAMPLES_JAR)
PI = str(Path(__file__).resolve().parents[2] / "dags_examples" / "jobs" / "pi.py")
INVALID_ARGUMENT = 2  # the CLI's exit status for INVALID_ARGUMENT

# Prints what a job got: its arguments and the Spark conf keys a tenant tried to take over.
SHOW_APP = """\
import sys
from pyspark.sql import SparkSession

spark = SparkSession.builder.getOrCreate()
conf = spark.sparkContext.getConf()
print("ARGV", sys.argv[1:])
for key in ["spark.master", "spark.kubernetes.authenticate.driver.serviceAccountName",
            "spark.eventLog.dir", "spark.ui.port"]:
    print("CONF", key, conf.get(key, None))
spark.stop()
"""


def cli_as(daemon: Daemon, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = daemon.env()
    env["SPARKD_TOKEN"] = token
    return subprocess.run([str(BUILD / "daemon" / "sparkd"), *args], capture_output=True, text=True,
                          timeout=120, env=env)


def refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == INVALID_ARGUMENT, (result.returncode, result.stdout, result.stderr)
    assert message in result.stderr, result.stderr
    assert "usage:" not in result.stderr, "the CLI refused it, not the daemon"


def team_token(daemon: Daemon, team: str) -> str:
    created = daemon.cli("admin", "create-team", team)
    assert created.returncode == 0, created.stderr
    token = daemon.cli("admin", "create-token", team)
    assert token.returncode == 0, token.stderr
    return token.stdout.strip().splitlines()[-1]


def no_jobs(daemon: Daemon) -> bool:
    listing = daemon.cli("list")
    assert listing.returncode == 0, listing.stderr
    return re.search(r"\bj[0-9a-z]{20}\b", listing.stdout) is None


@pytest.fixture
def apps(daemon: Daemon, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of the tenant's own files, outside the data folder, added to the daemon's roots."""
    folder = tmp_path_factory.mktemp("apps")
    (folder / "show.py").write_text(SHOW_APP)
    daemon.stop()
    daemon.file_roots.append(folder)
    daemon.start()
    return folder


def test_a_file_that_is_an_option_is_refused_in_every_place_spark_submit_reads_options(
    daemon: Daemon,
) -> None:
    # The reported hole: file "--conf" took the first arg as a conf entry and ran "app.jar".
    refused(daemon.cli("submit", "--file=--conf", "--class", "X", "--",
                       "spark.kubernetes.authenticate.driver.serviceAccountName=cluster-admin",
                       "app.jar"),
            "file: \"--conf\" starts with '-'; spark-submit would read it as an option")
    for flags, message in [
        (["--file=--master", "--", "local[1]"], "file: \"--master\" starts with '-'"),
        (["--file=-v.py"], "file: \"-v.py\" starts with '-'"),
        (["--file", JAR, "--class=--conf"], "class_name: \"--conf\" is not a Java class name"),
        (["--file", PI, "--py-files=--conf"], "py_files[0]: \"--conf\" starts with '-'"),
        (["--file", JAR, "--class", "X", "--jars", f"{JAR},--master"], "jars[1]: \"--master\""),
        (["--file", PI, "--files=--deploy-mode"], "files[0]: \"--deploy-mode\" starts with '-'"),
    ]:
        refused(daemon.cli("submit", *flags), message)
        refused(daemon.cli("resolve", *flags), message)
    # spark-submit's own resource names are relative paths to the CLI, which resolves those and
    # refuses the missing ones before sending (the daemon's refusal of the bare names is
    # daemon/core/file_policy_test.cc's).
    for name in ("spark-internal", "pyspark-shell"):
        result = daemon.cli("submit", "--file", name, "--class", "X")
        assert result.returncode == INVALID_ARGUMENT, result.stderr
        assert f'--file: "{name}" does not exist' in result.stderr, result.stderr
    assert no_jobs(daemon)


def test_arguments_after_the_file_reach_the_application_and_the_daemons_conf_holds(
    daemon: Daemon, apps: Path
) -> None:
    tricks = ["--conf", "spark.kubernetes.authenticate.driver.serviceAccountName=cluster-admin",
              "--master", "yarn", "--conf", "spark.eventLog.dir=/tmp/elsewhere"]
    result = daemon.cli("run", "--file", str(apps / "show.py"), "--", *tricks)
    assert result.returncode == 0, result.stderr
    assert f"ARGV {tricks!r}" in result.stdout
    assert "CONF spark.master local[2]" in result.stdout
    assert "CONF spark.kubernetes.authenticate.driver.serviceAccountName None" in result.stdout
    job_id = re.search(r"\b(j[0-9a-z]{20})\b", result.stderr).group(1)
    events = f"CONF spark.eventLog.dir file://{daemon.data_dir}/jobs/{job_id}/events"
    assert events in result.stdout, result.stdout


def test_jvm_options_cannot_set_spark_conf_nor_read_options_from_a_file(daemon: Daemon) -> None:
    # The reported hole: the service account arrived through a -D inside extraJavaOptions.
    refused(daemon.cli("submit", "--file", JAR, "--class", "X", "--conf",
                       "spark.driver.extraJavaOptions="
                       "-Dspark.kubernetes.authenticate.driver.serviceAccountName=cluster-admin"),
            'conf."spark.driver.extraJavaOptions": '
            "-Dspark.kubernetes.authenticate.driver.serviceAccountName sets Spark conf as a JVM "
            "system property")
    for key, value, message in [
        ("spark.executor.extraJavaOptions", "-XX:+UseG1GC -Dspark.kubernetes.namespace=kube-system",
         "-Dspark.kubernetes.namespace sets Spark conf"),
        ("spark.driver.defaultJavaOptions", "-D'spark'.master=yarn", "-Dspark.master sets Spark conf"),
        ("spark.executor.defaultJavaOptions", '"-Dspark.eventLog.dir=/x"', "-Dspark.eventLog.dir"),
        ("spark.yarn.am.extraJavaOptions", "-D\\spark.ui.port=1", "-Dspark.ui.port"),
        ("spark.driver.extraJavaOptions", "-Da=1\u3000-Dspark.master=yarn", "-Dspark.master"),
        ("spark.driver.extraJavaOptions", "@/tmp/jvm-options", "makes the JVM read options from a file"),
        ("spark.driver.extraJavaOptions", "-XX:VMOptionsFile=/tmp/o", "read options from a file"),
        ("spark.driver.extraJavaOptions", "-Dx='unclosed", "an unclosed quote"),
    ]:
        refused(daemon.cli("submit", "--file", JAR, "--class", "X", "--conf", f"{key}={value}"),
                message)
    ok = daemon.cli("resolve", "--file", JAR, "--class", "X", "--conf",
                    "spark.driver.extraJavaOptions=-XX:+UseG1GC -Dapp.mode='nightly run'")
    assert ok.returncode == 0, ok.stderr
    assert no_jobs(daemon)


def test_the_environment_the_launch_chain_reads_is_refused_in_env_and_in_conf(daemon: Daemon) -> None:
    names = ["SPARK_CONF_DIR", "SPARK_SUBMIT_OPTS", "SPARK_DRIVER_OPTS", "SPARK_JAVA_OPTS",
             "SPARK_JAVA_OPT_0", "SPARK_HOME", "SPARK_LOCAL_DIRS", "SPARK_USER", "JAVA_TOOL_OPTIONS",
             "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "JAVA_HOME", "CLASSPATH", "PATH", "LD_PRELOAD",
             "LD_LIBRARY_PATH", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "PYTHONPATH",
             "PYTHONSTARTUP", "HADOOP_CONF_DIR", "HADOOP_USER_NAME", "KUBECONFIG", "SPARKD_JOB_ID",
             "BASH_ENV", "java_tool_options"]
    for name in names:
        refused(daemon.cli("submit", "--file", PI, "--env", f"{name}=/tmp/x"),
                f'the environment variable "{name}" is read by')
    for prefix in ["spark.executorEnv.", "spark.kubernetes.driverEnv.", "spark.yarn.appMasterEnv.",
                   "spark.kubernetes.executor.secretKeyRef."]:
        refused(daemon.cli("submit", "--file", PI, "--conf", f"{prefix}LD_PRELOAD=/tmp/x.so"),
                "sets the environment variable LD_PRELOAD, which is read by the dynamic loader")
    ok = daemon.cli("resolve", "--file", PI, "--env", "MODE=nightly", "--conf",
                    "spark.executorEnv.MODE=nightly")
    assert ok.returncode == 0, ok.stderr
    assert no_jobs(daemon)


OWNED = ["spark.eventLog.enabled", "spark.eventLog.compress", "spark.ui.port", "spark.ui.proxyBase",
         "spark.master", "spark.submit.deployMode", "spark.app.id", "spark.driver.host",
         "spark.driver.bindAddress", "spark.driver.port", "spark.blockManager.port",
         "spark.local.dir", "spark.kubernetes.driver.pod.name",
         "spark.kubernetes.executor.podNamePrefix", "spark.kubernetes.resourceStagingServer.uri",
         "spark.kubernetes.submitInDriver", "spark.redaction.regex", "spark.history.ui.port",
         "spark.metrics.conf", "spark.jars.ivy"]


def test_no_team_writes_its_event_log_into_another_teams_job_folder(
    daemon: Daemon, tmp_path_factory: pytest.TempPathFactory
) -> None:
    blue, red = team_token(daemon, "blue"), team_token(daemon, "red")
    ran = cli_as(daemon, red, "run", "--quiet", "--file", JAR, "--class", "io.sparkd.examples.SparkPi",
                 "--", "2")
    assert ran.returncode == 0, ran.stderr
    red_job = re.search(r"\b(j[0-9a-z]{20})\b", ran.stderr).group(1)
    red_folder = daemon.data_dir.resolve() / "jobs" / red_job
    before = sorted(p.name for p in (red_folder / "events").iterdir())
    assert len(before) == 1

    target = f"file://{red_folder}/events"
    for conf, message in [
        (f"spark.eventLog.dir={target}",
         'conf."spark.eventLog.dir": set by sparkd (the event log is the daemon\'s record of the '
         "job); neither a preset nor a request may set it"),
        (f"spark.EventLog.Dir={target}", 'conf."spark.EventLog.Dir": set by sparkd'),
        (f"spark.driver.extraJavaOptions=-Dspark.eventLog.dir={target}", "-Dspark.eventLog.dir"),
        (f" spark.eventLog.dir={target}", "contains whitespace"),
    ]:
        refused(cli_as(daemon, blue, "submit", "--file", JAR, "--class", "X", "--conf", conf), message)
    refused(cli_as(daemon, blue, "submit", "--file", JAR, "--class", "X", "--env",
                   f"SPARK_CONF_DIR={red_folder}"), 'the environment variable "SPARK_CONF_DIR"')
    for key in OWNED:
        refused(cli_as(daemon, blue, "submit", "--file", JAR, "--class", "X", "--conf", f"{key}=1"),
                f'conf."{key}": set by sparkd')

    # Nor through the team's presets, which its admins (tenants too) write.
    presets = tmp_path_factory.mktemp("presets")
    (presets / "sneaky.yaml").write_text(f"conf: {{spark.eventLog.dir: '{target}'}}\n")
    refused(daemon.cli("presets", "apply", str(presets), "--team", "blue"),
            'conf."spark.eventLog.dir": set by sparkd')
    (presets / "sneaky.yaml").write_text("conf: {spark.driver.extraJavaOptions: -Dspark.eventLog.dir=/x}\n")
    refused(daemon.cli("presets", "apply", str(presets), "--team", "blue"), "-Dspark.eventLog.dir")

    # Nor read another job's files.
    refused(cli_as(daemon, blue, "submit", "--file", PI, "--files", str(red_folder / "driver.log")),
            "is inside sparkd's data folder")
    assert sorted(p.name for p in (red_folder / "events").iterdir()) == before
    blue_jobs = cli_as(daemon, blue, "list")
    assert blue_jobs.returncode == 0, blue_jobs.stderr
    assert re.search(r"\bj[0-9a-z]{20}\b", blue_jobs.stdout) is None, blue_jobs.stdout


def test_files_must_lie_under_a_root_outside_the_data_folder(daemon: Daemon, apps: Path) -> None:
    other_job = daemon.data_dir.resolve() / "jobs" / "j00000000000000000000" / "driver.log"
    other_job.parent.mkdir(parents=True)
    other_job.write_text("another team's output")
    (apps / "passwd.py").symlink_to("/etc/passwd")
    (apps / "peek.py").symlink_to(other_job)
    (apps / "etc").symlink_to("/etc")
    roots = ", ".join(str(root.resolve()) for root in daemon.file_roots)
    cases = [
        (["--file", "/etc/shadow"], f'file: "/etc/shadow" is not under an allowed root ({roots})'),
        # The CLI makes a relative path absolute from where it runs; a climb out of the folder
        # still meets the daemon's roots (more "../" than any working directory is deep).
        (["--file", "../" * 64 + "etc/passwd"], 'file: "/etc/passwd" is not under an allowed root'),
        (["--file", f"{apps}/../../etc/passwd"], "contains \"..\""),
        (["--file", str(other_job)], "is inside sparkd's data folder"),
        (["--file", f"file://{other_job}"], "is inside sparkd's data folder"),
        (["--file", "file:///etc/shadow"], "is not under an allowed root"),
        (["--file", "local:///etc/shadow"], "is not under an allowed root"),
        (["--file", f"file:{apps}/%2e%2e/%2e%2e/etc/passwd"], "holds '%', '?' or '#'"),
        (["--file", "file://elsewhere/etc/shadow"], 'names the host "elsewhere"'),
        (["--file", "http://203.0.113.7/app.py"], 'the scheme "http" is not allowed'),
        (["--file", "ftp://203.0.113.7/app.py"], 'the scheme "ftp" is not allowed'),
        (["--file", str(apps / "passwd.py")], 'resolves to "/etc/passwd", which is not under'),
        (["--file", str(apps / "peek.py")], "which is inside sparkd's data folder"),
        (["--file", PI, "--py-files", str(apps / "etc" / "shadow")], "py_files[0]: "),
        (["--file", PI, "--jars", "/etc/shadow"], 'jars[0]: "/etc/shadow" is not under'),
        (["--file", PI, "--files", f"{PI},/root/.ssh/id_rsa"], 'files[1]: "/root/.ssh/id_rsa"'),
        (["--file", PI, "--conf", "spark.jars=/etc/shadow"], 'conf."spark.jars"[0]: "/etc/shadow"'),
        (["--file", PI, "--conf", "spark.files=/etc/shadow"], 'conf."spark.files"[0]'),
        (["--file", PI, "--conf", "spark.driver.extraClassPath=/etc"], 'conf."spark.driver.extraClassPath"[0]'),
        (["--file", PI, "--conf", "spark.jars.ivySettings=/etc/ivy.xml"], 'conf."spark.jars.ivySettings"'),
    ]
    for flags, message in cases:
        refused(daemon.cli("submit", *flags), message)
        refused(daemon.cli("resolve", *flags), message)
    for allowed in [PI, f"file://{PI}", str(apps / "show.py"), "s3a://bucket/jobs/app.py",
                    "https://artifacts.example.com/app.py", "hdfs:///apps/app.py"]:
        ok = daemon.cli("resolve", "--file", allowed)
        assert ok.returncode == 0, (allowed, ok.stderr)
    assert no_jobs(daemon)


def test_inputs_are_bounded_per_field_and_per_request(daemon: Daemon) -> None:
    many_conf = [arg for i in range(8000) for arg in ("--conf", f"spark.custom.key{i}=1")]
    for command in ("submit", "resolve"):
        refused(daemon.cli(command, "--file", PI, *many_conf), "conf: 8000 keys; at most 500")
    cases = [
        (["--file", "/" + "a" * 5000 + ".py"], "file: 5004 bytes; at most 4096"),
        (["--file", JAR, "--class", "a" * 100_000], "class_name: 100000 bytes; at most 4096"),
        (["--file", PI, "--name", "n" * 201], "name: 201 bytes; at most 200"),
        (["--file", PI, "--", *["x"] * 1001], "args: 1001 entries; at most 1000"),
        (["--file", PI, "--", *["x" * 10_000] * 7], "args: more than 65536 bytes in all"),
        (["--file", PI, *[a for i in range(201) for a in ("--env", f"E{i}=1")]],
         "env: 201 entries; at most 200"),
        (["--file", PI, *[a for i in range(65) for a in ("--label", f"l{i}=1")]],
         "labels: 65 labels; at most 64"),
        (["--file", PI, "--conf", "spark.x" + "k" * 300 + "=1"], "conf: a key of 307 bytes; at most 256"),
        (["--file", PI, "--conf", "spark.driver.extraJavaOptions=" + "x" * 20_000],
         'conf."spark.driver.extraJavaOptions": 20000 bytes; at most 16384'),
        (["--file", PI, *[a for i in range(300) for a in ("--conf", f"spark.k{i}={'v' * 1000}")]],
         "bytes of text; at most 262144"),
    ]
    for flags, message in cases:
        refused(daemon.cli("submit", *flags), message)
    assert no_jobs(daemon)  # and the daemon still serves


def test_control_characters_and_bad_text_are_invalid_argument_naming_the_field(daemon: Daemon) -> None:
    for flags, message in [
        (["--name", "etl\x1b[31m"], "name: contains the control character U+001B at byte 3"),
        (["--name", "a\tb"], "name: contains the control character U+0009"),
        (["--conf", "spark.sql.warehouse.dir=/x\nspark.kubernetes.namespace=other"],
         'conf."spark.sql.warehouse.dir": contains the control character U+000A'),
        (["--label", "team=a\x07"], "labels.team: contains the control character U+0007"),
        (["--env", "MODE=a\rb"], "env.MODE: contains the control character U+000D"),
        (["--job-type", "x\x7f"], "job_type: contains the control character U+007F"),
    ]:
        refused(daemon.cli("submit", "--file", PI, *flags), message)
    # Application arguments may span lines: they travel as argv entries, never as lines.
    ok = daemon.cli("resolve", "--file", PI, "--", "SELECT a,\tb\nFROM t")
    assert ok.returncode == 0, ok.stderr
    assert no_jobs(daemon)


def test_the_providers_parse_time_check_gives_the_daemons_answers() -> None:
    sys.path.insert(0, os.environ.get("SPARKD_CORE_MODULE_DIR", str(BUILD / "daemon" / "python")))
    core = importlib.import_module("_sparkd_core")
    for request, message in [
        ({"file": "--conf", "args": ["spark.master=yarn", "app.jar"]}, "file: \"--conf\" starts with '-'"),
        ({"file": "app.py", "conf": {f"spark.k{i}": "1" for i in range(8000)}}, "conf: 8000 keys; at most 500"),
        ({"file": "app.py", "name": "a\0b"}, "name: contains a NUL byte at byte 1"),
        ({"file": "app.py", "args": ["\0"]}, "args[0]: contains a NUL byte"),
        ({"file": "app.py", "conf": {"spark.x\0": "1"}}, "conf: a key contains a NUL byte"),
        ({"file": "app.py", "env": {"LD_PRELOAD": "/x.so"}}, "is read by the dynamic loader"),
        ({"file": "app.py", "conf": {"spark.eventLog.dir": "/x"}}, "set by sparkd"),
        ({"file": "app.py", "conf": {"spark.driver.extraJavaOptions": "-Dspark.master=yarn"}},
         "-Dspark.master sets Spark conf"),
        ({"file": "app.py", "args": ["x" * 1000] * 70}, "args: more than 65536 bytes in all"),
    ]:
        with pytest.raises(core.CoreError) as error:
            core.validate_request(request)
        assert message in str(error.value)
        assert error.value.code == "INVALID_ARGUMENT"
