"""The test control plane itself (scripts/k8s-up): a real API server, scheduler and controllers,
kwok's pod lifecycle and our chaos stages (tests/k8s/harness/stages), RBAC, garbage collection,
and the real spark-submit against it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, TIMEOUT, Api, ApiError, Cluster, Event, Obj

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from sparkd_e2e import wait_until

IMAGE = "registry.example/sparkd/never-pulled:1"  # kwok runs no container: never pulled
CHAOS = "kwok.sparkd.test/"


def pod(name: str, annotations: dict[str, str] | None = None, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {"containers": [{"name": "main", "image": IMAGE}], "restartPolicy": "Never", **spec},
    }


def pods(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods"


def condition(obj: Obj, kind: str) -> Obj | None:
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == kind), None)


def state(obj: Obj) -> Obj:
    """The state of the pod's first container ({} before kwok wrote any)."""
    statuses = obj.get("status", {}).get("containerStatuses") or [{}]
    result: Obj = statuses[0].get("state", {})
    return result


def waiting_reason(obj: Obj) -> str | None:
    reason = state(obj).get("waiting", {}).get("reason")
    return None if reason is None else str(reason)


def phase_is(*phases: str) -> Any:
    return lambda e: e.type != "DELETED" and e.object.get("status", {}).get("phase") in phases


def run_pod(api: Api, namespace: str, manifest: Obj, seen: list[Event] | None = None) -> Obj:
    """Creates the pod and waits until kwok has it Running."""
    created = api.create(pods(namespace), manifest)
    return api.wait_for(pods(namespace), created, phase_is("Running"), "phase Running", seen=seen).object


def listening_sockets(pid: int) -> list[str]:
    """The local addresses (hex ip:port, as in /proc/net/tcp*) that process `pid` listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.append(fields[1])
    return found


def test_api_server_is_ready_and_reports_its_version(api: Api) -> None:
    assert api.text("/readyz") == "ok"
    version = api.get("/version")
    assert (version["gitVersion"], version["major"], version["minor"]) == ("v1.37.2", "1", "37")


def test_every_component_listens_on_loopback_only(k8s: Cluster) -> None:
    for name in ("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager", "kwok"):
        pid = int((k8s.dir / f"{name}.pid").read_text())
        addresses = listening_sockets(pid)
        assert addresses, f"{name} listens on nothing"
        for address in addresses:
            ip = address.split(":")[0]
            assert ip == "0100007F", f"{name} listens on {address} (not 127.0.0.1)"


def test_nodes_are_kwok_nodes_and_ready(api: Api, k8s: Cluster) -> None:
    nodes = {n["metadata"]["name"]: n for n in api.get("/api/v1/nodes")["items"]}
    assert set(k8s.nodes) <= set(nodes)
    for name in k8s.nodes:
        ready = condition(nodes[name], "Ready")
        assert ready
        assert ready["status"] == "True"
        assert nodes[name]["status"]["nodeInfo"]["kubeletVersion"] == "kwok-0.8.0"


def test_a_pod_is_scheduled_on_a_kwok_node_and_runs(api: Api, k8s: Cluster, namespace: str) -> None:
    seen: list[Event] = []
    running = run_pod(api, namespace, pod("plain"), seen)
    assert running["spec"]["nodeName"] in k8s.nodes  # bound by the real scheduler
    assert condition(running, "PodScheduled")["status"] == "True"  # type: ignore[index]
    assert condition(running, "Ready")["status"] == "True"  # type: ignore[index]
    assert "startedAt" in state(running)["running"]
    assert running["status"]["podIP"].startswith("10.244.")
    assert running["status"]["hostIP"] == "127.0.0.1"
    waiting = [waiting_reason(e.object) for e in seen]
    assert "ContainerCreating" in waiting, "the pod never showed Pending/ContainerCreating"


def test_a_deleted_pod_stops_and_goes_away(api: Api, namespace: str) -> None:
    running = run_pod(api, namespace, pod("deleted"))
    api.delete(f"{pods(namespace)}/deleted")
    seen: list[Event] = []
    api.wait_for(pods(namespace), running, lambda e: e.type == "DELETED", "deletion", seen=seen)
    stopped = [e.object for e in seen if e.object.get("status", {}).get("phase") == "Failed"]
    assert stopped, "the deleted pod was never marked Failed before it went away"
    assert state(stopped[0])["terminated"]["exitCode"] == 143


def test_an_unschedulable_pod_stays_pending(api: Api, namespace: str) -> None:
    manifest = pod("huge")
    manifest["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "1000"}}
    created = api.create(pods(namespace), manifest)

    def unschedulable(e: Event) -> bool:
        scheduled = condition(e.object, "PodScheduled")
        return scheduled is not None and scheduled.get("reason") == "Unschedulable"

    event = api.wait_for(pods(namespace), created, unschedulable, "PodScheduled=False/Unschedulable")
    assert event.object["status"]["phase"] == "Pending"
    assert "Insufficient cpu" in condition(event.object, "PodScheduled")["message"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("annotations", "phase", "reason", "exit_code"),
    [
        ({"exit-code": "137", "reason": "OOMKilled"}, "Failed", "OOMKilled", 137),
        ({"exit-code": "52"}, "Failed", "Error", 52),  # Spark's JVM OutOfMemoryError exit code
        ({"exit-code": "1"}, "Failed", "Error", 1),
        ({"exit-code": "0"}, "Succeeded", "Completed", 0),
    ],
    ids=["oom-killed", "jvm-oom-52", "error-1", "completed"],
)
def test_a_container_exits_as_annotated(
    api: Api, namespace: str, annotations: dict[str, str], phase: str, reason: str, exit_code: int
) -> None:
    chaos = {CHAOS + k: v for k, v in annotations.items()} | {CHAOS + "run-for": "300ms"}
    running = run_pod(api, namespace, pod("exits", chaos))
    ended = api.wait_for(pods(namespace), running, phase_is("Failed", "Succeeded"), "a terminal phase").object
    assert ended["status"]["phase"] == phase
    terminated = state(ended)["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == (reason, exit_code)
    assert "running" not in state(ended)
    assert ended["status"]["containerStatuses"][0]["image"] == IMAGE
    assert terminated["startedAt"] == state(running)["running"]["startedAt"]
    ready = condition(ended, "Ready")
    assert ready
    assert ready["status"] == "False"
    assert ready["reason"] == ("PodCompleted" if phase == "Succeeded" else "PodFailed")


def test_an_evicted_pod_looks_like_the_kubelets(api: Api, namespace: str) -> None:
    running = run_pod(api, namespace, pod("evicted", {CHAOS + "evict": "true", CHAOS + "run-for": "300ms"}))
    ended = api.wait_for(pods(namespace), running, phase_is("Failed"), "phase Failed").object
    status = ended["status"]
    assert status["reason"] == "Evicted"
    assert status["message"].startswith("The node was low on resource: memory. ")
    disruption = condition(ended, "DisruptionTarget")
    assert disruption
    assert (disruption["status"], disruption["reason"]) == ("True", "TerminationByKubelet")
    assert state(ended)["terminated"]["exitCode"] == 137


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("PreemptionByScheduler", "default-scheduler: preempting to accommodate a higher priority pod"),
        ("DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint"),
    ],
)
def test_a_disrupted_pod_gets_the_condition_then_stops_then_goes(
    api: Api, namespace: str, reason: str, message: str
) -> None:
    annotations = {CHAOS + "disruption": reason, CHAOS + "run-for": "300ms", CHAOS + "delete-after": "500ms"}
    running = run_pod(api, namespace, pod("disrupted", annotations))
    seen: list[Event] = []
    api.wait_for(pods(namespace), running, lambda e: e.type == "DELETED", "deletion", seen=seen)
    marked = next(e.object for e in seen if condition(e.object, "DisruptionTarget"))
    assert marked["status"]["phase"] == "Running", "the condition comes before the containers stop"
    disruption = condition(marked, "DisruptionTarget")
    assert disruption
    assert (disruption["reason"], disruption["message"]) == (reason, message)
    failed = next(e.object for e in seen if e.object["status"].get("phase") == "Failed")
    assert state(failed)["terminated"]["exitCode"] == 143


def test_an_image_pull_failure_backs_off(api: Api, namespace: str) -> None:
    created = api.create(pods(namespace), pod("pull", {CHAOS + "waiting-reason": "ErrImagePull"}))
    seen: list[Event] = []

    def backing_off(e: Event) -> bool:
        return waiting_reason(e.object) == "ImagePullBackOff"

    event = api.wait_for(pods(namespace), created, backing_off, "ImagePullBackOff", seen=seen)
    pulls = [state(e.object)["waiting"] for e in seen if waiting_reason(e.object) == "ErrImagePull"]
    assert pulls
    assert IMAGE in pulls[0]["message"]
    waiting = state(event.object)["waiting"]
    assert waiting["message"].startswith(f'Back-off pulling image "{IMAGE}": rpc error: ')
    assert event.object["status"]["phase"] == "Pending"
    assert event.object["status"]["containerStatuses"][0]["image"] == IMAGE


def test_a_container_config_error_keeps_the_pod_pending(api: Api, namespace: str) -> None:
    created = api.create(pods(namespace), pod("config", {CHAOS + "waiting-reason": "CreateContainerConfigError"}))

    def config_error(e: Event) -> bool:
        return waiting_reason(e.object) == "CreateContainerConfigError"

    event = api.wait_for(pods(namespace), created, config_error, "CreateContainerConfigError")
    assert state(event.object)["waiting"]["message"] == 'configmap "missing" not found'
    assert event.object["status"]["phase"] == "Pending"


def test_the_real_scheduler_preempts_like_the_chaos_stage(api: Api, k8s: Cluster, namespace: str) -> None:
    """Real preemption, to check the chaos stage's condition against the scheduler's own."""
    node = k8s.nodes[0]
    high = f"sparkd-test-high-{namespace}"
    api.create(
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": high}, "value": 1000},
    )
    try:
        pin = {"nodeSelector": {"kubernetes.io/hostname": node}}
        victim = pod("victim", **pin)
        victim["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "12"}}
        running = run_pod(api, namespace, victim)
        preemptor = pod("preemptor", priorityClassName=high, **pin)
        preemptor["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "12"}}
        api.create(pods(namespace), preemptor)
        seen: list[Event] = []
        api.wait_for(pods(namespace), running, lambda e: e.type == "DELETED", "the victim's deletion", seen=seen)
        disruption = next(c for e in seen if (c := condition(e.object, "DisruptionTarget")))
        assert (disruption["reason"], disruption["message"]) == (
            "PreemptionByScheduler",
            "default-scheduler: preempting to accommodate a higher priority pod",
        )
        assert any(e.object["metadata"].get("deletionTimestamp") for e in seen)
        created = api.get(f"{pods(namespace)}/preemptor")
        api.wait_for(pods(namespace), created, phase_is("Running"), "the preemptor running")
    finally:
        api.delete(f"/apis/scheduling.k8s.io/v1/priorityclasses/{high}")


def test_the_real_taint_manager_evicts_like_the_chaos_stage(api: Api, namespace: str) -> None:
    """A NoExecute taint on a node, as the node-lifecycle controller puts on a lost node: the real
    taint-eviction controller marks and deletes the pods there."""
    node = f"lost-{namespace}"
    api.create(
        "/api/v1/nodes",
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": node,
                "annotations": {"kwok.x-k8s.io/node": "fake"},
                "labels": {"kubernetes.io/hostname": node},
            },
        },
    )
    try:
        ready = api.get(f"/api/v1/nodes/{node}")

        def node_ready(e: Event) -> bool:
            c = condition(e.object, "Ready")
            return c is not None and c["status"] == "True"

        api.wait_for("/api/v1/nodes", ready, node_ready, "the new node Ready")
        running = run_pod(api, namespace, pod("stranded", nodeSelector={"kubernetes.io/hostname": node}))
        taint = {"key": "sparkd.test/lost", "value": "true", "effect": "NoExecute"}
        api.patch(f"/api/v1/nodes/{node}", {"spec": {"taints": [taint]}})
        seen: list[Event] = []
        api.wait_for(pods(namespace), running, lambda e: e.type == "DELETED", "the pod's deletion", seen=seen)
        disruption = next(c for e in seen if (c := condition(e.object, "DisruptionTarget")))
        assert (disruption["reason"], disruption["message"]) == (
            "DeletionByTaintManager",
            "Taint manager: deleting due to NoExecute taint",
        )
    finally:
        api.delete(f"/api/v1/nodes/{node}")


def test_a_configmap_owned_by_a_deleted_pod_is_garbage_collected(api: Api, namespace: str) -> None:
    running = run_pod(api, namespace, pod("owner"))
    owner = {"apiVersion": "v1", "kind": "Pod", "name": "owner", "uid": running["metadata"]["uid"]}
    configmaps = f"/api/v1/namespaces/{namespace}/configmaps"
    owned = api.create(
        configmaps,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "owned", "ownerReferences": [owner]},
            "data": {"a": "b"},
        },
    )
    api.delete(f"{pods(namespace)}/owner")
    api.wait_for(configmaps, owned, lambda e: e.type == "DELETED", "garbage collection")
    with pytest.raises(ApiError) as gone:
        api.get(f"{configmaps}/owned")
    assert gone.value.status == 404


def test_the_sparkd_user_is_forbidden_until_a_role_is_bound(api: Api, k8s: Cluster, namespace: str) -> None:
    sparkd = k8s.client(k8s.sparkd_token)
    with pytest.raises(ApiError) as denied:
        sparkd.get(pods(namespace))
    assert denied.value.status == 403
    assert 'User "sparkd" cannot list resource "pods"' in denied.value.body["message"]  # type: ignore[index]
    rbac = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"
    api.create(
        f"{rbac}/roles",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "sparkd"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
        },
    )
    api.create(
        f"{rbac}/rolebindings",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "sparkd"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "sparkd"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "sparkd"}],
        },
    )

    def allowed() -> bool:
        try:
            sparkd.get(pods(namespace))
            return True
        except ApiError as e:
            if e.status != 403:
                raise
            return False

    wait_until(allowed, TIMEOUT, "the RoleBinding to take effect")
    with pytest.raises(ApiError) as still:  # only what the Role grants
        sparkd.create(pods(namespace), pod("nope"))
    assert still.value.status == 403


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


@pytest.mark.parametrize("auth", ["oauth-token", "kubeconfig"])
def test_spark_submit_creates_the_driver_pod_configmap_and_service(
    api: Api, k8s: Cluster, namespace: str, auth: str
) -> None:
    """The real spark-submit (pyspark's) in cluster mode against the API server: it makes the
    driver pod, its configmap and its headless service, and kwok runs the driver pod."""
    home = spark_home()
    tag = uuid.uuid4().hex[:8]
    conf = {
        "spark.kubernetes.namespace": namespace,
        "spark.kubernetes.container.image": "apache/spark:3.5.8",
        "spark.kubernetes.submission.waitAppCompletion": "false",
        "spark.kubernetes.driver.label.sparkd-test": tag,
        "spark.executor.instances": "1",
    }
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    if auth == "oauth-token":
        conf["spark.kubernetes.authenticate.submission.oauthToken"] = k8s.admin_token
        conf["spark.kubernetes.authenticate.submission.caCertFile"] = str(k8s.ca_file)
        env.pop("KUBECONFIG", None)
    else:
        env["KUBECONFIG"] = str(k8s.kubeconfig)
    cmd = [str(home / "bin" / "spark-submit"), "--master", f"k8s://{k8s.api_url}", "--deploy-mode", "cluster"]
    cmd += ["--name", f"harness-{auth}", "--class", "org.apache.spark.examples.SparkPi"]
    for key, value in conf.items():
        cmd += ["--conf", f"{key}={value}"]
    cmd += ["local:///opt/spark/examples/jars/spark-examples.jar", "10"]
    done = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]

    listed = api.get(f"{pods(namespace)}?labelSelector=sparkd-test%3D{tag}")["items"]
    assert len(listed) == 1, listed
    driver = listed[0]
    labels = driver["metadata"]["labels"]
    assert labels["spark-role"] == "driver"
    selector = labels["spark-app-selector"]
    assert re.fullmatch(r"spark-[0-9a-f]{32}", selector)
    running = api.wait_for(pods(namespace), driver, phase_is("Running"), "the driver running").object
    uid = driver["metadata"]["uid"]

    def owned_by_driver(kind: str) -> Obj:
        items = api.get(f"/api/v1/namespaces/{namespace}/{kind}")["items"]
        mine: list[Obj] = [o for o in items if any(r["uid"] == uid for r in o["metadata"].get("ownerReferences", []))]
        assert len(mine) == 1, f"{kind} owned by the driver: {[o['metadata']['name'] for o in mine]}"
        return mine[0]

    configmap = owned_by_driver("configmaps")
    service = owned_by_driver("services")
    assert "spark.properties" in configmap["data"]
    assert service["spec"]["clusterIP"] == "None"  # headless
    assert service["spec"]["selector"]["spark-app-selector"] == selector
    assert service["spec"]["selector"]["spark-role"] == "driver"
    mounted = {v["configMap"]["name"] for v in driver["spec"]["volumes"] if "configMap" in v}
    assert configmap["metadata"]["name"] in mounted

    if auth == "oauth-token" and os.environ.get("SPARKD_K8S_WRITE_FIXTURES"):
        FIXTURES.mkdir(exist_ok=True)
        for name, obj in (("driver-pod", running), ("driver-configmap", configmap), ("driver-service", service)):
            (FIXTURES / f"spark-submit-{name}.json").write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def test_the_saved_spark_submit_fixtures_are_whole() -> None:
    """tests/k8s/fixtures holds one captured driver pod, configmap and service (refreshed by
    SPARKD_K8S_WRITE_FIXTURES=1): the later differential test compares against them."""
    objects = {
        n: json.loads((FIXTURES / f"spark-submit-{n}.json").read_text())
        for n in ("driver-pod", "driver-configmap", "driver-service")
    }
    assert objects["driver-pod"]["metadata"]["labels"]["spark-role"] == "driver"
    assert objects["driver-pod"]["status"]["phase"] == "Running"
    owner = objects["driver-pod"]["metadata"]["uid"]
    for kind in ("driver-configmap", "driver-service"):
        assert [r["uid"] for r in objects[kind]["metadata"]["ownerReferences"]] == [owner]
