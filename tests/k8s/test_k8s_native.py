"""The k8s-native backend against a real control plane (tests/k8s/conftest.py): sparkd renders and
creates the driver objects with the limited `sparkd` user, its one pod watcher follows them, kwok
plays the pods (their ends chosen by kwok.sparkd.test/ annotations), and every executor's end is
stored with its reason. Nothing is faked: a real API server, scheduler and controllers, a real
PostgreSQL, the real daemon binary; for realistic executor pods, a real Spark driver in client mode
whose own allocator creates them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import TIMEOUT, Api, ApiError, Cluster, Event, Obj

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from sparkd_e2e import ADMIN_TOKEN, EXAMPLES_JAR, SPARKD, Daemon, postgres_url, wait_until

__all__ = ["postgres_url"]

CHAOS = "kwok.sparkd.test/"
# With SPARKD_K8S_WRITE_FIXTURES=1 the tests save the pods kwok made as they ended: the core
# tests (daemon/core/pod_observation_test.cc) classify them without a cluster.
KWOK_PODS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "kwok-pods"
APP_JAR = "local:///opt/spark/examples/jars/spark-examples.jar"
IMAGE = "registry.example/sparkd/spark:3.5.8"  # kwok runs no container: never pulled
RBAC = "rbac.authorization.k8s.io/v1"

# What the daemon needs in a namespace (docs/k8s-native-backend.md, "Permissions").
SPARKD_RULES: list[Obj] = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get", "list", "watch", "delete"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["configmaps", "services"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["list"]},
]


def pods(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods"


def grant(api: Api, namespace: str, rules: list[Obj]) -> None:
    """Binds a Role with `rules` to the user `sparkd` in `namespace` (replacing an earlier one)."""
    base = f"/apis/{RBAC}/namespaces/{namespace}"
    role = {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "sparkd"}, "rules": rules}
    try:
        api.create(f"{base}/roles", role)
    except ApiError as e:
        if e.status != 409:
            raise
        api.request("PUT", f"{base}/roles/sparkd", role)
    binding = {
        "apiVersion": RBAC,
        "kind": "RoleBinding",
        "metadata": {"name": "sparkd"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "sparkd"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "sparkd"}],
    }
    try:
        api.create(f"{base}/rolebindings", binding)
    except ApiError as e:
        if e.status != 409:
            raise


def grant_nodes(api: Api) -> None:
    """The optional cluster-wide `get nodes` (NODE_LOST for pods that vanish with their node)."""
    role = {
        "apiVersion": RBAC,
        "kind": "ClusterRole",
        "metadata": {"name": "sparkd-nodes"},
        "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}],
    }
    binding = {
        "apiVersion": RBAC,
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "sparkd-nodes"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "sparkd-nodes"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "sparkd"}],
    }
    for path, body in ((f"/apis/{RBAC}/clusterroles", role), (f"/apis/{RBAC}/clusterrolebindings", binding)):
        try:
            api.create(path, body)
        except ApiError as e:
            if e.status != 409:
                raise


class K8sDaemon(Daemon):
    """`sparkd serve --backend k8s-native` as the limited user `sparkd`, watching one namespace."""

    def __init__(self, database_url: str, data_dir: Path, cluster: Cluster, namespace: str, **settings: str) -> None:
        super().__init__(database_url=database_url, data_dir=data_dir)
        self.cluster = cluster
        self.namespace = namespace
        self.settings = {
            "max-running-jobs": "20",
            "k8s-unschedulable-deadline": "3",
            "k8s-image-pull-deadline": "3",
            "k8s-config-error-deadline": "3",
            **settings,
        }

    def start(self) -> None:
        self.log_path = self.data_dir / f"daemon-{time.monotonic_ns()}.log"
        command = [
            str(SPARKD), "serve",
            "--backend", "k8s-native",
            "--database-url", self.database_url,
            "--data-dir", str(self.data_dir),
            "--grpc-listen", self.grpc_address,
            "--http-listen", f"127.0.0.1:{self.http_port}",
            "--node-id", "k8s-e2e",
            "--kubeconfig", str(self.cluster.sparkd_kubeconfig),
            "--k8s-namespaces", self.namespace,
            "--k8s-default-namespace", self.namespace,
            "--k8s-image", IMAGE,
            "--k8s-master-url", self.cluster.api_url,
        ]  # fmt: skip
        for key, value in self.settings.items():
            command += [f"--{key}", value]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env())
        wait_until(self._healthy, 30, f"sparkd /healthz (log: {self.log_path})")

    def submit(
        self, *conf: str, args: tuple[str, ...] = ("10",), driver: dict[str, str] | None = None, job_type: str = ""
    ) -> str:
        """Submits SparkPi; `driver` are kwok annotations of the driver pod. Returns the job id."""
        command = ["submit", "--file", APP_JAR, "--class", "org.apache.spark.examples.SparkPi"]
        if job_type:
            command += ["--job-type", job_type]
        for key, value in (driver or {}).items():
            command += ["--conf", f"spark.kubernetes.driver.annotation.{CHAOS}{key}={value}"]
        for item in conf:
            command += ["--conf", item]
        done = self.cli(*command, "--", *args)
        assert done.returncode == 0, done.stderr + self.log()
        return done.stdout.split()[0]

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    def wait_for_state(self, job_id: str, states: set[str], timeout: float = TIMEOUT) -> dict:
        def reached() -> dict | None:
            job = self.job(job_id)
            return job if job["state"] in states else None

        try:
            return wait_until(reached, timeout, f"job {job_id} to reach {states}")  # type: ignore[return-value]
        except pytest.fail.Exception:
            print(self.log()[-6000:])
            raise


@pytest.fixture
def sparkd(k8s: Cluster, api: Api, namespace: str, postgres_url: str, tmp_path: Path) -> Iterator[K8sDaemon]:
    grant(api, namespace, SPARKD_RULES)
    grant_nodes(api)
    name = "k8s_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", postgres_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    instance = K8sDaemon(postgres_url.rsplit("/", 1)[0] + "/" + name, tmp_path, k8s, namespace)
    instance.start()
    yield instance
    status = instance.stop()
    subprocess.run(["psql", postgres_url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)
    assert status in (0, None), f"sparkd did not shut down cleanly: {instance.log()[-4000:]}"


def driver_pod(api: Api, namespace: str, job_id: str) -> Obj:
    selector = urllib.parse.quote(f"sparkd.io/job-id={job_id},spark-role=driver")

    def found() -> Obj | None:
        items = api.get(f"{pods(namespace)}?labelSelector={selector}")["items"]
        return items[0] if items else None

    return wait_until(found, TIMEOUT, f"the driver pod of {job_id}")  # type: ignore[return-value]


def executor_pod(driver: Obj, executor_id: int, annotations: dict[str, str] | None = None) -> Obj:
    """An executor pod as Spark's ExecutorPodsAllocator makes it: its labels, owned by the driver."""
    labels = driver["metadata"]["labels"]
    name = driver["metadata"]["name"].removesuffix("-driver") + f"-exec-{executor_id}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": {
                "spark-role": "executor",
                "spark-exec-id": str(executor_id),
                "spark-app-selector": labels["spark-app-selector"],
                "sparkd.io/job-id": labels["sparkd.io/job-id"],
            },
            "annotations": {CHAOS + k: v for k, v in (annotations or {}).items()},
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": driver["metadata"]["name"],
                    "uid": driver["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {"name": "spark-kubernetes-executor", "image": IMAGE, "resources": {"limits": {"memory": "1408Mi"}}}
            ],
        },
    }


def keep(name: str, pod: Obj) -> None:
    """Saves `pod` as a fixture (see KWOK_PODS), without what changes from run to run."""
    if not os.environ.get("SPARKD_K8S_WRITE_FIXTURES"):
        return
    pod = json.loads(json.dumps(pod))
    pod["metadata"].pop("managedFields", None)
    KWOK_PODS.mkdir(parents=True, exist_ok=True)
    (KWOK_PODS / f"{name}.json").write_text(json.dumps(pod, indent=2, sort_keys=True) + "\n")


def executors(d: K8sDaemon, job_id: str) -> dict[str, Obj]:
    return {x["executor_id"]: x for x in d.job(job_id).get("executors", [])}


def wait_for_executors(d: K8sDaemon, job_id: str, count: int, timeout: float = TIMEOUT) -> dict[str, Obj]:
    def enough() -> dict[str, Obj] | None:
        found = executors(d, job_id)
        return found if len([x for x in found if x != "driver"]) >= count else None

    try:
        return wait_until(enough, timeout, f"{count} executor records of {job_id}")  # type: ignore[return-value]
    except pytest.fail.Exception:
        print(json.dumps(executors(d, job_id), indent=1), d.log()[-6000:])
        raise


def terminated(e: Event) -> bool:
    statuses = e.object.get("status", {}).get("containerStatuses") or [{}]
    return "terminated" in statuses[0].get("state", {})


def api_events(api: Api, namespace: str, pod: Obj) -> list[Event]:
    """What happened to `pod` until it was deleted, as watch events."""
    seen: list[Event] = []
    api.wait_for(pods(namespace), pod, lambda e: e.type == "DELETED", "the pod to be deleted", seen=seen)
    return seen


def events_to(job: dict, state: str) -> int:
    return sum(1 for e in job["events"] if e["to"] == state)


# --- the driver pod is the job ------------------------------------------------------------------


def test_a_job_runs_as_a_driver_pod_and_succeeds(sparkd: K8sDaemon, api: Api, namespace: str) -> None:
    job_id = sparkd.submit(driver={"exit-code": "0", "run-for": "3s"})
    pod = driver_pod(api, namespace, job_id)
    assert pod["metadata"]["name"] == f"sparkd-{job_id}-driver"
    assert pod["metadata"]["labels"]["spark-role"] == "driver"
    uid = pod["metadata"]["uid"]
    # Owned by the pod, so deleting it collects them; made right after it, as spark-submit does.
    for kind in ("configmaps", "services"):

        def owned(kind: str = kind) -> list[Obj] | None:
            items = api.get(f"/api/v1/namespaces/{namespace}/{kind}")["items"]
            mine = [o for o in items if any(r["uid"] == uid for r in o["metadata"].get("ownerReferences", []))]
            return mine or None

        assert len(wait_until(owned, TIMEOUT, f"the {kind} owned by the driver pod")) == 1, kind
    running = sparkd.wait_for_state(job_id, {"RUNNING", "SUCCEEDED"})
    done = sparkd.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
    assert done["state"] == "SUCCEEDED", done["state_message"]
    assert done["driver_exit_code"] == 0
    assert events_to(done, "RUNNING") == 1 or running["state"] == "SUCCEEDED"
    driver = executors(sparkd, job_id)["driver"]
    assert driver["reason"] == "SUCCEEDED"
    assert driver["pod_name"] == f"sparkd-{job_id}-driver"


@pytest.mark.parametrize(
    ("annotations", "reason", "code"),
    [
        ({"exit-code": "1"}, "APP_ERROR", 1),
        ({"exit-code": "137", "reason": "OOMKilled"}, "OOM_KILLED", 137),
        ({"exit-code": "52"}, "JVM_OOM", 52),
        ({"evict": "true"}, "EVICTED", 137),
    ],
)
def test_a_failed_driver_fails_the_job_with_its_reason(
    sparkd: K8sDaemon, api: Api, namespace: str, annotations: dict[str, str], reason: str, code: int
) -> None:
    job_id = sparkd.submit(driver={**annotations, "run-for": "2s"})
    done = sparkd.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
    assert done["state"] == "FAILED"
    driver = executors(sparkd, job_id)["driver"]
    assert (driver["reason"], driver["exit_code"]) == (reason, code), driver
    keep(f"driver-{reason}", api.get(f"{pods(namespace)}/sparkd-{job_id}-driver"))


@pytest.mark.parametrize(
    ("annotations", "conf", "reason", "words"),
    [
        ({"waiting-reason": "ErrImagePull"}, (), "IMAGE_PULL_FAILED", "cannot pull its image"),
        (
            {"waiting-reason": "CreateContainerConfigError", "message": 'secret "warehouse-db" not found'},
            (),
            "CONFIG_ERROR",
            'secret "warehouse-db" not found',
        ),
        ({}, ("spark.kubernetes.node.selector.pool=nowhere",), "UNSCHEDULABLE", "nodes are available"),
    ],
)
def test_a_driver_stuck_starting_fails_past_its_deadline_and_is_removed(
    sparkd: K8sDaemon, api: Api, namespace: str, annotations: dict[str, str], conf: tuple[str, ...], reason: str,
    words: str,
) -> None:  # fmt: skip
    job_id = sparkd.submit(*conf, driver=annotations)
    pod = driver_pod(api, namespace, job_id)
    done = sparkd.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
    seen = api_events(api, namespace, pod)
    keep(f"driver-{reason}", [e.object for e in seen if not e.object["metadata"].get("deletionTimestamp")][-1])
    assert done["state"] == "FAILED"
    assert words in done["state_message"], done["state_message"]
    assert executors(sparkd, job_id)["driver"]["reason"] == reason
    # Nothing of it lingers: the pod was deleted (and with it, what it owns): api_events above.


def test_cancel_deletes_the_driver_pod(sparkd: K8sDaemon, api: Api, namespace: str) -> None:
    job_id = sparkd.submit(driver={})  # runs until stopped
    sparkd.wait_for_state(job_id, {"RUNNING"})
    pod = driver_pod(api, namespace, job_id)
    done = sparkd.cli("cancel", job_id)
    assert done.returncode == 0, done.stderr
    api.wait_for(pods(namespace), pod, lambda e: e.type == "DELETED", "the cancelled driver to be deleted")
    assert sparkd.job(job_id)["state"] == "CANCELLED"


# --- every executor's end is stored, while the job runs ------------------------------------------


EXECUTOR_ENDS: list[tuple[dict[str, str], str, int | None]] = [
    ({"exit-code": "137", "reason": "OOMKilled", "run-for": "1s"}, "OOM_KILLED", 137),
    ({"exit-code": "52", "run-for": "1s"}, "JVM_OOM", 52),
    ({"exit-code": "1", "run-for": "1s"}, "APP_ERROR", 1),
    ({"evict": "true", "run-for": "1s"}, "EVICTED", 137),
    ({"disruption": "PreemptionByScheduler", "run-for": "1s"}, "PREEMPTED", 143),
    ({"disruption": "DeletionByTaintManager", "run-for": "1s"}, "NODE_LOST", 143),
    ({"waiting-reason": "ErrImagePull"}, "IMAGE_PULL_FAILED", None),
]


def test_every_executor_end_is_recorded_with_its_reason_while_the_job_runs(
    sparkd: K8sDaemon, api: Api, namespace: str
) -> None:
    job_id = sparkd.submit(driver={"exit-code": "0", "run-for": "600s"})
    sparkd.wait_for_state(job_id, {"RUNNING"})
    driver = driver_pod(api, namespace, job_id)
    made = [api.create(pods(namespace), executor_pod(driver, n, e[0])) for n, e in enumerate(EXECUTOR_ENDS, 1)]
    # Dynamic allocation scaling down: the driver deletes a running executor.
    scaled = api.create(pods(namespace), executor_pod(driver, 90))
    api.wait_for(pods(namespace), scaled, lambda e: e.object["status"].get("phase") == "Running", "exec 90 running")
    api.delete(f"{pods(namespace)}/{scaled['metadata']['name']}")
    stopped = api.wait_for(
        pods(namespace), scaled, lambda e: e.object["status"].get("phase") == "Failed", "exec 90 stopped"
    )
    keep("executor-90-KILLED_BY_DRIVER", stopped.object)

    recorded = wait_for_executors(sparkd, job_id, len(EXECUTOR_ENDS) + 1)
    assert sparkd.job(job_id)["state"] == "RUNNING"  # the table fills while it runs
    for n, (_, reason, code) in enumerate(EXECUTOR_ENDS, start=1):
        if code is not None:  # the pod as it ended (disrupted ones are deleted right after)
            keep(f"executor-{n}-{reason}", api.wait_for(pods(namespace), made[n - 1], terminated, "its end").object)
        x = recorded[str(n)]
        assert (x["reason"], x.get("exit_code")) == (reason, code), x
        assert x["pod_name"] == f"sparkd-{job_id}-exec-{n}"
        assert x["host"], x
    assert recorded["90"]["reason"] == "KILLED_BY_DRIVER", recorded["90"]

    api.patch(
        f"{pods(namespace)}/{driver['metadata']['name']}",
        {"metadata": {"annotations": {CHAOS + "exit-code": "1", CHAOS + "run-for": "0s"}}},
    )
    done = sparkd.wait_for_state(job_id, {"FAILED", "SUCCEEDED"})
    assert done["state"] == "FAILED"
    report = done["report"]
    assert report["first_fatal_reason"] == "OOM_KILLED", report
    assert report["executors_by_reason"]["KILLED_BY_DRIVER"] == 1, report
    assert "1 executor OOM_KILLED" in done["state_message"], done["state_message"]


def kwok_node(api: Api) -> str:
    """A fresh fake node kwok keeps Ready, for a test to delete; its name."""
    name = "kwok-doomed-" + uuid.uuid4().hex[:6]
    api.create(
        "/api/v1/nodes",
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {"kubernetes.io/hostname": name, "type": "kwok"},
            },
            "status": {
                "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
            },
        },
    )

    def ready() -> bool:
        conditions = api.get(f"/api/v1/nodes/{name}").get("status", {}).get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    wait_until(ready, TIMEOUT, f"node {name} Ready")
    return name


def test_pods_that_vanish_with_their_node_are_node_lost(sparkd: K8sDaemon, api: Api, namespace: str) -> None:
    node = kwok_node(api)
    try:
        job_id = sparkd.submit(f"spark.kubernetes.node.selector.kubernetes.io/hostname={node}", driver={})
        sparkd.wait_for_state(job_id, {"RUNNING"})
        driver = driver_pod(api, namespace, job_id)
        assert driver["spec"]["nodeName"] == node
        manifest = executor_pod(driver, 1)
        manifest["spec"]["nodeName"] = node
        created = api.create(pods(namespace), manifest)
        api.wait_for(pods(namespace), created, lambda e: e.object["status"].get("phase") == "Running", "running")
    finally:
        api.delete(f"/api/v1/nodes/{node}")
    # The pod garbage collector fails the pods of a node that is gone (DisruptionTarget
    # DeletionByPodGC), then deletes them.
    done = sparkd.wait_for_state(job_id, {"FAILED"}, timeout=TIMEOUT * 3)
    assert "node no longer exists" in done["state_message"], done["state_message"]
    recorded = wait_for_executors(sparkd, job_id, 1)
    assert recorded["driver"]["reason"] == "NODE_LOST", recorded["driver"]
    assert recorded["1"]["reason"] == "NODE_LOST", recorded["1"]


def test_a_driver_gone_with_its_node_while_sparkd_is_down_is_node_lost(
    sparkd: K8sDaemon, api: Api, namespace: str
) -> None:
    node = kwok_node(api)
    try:
        job_id = sparkd.submit(f"spark.kubernetes.node.selector.kubernetes.io/hostname={node}", driver={})
        sparkd.wait_for_state(job_id, {"RUNNING"})
        driver = driver_pod(api, namespace, job_id)
        sparkd.stop(signal.SIGKILL)
    finally:
        api.delete(f"/api/v1/nodes/{node}")
    api.wait_for(pods(namespace), driver, lambda e: e.type == "DELETED", "the driver to go", timeout=TIMEOUT * 3)
    sparkd.start()
    done = sparkd.wait_for_state(job_id, {"FAILED"})
    assert f"vanished with its node {node}" in done["state_message"], done["state_message"]
    assert executors(sparkd, job_id)["driver"]["reason"] == "NODE_LOST"


def test_executors_deleted_after_the_app_succeeded_are_not_failures(
    sparkd: K8sDaemon, api: Api, namespace: str
) -> None:
    job_id = sparkd.submit(driver={"exit-code": "0", "run-for": "8s"})
    sparkd.wait_for_state(job_id, {"RUNNING"})
    driver = driver_pod(api, namespace, job_id)
    made = [api.create(pods(namespace), executor_pod(driver, n)) for n in (1, 2)]
    for pod in made:
        api.wait_for(pods(namespace), pod, lambda e: e.object["status"].get("phase") == "Running", "executor running")
    for pod in made:  # what the driver does at the app's end
        api.delete(f"{pods(namespace)}/{pod['metadata']['name']}")
    done = sparkd.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
    assert done["state"] == "SUCCEEDED", done["state_message"]
    recorded = wait_for_executors(sparkd, job_id, 2)
    assert {recorded[x]["reason"] for x in ("1", "2")} == {"KILLED_BY_DRIVER"}
    assert done["report"].get("first_fatal_reason", "UNSPECIFIED") in ("", "UNSPECIFIED", None)


def request_counts(api: Api) -> dict[tuple[str, str, str], float]:
    """The API server's own count of requests, by (verb, resource, subresource). Creates count
    only when they created something: the controller-manager's root-CA publisher keeps POSTing
    its configmap into the namespaces earlier tests deleted, refused with 403 while they
    terminate, whenever its back-off says."""
    counts: dict[tuple[str, str, str], float] = {}
    for line in api.text("/metrics").splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels = dict(kv.split("=", 1) for kv in line[line.index("{") + 1 : line.index("}")].split(","))
        if labels.get("verb") == '"POST"' and labels.get("code") != '"201"':
            continue
        key = tuple(labels.get(k, '""').strip('"') for k in ("verb", "resource", "subresource"))
        counts[key] = counts.get(key, 0) + float(line.rsplit(" ", 1)[1])  # type: ignore[index]
    return counts


def test_api_calls_per_job_are_its_creates_and_a_share_of_one_watch(
    sparkd: K8sDaemon, api: Api, namespace: str
) -> None:
    """No GET per job per tick: jobs that run for several seconds cost their three creates, and
    the watch that serves all of them."""
    jobs = 20
    before = request_counts(api)
    ids = [sparkd.submit(driver={"exit-code": "0", "run-for": "6s"}) for _ in range(jobs)]
    for job_id in ids:
        assert sparkd.wait_for_state(job_id, {"SUCCEEDED", "FAILED"}, timeout=TIMEOUT * 2)["state"] == "SUCCEEDED"
    after = request_counts(api)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    figures = {f"{verb} {resource}{'/' + sub if sub else ''}": n for (verb, resource, sub), n in delta.items() if n}
    print(f"API requests for {jobs} jobs (every client of the API server):", json.dumps(figures, indent=1))
    assert delta.get(("POST", "pods", ""), 0) == jobs
    assert delta.get(("POST", "configmaps", ""), 0) == jobs
    assert delta.get(("POST", "services", ""), 0) == jobs
    # sparkd never GETs a pod while watching (other clients of the server may, a few times).
    assert delta.get(("GET", "pods", ""), 0) < jobs / 4, figures


# --- restarts, re-lists and permissions ----------------------------------------------------------


def test_a_driver_deleted_while_sparkd_is_down_fails_the_job_at_restart(
    sparkd: K8sDaemon, api: Api, namespace: str
) -> None:
    job_id = sparkd.submit(driver={})
    sparkd.wait_for_state(job_id, {"RUNNING"})
    pod = driver_pod(api, namespace, job_id)
    sparkd.stop(signal.SIGKILL)
    api.delete(f"{pods(namespace)}/{pod['metadata']['name']}?gracePeriodSeconds=0")
    api.wait_for(pods(namespace), pod, lambda e: e.type == "DELETED", "the driver to be gone")
    sparkd.start()
    done = sparkd.wait_for_state(job_id, {"FAILED"})
    assert "does not exist" in done["state_message"], done["state_message"]


def test_sigkill_and_restart_while_pods_change_misses_and_doubles_nothing(
    sparkd: K8sDaemon, api: Api, namespace: str
) -> None:
    job_id = sparkd.submit(driver={})
    sparkd.wait_for_state(job_id, {"RUNNING"})
    driver = driver_pod(api, namespace, job_id)
    api.create(pods(namespace), executor_pod(driver, 1, {"exit-code": "52", "run-for": "1s"}))
    wait_for_executors(sparkd, job_id, 1)
    sparkd.stop(signal.SIGKILL)
    # While the daemon is down: more executors end, one is deleted, the job's driver ends.
    api.create(pods(namespace), executor_pod(driver, 2, {"exit-code": "137", "reason": "OOMKilled", "run-for": "1s"}))
    three = api.create(pods(namespace), executor_pod(driver, 3, {"exit-code": "1", "run-for": "1s"}))
    api.wait_for(pods(namespace), three, lambda e: e.object["status"].get("phase") == "Failed", "exec 3 failed")
    sparkd.start()
    recorded = wait_for_executors(sparkd, job_id, 3)
    assert {k: (v["reason"], v["exit_code"]) for k, v in recorded.items() if k != "driver"} == {
        "1": ("JVM_OOM", 52),
        "2": ("OOM_KILLED", 137),
        "3": ("APP_ERROR", 1),
    }
    api.patch(
        f"{pods(namespace)}/{driver['metadata']['name']}",
        {"metadata": {"annotations": {CHAOS + "exit-code": "0", CHAOS + "run-for": "0s"}}},
    )
    done = sparkd.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
    assert events_to(done, "RUNNING") == 1 + events_to(done, "UNKNOWN"), done["events"]
    assert len([x for x in executors(sparkd, job_id) if x != "driver"]) == 3


def test_a_watch_that_fell_behind_is_listed_again_and_misses_nothing(
    sparkd: K8sDaemon, api: Api, namespace: str
) -> None:
    """410 Gone in the middle: the daemon is paused while its watch is renewed (every 2 s here)
    and the API server's watch cache moves past the daemon's resourceVersion (other pods churn);
    on waking, its watch from that version is refused with 410, it lists again, and what changed
    meanwhile is recorded once."""
    sparkd.settings["k8s-watch-timeout"] = "2"
    sparkd.stop()
    sparkd.start()
    job_id = sparkd.submit(driver={})
    sparkd.wait_for_state(job_id, {"RUNNING"})
    driver = driver_pod(api, namespace, job_id)
    api.create(pods(namespace), executor_pod(driver, 1, {"exit-code": "137", "reason": "OOMKilled", "run-for": "1s"}))
    wait_for_executors(sparkd, job_id, 1)
    paused_at = api.get(pods(namespace))["metadata"]["resourceVersion"]
    assert sparkd.process is not None
    sparkd.process.send_signal(signal.SIGSTOP)
    churn = "churn-" + uuid.uuid4().hex[:8]
    api.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": churn}})
    try:
        api.create(pods(namespace), executor_pod(driver, 2, {"exit-code": "52", "run-for": "1s"}))
        api.delete(f"{pods(namespace)}/sparkd-{job_id}-exec-1")

        def expired() -> bool:
            try:
                for _ in api.watch(pods(namespace), paused_at, 1):
                    pass
                return False
            except ApiError as e:
                if e.status != 410:
                    raise
                return True

        def churned() -> bool:  # other pods come and go until the cache forgot `paused_at`
            for _ in range(20):
                name = f"c-{uuid.uuid4().hex[:8]}"
                api.create(pods(churn), {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                         "spec": {"containers": [{"name": "c", "image": IMAGE}]}})  # fmt: skip
                api.delete(f"{pods(churn)}/{name}?gracePeriodSeconds=0")
            return expired()

        wait_until(churned, 300, f"the API server to expire resourceVersion {paused_at}")
    finally:
        sparkd.process.send_signal(signal.SIGCONT)
        api.delete(f"/api/v1/namespaces/{churn}")
    recorded = wait_for_executors(sparkd, job_id, 2)
    assert {k: (v["reason"], v.get("exit_code")) for k, v in recorded.items() if k != "driver"} == {
        "1": ("OOM_KILLED", 137),
        "2": ("JVM_OOM", 52),
    }
    assert "expired; listing again" in sparkd.log(), sparkd.log()[-4000:]
    assert sparkd.job(job_id)["state"] == "RUNNING"


def test_a_missing_permission_fails_the_job_with_the_api_servers_words(
    sparkd: K8sDaemon, api: Api, namespace: str
) -> None:
    without_configmaps = [r for r in SPARKD_RULES if "configmaps" not in r["resources"]]
    without_configmaps.append({"apiGroups": [""], "resources": ["services"], "verbs": ["create"]})
    grant(api, namespace, without_configmaps)
    time.sleep(0)  # RBAC changes apply at once on a single API server
    job_id = sparkd.submit(driver={})
    done = sparkd.wait_for_state(job_id, {"FAILED"})
    message = done["state_message"]
    assert "launch failed" in message and "forbidden" in message and "configmaps" in message, message
    # The half-made launch is undone, and the daemon still serves.
    selector = urllib.parse.quote(f"sparkd.io/job-id={job_id}")
    wait_until(lambda: not api.get(f"{pods(namespace)}?labelSelector={selector}")["items"], TIMEOUT, "no pod left")
    grant(api, namespace, SPARKD_RULES)
    again = sparkd.submit(driver={"exit-code": "0", "run-for": "1s"})
    assert sparkd.wait_for_state(again, {"SUCCEEDED", "FAILED"})["state"] == "SUCCEEDED"


def test_sparkd_run_streams_the_job_and_ends_with_its_report(sparkd: K8sDaemon) -> None:
    done = sparkd.cli(
        "run", "--file", APP_JAR, "--class", "org.apache.spark.examples.SparkPi",
        "--conf", f"spark.kubernetes.driver.annotation.{CHAOS}exit-code=0",
        "--conf", f"spark.kubernetes.driver.annotation.{CHAOS}run-for=2s",
        "--", "10",
        timeout=TIMEOUT * 2,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + sparkd.log()[-4000:]
    assert "RUNNING" in done.stderr and "SUCCEEDED" in done.stderr, done.stderr


def test_logs_and_dashboard_links_open_the_teams_systems_at_the_apps_pods_and_time(
    sparkd: K8sDaemon, namespace: str, tmp_path: Path
) -> None:
    template = (
        "https://grafana.example/explore?ns={namespace}&driver={driver_pod}&pods={pod_prefix}-.*"
        "&from={start_ms}&to={end_ms}&app={app_id}&since={start}&until={end}"
    )
    dashboard = "https://grafana.example/d/spark?ns={namespace}&pods={pod_prefix}-.*&from={start_ms}"
    (tmp_path / "with_logs.yaml").write_text(
        f"description: logs in Grafana\nlinks:\n  logs: '{template}'\n  dashboard: '{dashboard}'\n"
    )
    applied = sparkd.cli("presets", "apply", str(tmp_path))
    assert applied.returncode == 0, applied.stderr
    job_id = sparkd.submit(job_type="with_logs", driver={"exit-code": "0", "run-for": "1s"})
    done = sparkd.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
    url = f"{sparkd.http_url}/jobs/{job_id}/logs"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    assert answer.value.code == 302
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.value.headers["Location"]).query)
    started, finished = (datetime.fromisoformat(done[k]).timestamp() for k in ("started_at", "finished_at"))
    assert query["ns"] == [namespace]
    assert query["driver"] == [f"sparkd-{job_id}-driver"]
    assert query["pods"] == [f"sparkd-{job_id}-.*"]
    assert query["app"] == [done["spark_app_id"]]
    assert abs(int(query["from"][0]) / 1000 - started) < 0.01, (query, done["started_at"])
    assert abs(int(query["to"][0]) / 1000 - finished) < 0.01, (query, done["finished_at"])
    assert datetime.fromisoformat(query["since"][0]).timestamp() == started
    assert datetime.fromisoformat(query["until"][0]).timestamp() == finished
    # The dashboard link of the same preset, filled with the same names.
    request = urllib.request.Request(url.replace("/logs", "/dashboard"), headers=request.headers)
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    assert answer.value.code == 302
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.value.headers["Location"]).query)
    assert query["ns"] == [namespace] and query["pods"] == [f"sparkd-{job_id}-.*"], query
    assert abs(int(query["from"][0]) / 1000 - started) < 0.01, query


# --- realistic executor pods: a real driver's own allocator makes them ---------------------------


def test_executors_made_by_a_real_client_mode_driver_are_recorded(
    sparkd: K8sDaemon, api: Api, k8s: Cluster, namespace: str
) -> None:
    """A real Spark driver in client mode, told that the sparkd-made pod is its driver pod, asks
    the API server for executors; kwok runs them and ends them OOMKilled. They never register
    with the driver (nothing runs in kwok's pods), so the driver only sees them fail: their pod
    objects are the evidence, and sparkd records each with its reason."""
    import pyspark

    job_id = sparkd.submit(driver={})
    sparkd.wait_for_state(job_id, {"RUNNING"})
    driver = driver_pod(api, namespace, job_id)
    home = Path(pyspark.__file__).parent
    conf = {
        "spark.kubernetes.namespace": namespace,
        "spark.kubernetes.container.image": IMAGE,
        "spark.kubernetes.driver.pod.name": driver["metadata"]["name"],
        "spark.kubernetes.authenticate.oauthToken": k8s.admin_token,
        "spark.kubernetes.authenticate.caCertFile": str(k8s.ca_file),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.executor.instances": "2",
        "spark.kubernetes.executor.label.sparkd.io/job-id": job_id,
        f"spark.kubernetes.executor.annotation.{CHAOS}exit-code": "137",
        f"spark.kubernetes.executor.annotation.{CHAOS}reason": "OOMKilled",
        f"spark.kubernetes.executor.annotation.{CHAOS}run-for": "1s",
    }
    command = [str(home / "bin" / "spark-submit"), "--master", f"k8s://{k8s.api_url}", "--deploy-mode", "client"]
    command += ["--class", "io.sparkd.examples.SparkPi"]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    command += [str(EXAMPLES_JAR), "100"]
    env = {**os.environ, "SPARK_HOME": str(home), "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1"}
    env.pop("KUBECONFIG", None)
    log = sparkd.data_dir / "client-mode-driver.log"
    with open(log, "wb") as out:
        spark = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        recorded = wait_for_executors(sparkd, job_id, 2, timeout=TIMEOUT * 3)
        # The driver itself only sees that they failed: the pod objects are the evidence.
        wait_until(lambda: "new failed executors" in log.read_text(), TIMEOUT, "the driver to see it")
    except pytest.fail.Exception:
        print(log.read_text()[-6000:])
        raise
    finally:
        os.killpg(spark.pid, signal.SIGTERM)
        spark.wait(timeout=60)
    made = [x for k, x in recorded.items() if k != "driver"]
    for x in made:
        assert (x["reason"], x["exit_code"]) == ("OOM_KILLED", 137), x
        assert "-exec-" in x["pod_name"] and x["host"], x
    # Spark made them owned by the sparkd driver pod, so deleting it collects them.
    executors_now = api.get(f"{pods(namespace)}?labelSelector=spark-role%3Dexecutor")["items"]
    for pod in executors_now:
        assert [r["uid"] for r in pod["metadata"]["ownerReferences"]] == [driver["metadata"]["uid"]]
    api.patch(
        f"{pods(namespace)}/{driver['metadata']['name']}",
        {"metadata": {"annotations": {CHAOS + "exit-code": "1", CHAOS + "run-for": "0s"}}},
    )
    done = sparkd.wait_for_state(job_id, {"FAILED", "SUCCEEDED"})
    assert done["state"] == "FAILED"
    assert done["report"]["first_fatal_reason"] == "OOM_KILLED", done["report"]
