"""The k8s-native backend against the harness's real API server: submission rate, watch ingest
and API requests per running job. Prints figures and ratios measured in this one run; not a
test. scripts/bench-k8s builds what it needs, starts PostgreSQL and the control plane and runs
it; run by hand.

1. submit: apps/min through `sparkd serve --backend k8s-native` (N jobs queued while the daemon
   launched nothing, then launched by a daemon that does: claim, render, three creates, record),
   beside the real `spark-submit --deploy-mode cluster` (pyspark's, one JVM per app, as many at
   once as there are cores) and beside the ceiling: the same three objects per app created by
   the daemon's Kubernetes client alone (k8s_create_bench), with as many threads as the
   daemon's launch-concurrency. These pods name a scheduler nobody
   runs, so what is measured is submission, not kwok playing a thousand pods.
2. steady: API requests over a window while J jobs' drivers run (kwok runs them), from the API
   server's own apiserver_request_total, beside what an operator polling each job every P
   seconds makes in the same window.
3. watch: executors churning (kwok ends them OOMKilled): pod events per second the daemon
   follows and the lag from the event (as a second watcher sees it) to its row in PostgreSQL;
   then the same after a daemon restart, with a backlog of ended executors to re-list. kwok
   makes events far slower than the daemon takes them, so the events of the churn, as the
   second watcher received them, are replayed into the daemon's pipeline by
   watch_replay_bench: what it ingests per second when events come as fast as it takes them,
   and its lag at a paced rate (--replay-rate).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests" / "k8s"), str(ROOT / "tests" / "e2e")]

from conftest import Api, ApiError, Cluster, read_env  # noqa: E402
from sparkd_e2e import wait_until  # noqa: E402
from test_k8s_native import (  # noqa: E402
    APP_JAR,
    IMAGE,
    SPARKD_RULES,
    K8sDaemon,
    executor_pod,
    grant,
    pods,
    request_counts,
)

UNSCHEDULED = "sparkd-bench-nobody"  # a scheduler name nobody serves: the pods stay Pending
# The stuck-pod deadlines at their defaults (the tests' are seconds).
DEADLINES = {"k8s-unschedulable-deadline": "300", "k8s-image-pull-deadline": "120", "k8s-config-error-deadline": "60"}
SPARKD_RESOURCES = {"pods", "configmaps", "services", "events"}  # what the daemon calls, by resource


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-qtAc", sql], check=True, capture_output=True, text=True).stdout.strip()


def make_namespace(api: Api, name: str) -> str:
    try:
        api.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    except ApiError as e:
        if e.status != 409:
            raise
    wait_until(lambda: _has_default_account(api, name), 60, f"namespace {name} ready")
    grant(api, name, SPARKD_RULES)
    return name


def _has_default_account(api: Api, namespace: str) -> bool:
    try:
        api.get(f"/api/v1/namespaces/{namespace}/serviceaccounts/default")
        return True
    except ApiError:
        return False


def drop_namespace(api: Api, name: str) -> None:
    """Deletes `name` and waits until it is gone, so its pods do not load the next phase."""
    api.delete(f"/api/v1/namespaces/{name}")

    def gone() -> bool:
        try:
            api.get(f"/api/v1/namespaces/{name}")
            return False
        except ApiError as e:
            return e.status == 404

    wait_until(gone, 600, f"namespace {name} deleted")


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.cluster = Cluster(read_env(Path(args.k8s_env)))
        self.api = self.cluster.client()
        self.work = Path(tempfile.mkdtemp(prefix="sparkd-bench-k8s-"))
        self.figures: dict[str, float] = {}

    def daemon(self, namespace: str, **settings: str) -> K8sDaemon:
        """A daemon with its own database."""
        name = "bench_" + uuid.uuid4().hex[:10]
        psql(self.args.database_url, f"CREATE DATABASE {name}")
        url = self.args.database_url.rsplit("/", 1)[0] + "/" + name
        data = self.work / name
        data.mkdir()
        return K8sDaemon(url, data, self.cluster, namespace, **DEADLINES, **settings)

    def submit_many(self, d: K8sDaemon, count: int, *submit_args: str) -> list[str]:
        """`sparkd submit` of SparkPi `count` times, four at once; the job ids."""

        def one(_: int) -> str:
            done = d.cli("submit", *submit_args, "--file", APP_JAR, "--class", "org.apache.spark.examples.SparkPi")
            if done.returncode != 0:
                raise RuntimeError(done.stderr + d.log()[-3000:])
            return done.stdout.split()[0]

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            return list(pool.map(one, range(count)))

    # --- 1. submission ------------------------------------------------------------------------

    def spark_submit(self) -> None:
        ns = make_namespace(self.api, "bench-spark-submit")
        home = Path(self.args.spark_home)
        env = {**os.environ, "SPARK_HOME": str(home), "KUBECONFIG": str(self.cluster.kubeconfig)}
        env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        conf = {
            "spark.kubernetes.namespace": ns,
            "spark.kubernetes.container.image": IMAGE,
            "spark.kubernetes.submission.waitAppCompletion": "false",
            "spark.kubernetes.scheduler.name": UNSCHEDULED,
        }
        cmd = [str(home / "bin" / "spark-submit"), "--master", f"k8s://{self.cluster.api_url}"]
        cmd += ["--deploy-mode", "cluster", "--class", "org.apache.spark.examples.SparkPi"]
        for key, value in conf.items():
            cmd += ["--conf", f"{key}={value}"]
        cmd += [APP_JAR, "10"]

        def one(_: int) -> None:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-3000:])

        apps = self.args.spark_submit_apps
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            list(pool.map(one, range(apps)))
        seconds = time.monotonic() - start
        self.figures["spark_submit_apps_per_min"] = apps / seconds * 60
        print(f"spark-submit: {apps} apps in {seconds:.1f}s, {os.cpu_count()} at once", file=sys.stderr)
        drop_namespace(self.api, ns)

    def ceiling(self) -> None:
        ns = make_namespace(self.api, "bench-ceiling")
        done = subprocess.run(
            [self.args.ceiling_bench, "--kubeconfig", str(self.cluster.kubeconfig), "--namespace", ns,
             "--apps", str(self.args.apps), "--image", IMAGE, "--scheduler-name", UNSCHEDULED,
             "--concurrency", str(self.args.launch_concurrency)],
            capture_output=True, text=True, check=False, timeout=1800,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        result = json.loads(done.stdout)
        self.figures["ceiling_apps_per_min"] = result["apps_per_min"]
        print(f"ceiling: {result['apps']} apps in {result['seconds']:.1f}s", file=sys.stderr)
        drop_namespace(self.api, ns)

    def sparkd_submit(self) -> None:
        ns = make_namespace(self.api, "bench-sparkd")
        apps = self.args.apps
        presets = self.work / "presets"
        presets.mkdir()
        (presets / "bench.yaml").write_text(f"description: bench pods nobody schedules\nschedulerName: {UNSCHEDULED}\n")
        # Queued by a daemon that launches nothing, then launched by one that does: the rate is
        # the daemon's launch path (claim, render, create, record), not the CLI's start-up.
        queuer = self.daemon(ns, **{"run-jobs": "false"})
        queuer.start()
        try:
            applied = queuer.cli("presets", "apply", str(presets))
            if applied.returncode != 0:
                raise RuntimeError(applied.stderr)
            self.submit_many(queuer, apps, "--job-type", "bench")
        finally:
            queuer.stop()
        launcher = K8sDaemon(
            queuer.database_url, queuer.data_dir, self.cluster, ns, **DEADLINES,
            **{"max-running-jobs": str(apps + 10), "k8s-qps": str(self.args.qps),
               "launch-concurrency": str(self.args.launch_concurrency)},
        )  # fmt: skip
        launcher.start()
        try:
            submitted = "SELECT count(*) FROM jobs WHERE state <> 'QUEUED' AND state <> 'SUBMITTING'"
            wait_until(lambda: int(psql(launcher.database_url, submitted)) >= apps, 1800, f"{apps} jobs launched")
            failed = psql(launcher.database_url, "SELECT count(*) FROM jobs WHERE state = 'FAILED'")
            if failed != "0":
                raise RuntimeError(f"{failed} launches failed: {launcher.log()[-3000:]}")
            seconds = float(
                psql(
                    launcher.database_url,
                    "SELECT extract(epoch FROM max(at) FILTER (WHERE to_state = 'SUBMITTED')"
                    " - min(at) FILTER (WHERE to_state = 'SUBMITTING')) FROM job_events",
                )
            )
        finally:
            launcher.stop()
        self.figures["sparkd_apps_per_min"] = apps / seconds * 60
        settings = f"k8s-qps {self.args.qps}, launch-concurrency {self.args.launch_concurrency}"
        print(f"sparkd: {apps} apps launched in {seconds:.1f}s ({settings})", file=sys.stderr)
        drop_namespace(self.api, ns)

    # --- 2. steady state and 3. watch -----------------------------------------------------------

    def steady_and_watch(self) -> None:
        ns = make_namespace(self.api, "bench-steady")
        jobs = self.args.steady_jobs
        d = self.daemon(ns, **{"max-running-jobs": str(jobs + 10), "k8s-qps": str(self.args.qps)})
        d.start()
        try:
            self.submit_many(d, jobs)
            running = "SELECT count(*) FROM jobs WHERE state = 'RUNNING'"
            wait_until(lambda: int(psql(d.database_url, running)) >= jobs, 1800, f"{jobs} jobs running")
            time.sleep(10)  # the launches' own requests are over
            self.steady(jobs)
            self.watch(d, ns)
        finally:
            d.stop()
        drop_namespace(self.api, ns)

    def steady(self, jobs: int) -> None:
        window = self.args.window
        before = request_counts(self.api)
        time.sleep(window)
        after = request_counts(self.api)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        mine = {k: n for k, n in delta.items() if k[1] in SPARKD_RESOURCES and n}
        print(f"API requests in {window}s with {jobs} running jobs (every client of pods, configmaps,"
              f" services, events): {json.dumps({' '.join(k).strip(): n for k, n in mine.items()})}",
              file=sys.stderr)  # fmt: skip
        total = sum(mine.values())
        polls = jobs * window / self.args.poll_interval
        self.figures["steady_requests"] = total
        self.figures["steady_requests_without_logs"] = total - sum(n for k, n in mine.items() if k[2] == "log")
        self.figures["poll_per_task_requests"] = polls

    def watch(self, d: K8sDaemon, ns: str) -> None:
        drivers = self.api.get(f"{pods(ns)}?labelSelector=spark-role%3Ddriver")["items"]
        per_job = max(1, self.args.executors // len(drivers))
        seen = PodEnds(self.api, ns)
        seen.start()
        try:
            before = request_counts(self.api)
            seen.recorded = []
            rate, lags = self.churn(d, drivers, per_job, seen, first_id=1)
            recorded, seen.recorded = seen.recorded, None
            after = request_counts(self.api)
            calls = {" ".join(k).strip(): n - before.get(k, 0) for k, n in after.items() if n > before.get(k, 0)}
            print(f"API requests during the churn (every client): {json.dumps(calls)}", file=sys.stderr)
            self.figures["watch_events_per_s"] = rate
            self.figures["watch_lag_p50_s"] = lags[len(lags) // 2]
            self.figures["watch_lag_p99_s"] = lags[int(len(lags) * 0.99)]
            # A backlog: executors end while the daemon is down; at its start it lists them all.
            d.stop()
            made = self.make_executors(drivers, per_job, first_id=1 + per_job)
            wait_until(lambda: seen.ended_count() >= 2 * len(drivers) * per_job, 1800, "the backlog to end")
            start = time.monotonic()
            d.start()
            rows = "SELECT count(*) FROM executors WHERE executor_id <> 'driver'"
            wait_until(lambda: int(psql(d.database_url, rows)) >= 2 * made, 1800, "the backlog recorded")
            self.figures["relist_pods_per_s"] = made / (time.monotonic() - start)
        finally:
            seen.stop()
        self.replay(recorded)

    def replay(self, events: list[dict]) -> None:
        path = self.work / "watch-events.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events))
        cmd = [self.args.replay_bench, "--kubeconfig", str(self.cluster.kubeconfig), "--events", str(path)]
        cmd += ["--rate", str(self.args.replay_rate)]
        env = {**os.environ, "SPARKD_TEST_PG_URL": self.args.database_url}
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"watch_replay_bench: {done.stderr[-3000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"replay: {json.dumps(figures)}", file=sys.stderr)
        self.figures.update({f"replay_{k}": v for k, v in figures.items()})

    def make_executors(self, drivers: list[dict], per_job: int, first_id: int) -> int:
        ends = [{"exit-code": "137", "reason": "OOMKilled", "run-for": "2s"}, {"exit-code": "52", "run-for": "2s"}]
        specs = [
            (driver, first_id + n, ends[n % 2]) for driver in drivers for n in range(per_job)
        ]  # fmt: skip
        ns = drivers[0]["metadata"]["namespace"]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda s: self.api.create(pods(ns), executor_pod(*s)), specs))
        return len(specs)

    def churn(self, d: K8sDaemon, drivers: list[dict], per_job: int, seen: PodEnds, first_id: int):
        events_before = seen.events
        start = time.monotonic()
        made = self.make_executors(drivers, per_job, first_id)
        recorded: dict[str, float] = {}
        query = "SELECT pod_name FROM executors WHERE executor_id <> 'driver'"
        while len(recorded) < made:
            now = time.monotonic()
            for line in psql(d.database_url, query).splitlines():
                recorded.setdefault(line, now)
            if now - start > 1800:
                raise RuntimeError(f"{len(recorded)} of {made} executors recorded after 30 min")
            time.sleep(0.1)
        elapsed = max(recorded.values()) - start
        ends = seen.ends()
        lags = sorted(max(0.0, recorded[p] - ends[p]) for p in recorded if p in ends)
        events = seen.events - events_before
        print(f"watch: {made} executors, {events} pod events in {elapsed:.1f}s", file=sys.stderr)
        return events / elapsed, lags

    def report(self) -> None:
        f = self.figures
        rows = []
        if {"sparkd_apps_per_min", "spark_submit_apps_per_min", "ceiling_apps_per_min"} <= f.keys():
            vs_submit = f["sparkd_apps_per_min"] / f["spark_submit_apps_per_min"]
            vs_ceiling = f["sparkd_apps_per_min"] / f["ceiling_apps_per_min"]
            rows += [
                ("spark-submit --deploy-mode cluster, apps/min", f"{f['spark_submit_apps_per_min']:.0f}", ""),
                ("ceiling (the client alone), apps/min", f"{f['ceiling_apps_per_min']:.0f}", ""),
                ("sparkd k8s-native, apps/min", f"{f['sparkd_apps_per_min']:.0f}", ">= 1000"),
                ("  / spark-submit", f"{vs_submit:.1f}x", ">= 20x"),
                ("  / ceiling", f"{vs_ceiling:.2f}", ">= 0.5"),
            ]
        if "steady_requests" in f:
            jobs, window = self.args.steady_jobs, self.args.window
            rows += [
                (f"API requests in {window}s, {jobs} running jobs", f"{f['steady_requests']:.0f}", ""),
                ("  of them not pods/log", f"{f['steady_requests_without_logs']:.0f}", ""),
                (f"  polling every {self.args.poll_interval:g}s instead", f"{f['poll_per_task_requests']:.0f}", ""),
                ("  fewer than polling", f"{f['poll_per_task_requests'] / max(f['steady_requests'], 1):.0f}x",
                 ">= 100x"),
            ]  # fmt: skip
        if "watch_events_per_s" in f:
            rows += [
                ("watch: pod events/s followed (as kwok made them)", f"{f['watch_events_per_s']:.0f}", ""),
                ("  event to PostgreSQL lag p50 / p99, s",
                 f"{f['watch_lag_p50_s']:.2f} / {f['watch_lag_p99_s']:.2f}", "p99 < 2"),
                ("re-list at start: ended pods recorded/s", f"{f['relist_pods_per_s']:.0f}", ""),
            ]  # fmt: skip
        if "replay_sparkd_events_per_s" in f:
            rows += [
                (f"replayed watch events ({f['replay_events']:.0f}), pipeline with a counting sink, /s",
                 f"{f['replay_baseline_events_per_s']:.0f}", ""),
                ("  the daemon's pipeline into PostgreSQL, events/s",
                 f"{f['replay_sparkd_events_per_s']:.0f}", ">= 5000"),
                ("  / counting sink", f"{f['replay_of_baseline']:.2f}", ""),
                (f"  paced at {f['replay_paced_rate']:.0f}/s: lag p50 / p99, s",
                 f"{f['replay_paced_lag_p50_s']:.3f} / {f['replay_paced_lag_p99_s']:.3f}", "p99 < 2"),
            ]  # fmt: skip
        width = max(len(r[0]) for r in rows)
        print(f"{'figure':<{width}}  {'measured':>14}  target")
        for name, value, target in rows:
            print(f"{name:<{width}}  {value:>14}  {target}")


class PodEnds:
    """A second watcher of a namespace's pods: when each pod's containers first terminated, and
    how many pod events the API server sent."""

    def __init__(self, api: Api, namespace: str) -> None:
        self.api = api
        self.namespace = namespace
        self.events = 0
        self._ends: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.recorded: list[dict] | None = None  # the raw events, while a list is set

    def start(self) -> None:
        listed = self.api.get(pods(self.namespace))
        self._version = listed["metadata"]["resourceVersion"]
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def ends(self) -> dict[str, float]:
        with self._lock:
            return dict(self._ends)

    def ended_count(self) -> int:
        with self._lock:
            return len(self._ends)

    def _run(self) -> None:
        while not self._stop.is_set():
            for event in self.api.watch(pods(self.namespace), self._version, timeout=60):
                now = time.monotonic()
                self._version = event.object["metadata"]["resourceVersion"]
                statuses = event.object.get("status", {}).get("containerStatuses") or [{}]
                with self._lock:
                    self.events += 1
                    if self.recorded is not None:
                        self.recorded.append({"type": event.type, "object": event.object, "received": time.time()})
                    name = event.object["metadata"]["name"]
                    if "terminated" in statuses[0].get("state", {}) and name not in self._ends:
                        self._ends[name] = now
                if self._stop.is_set():
                    return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k8s-env", required=True, help="the k8s.env scripts/k8s-up wrote")
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL that may CREATE DATABASE")
    parser.add_argument("--ceiling-bench", required=True, help="the k8s_create_bench binary")
    parser.add_argument("--replay-bench", required=True, help="the watch_replay_bench binary")
    parser.add_argument("--replay-rate", type=float, default=5000, help="events/s of the paced replay")
    parser.add_argument("--spark-home", required=True)
    parser.add_argument("--apps", type=int, default=1000, help="apps per submission run")
    parser.add_argument("--spark-submit-apps", type=int, default=8)
    parser.add_argument("--steady-jobs", type=int, default=500)
    parser.add_argument("--window", type=float, default=120, help="seconds of steady state counted")
    parser.add_argument("--poll-interval", type=float, default=10, help="seconds, of the polling operator")
    parser.add_argument("--executors", type=int, default=2000, help="executor pods per watch run")
    parser.add_argument("--qps", type=int, default=1000, help="the daemon's k8s-qps")
    parser.add_argument("--launch-concurrency", type=int, default=4,
                        help="the daemon's launch-concurrency, and the ceiling's threads")  # fmt: skip
    parser.add_argument("--only", choices=["submit", "steady"], help="run one part")
    args = parser.parse_args()
    bench = Bench(args)
    try:
        if args.only in (None, "submit"):
            bench.spark_submit()
            bench.ceiling()
            bench.sparkd_submit()
        if args.only in (None, "steady"):
            bench.steady_and_watch()
    finally:
        shutil.rmtree(bench.work, ignore_errors=True)
    bench.report()


if __name__ == "__main__":
    main()
