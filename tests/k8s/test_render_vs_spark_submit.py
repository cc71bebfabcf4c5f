"""Differential test: sparkd's k8s-native driver objects against the real spark-submit.

For each case the core renders the job (`render_driver_manifests`, the daemon's own code through
the Python binding). The real `spark-submit --deploy-mode cluster` of pyspark 3.5.8 is run with
the rendered submission (the conf, pod templates and arguments spark-submit would be given)
against a real kube-apiserver, through a relay that keeps what it sends. sparkd's rendered
objects are created in the same API server (the pod first, then the rest owned by it). Two
checks, each after `normalize_object`, which removes only what docs/k8s-native-rendering.md
lists (names and the parts Spark randomizes, uids, timestamps, resource versions, managed
fields, status, sparkd's own labels and annotation, the order of entries Spark takes from hash
maps): the objects spark-submit sent equal the rendering, in the same order; and the API
server's views of both (its defaults, admission and canonical forms applied) are equal.

The API server: the suite's control plane (the `k8s` fixture of tests/k8s/conftest.py).
What spark-submit sent is kept, per case, in
tests/k8s/fixtures/spark-submit/CASE.json (this run's namespace and address replaced, no
token); the test fails when a stored one is no longer what spark-submit sends
(SPARKD_UPDATE_CAPTURES=1 rewrites them). daemon/core/preset/driver_manifests_capture_test.cc
compares the rendering with those files without a cluster.
"""

from __future__ import annotations

import copy
import difflib
import http.server
import importlib
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pyspark
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE_DIR = os.environ.get("SPARKD_CORE_MODULE_DIR", str(ROOT / "build" / "daemon" / "python"))
CAPTURES = ROOT / "tests" / "k8s" / "fixtures" / "spark-submit"
SPARK_HOME = Path(pyspark.__file__).parent
VENV_BIN = Path(sys.executable).parent
# What the captures say instead of this run's namespace and API server address.
CAPTURE_NAMESPACE = "capture-ns"
CAPTURE_MASTER = "https://kubernetes.default.svc"
UID = "<uid>"
# Admission refuses a pod naming a service account or priority class that does not exist.
SERVICE_ACCOUNT = "spark-runner"
PRIORITY_CLASS = "sparkd-test-batch"

JVM = {"file": "local:///opt/spark/examples/jars/spark-examples.jar", "className": "org.apache.spark.examples.SparkPi"}
CASES: dict[str, dict[str, Any]] = {
    "jvm-app": {**JVM, "args": ["10"]},
    "resources-and-overhead": {
        **JVM,
        "driver": {"memory": "2g", "memoryOverhead": "512m", "cores": 2, "cpuRequest": "500m", "cpuLimit": "2"},
    },
    "small-heap-floor-labels-annotations": {
        **JVM,
        "name": "Nightly Pi.v2",
        "driver": {"memory": "300m"},
        "labels": {"cost-center": "42"},
        "annotations": {"trace": "app={{APP_ID}}"},
        "conf": {"spark.kubernetes.driver.service.annotation.lb": "internal"},
    },
    "node-selectors": {
        **JVM,
        "nodeSelector": {"pool": "spark"},
        "conf": {"spark.kubernetes.driver.node.selector.disk": "ssd"},
    },
    "tolerations-affinity-priority-via-pod-template": {
        **JVM,
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "spark", "effect": "NoSchedule"}],
        "priorityClassName": PRIORITY_CLASS,
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["spark"]}]}
                    ]
                }
            }
        },
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
        "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
    },
    "secrets-env-and-mounted": {
        **JVM,
        "env": [
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
            {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "api", "key": "key"}}},
        ],
        "conf": {"spark.kubernetes.driver.secrets.tls": "/etc/tls"},
    },
    "plain-env": {
        **JVM,
        "env": [{"name": n, "value": v} for n, v in [("ZED", "z"), ("FOO", "bar"), ("ALPHA", "1"), ("MID", "a=b:c")]],
    },
    "dynamic-allocation-shuffle-tracking": {
        **JVM,
        "dynamicAllocation": {"enabled": True, "shuffleTracking": True, "minExecutors": 1, "maxExecutors": 8},
        "executor": {"memory": "4g", "cores": 2},
    },
    "pyspark-py-files": {
        "file": "local:///opt/spark/examples/src/main/python/pi.py",
        "pyFiles": ["local:///opt/deps/helpers.py", "https://repo.example/deps.zip"],
        "args": ["5"],
        "driver": {"memory": "2g"},
    },
    "pyspark-shared-factor-small-heap": {
        "file": "local:///opt/jobs/etl.py",
        "driver": {"memory": "512m"},
        "conf": {"spark.kubernetes.memoryOverheadFactor": "0.2"},
    },
    "ports-service-labels-custom-resources": {
        **JVM,
        "conf": {
            "spark.driver.port": "7100",
            "spark.blockManager.port": "7200",
            "spark.ui.port": "4050",
            "spark.driver.resource.gpu.amount": "1",
            "spark.driver.resource.gpu.vendor": "nvidia.com",
            "spark.driver.resource.gpu.discoveryScript": "/opt/gpu.sh",
            "spark.kubernetes.driver.service.label.exposed": "false",
        },
    },
    "image-pull-service-account-scheduler": {
        **JVM,
        "image": "registry.example/spark:3.5.8",
        "imagePullPolicy": "Always",
        "imagePullSecrets": ["registry-a", "registry-b"],
        "serviceAccount": SERVICE_ACCOUNT,
        "schedulerName": "volcano",
    },
    "local-dir-from-a-spec-volume": {
        **JVM,
        "volumes": [{"name": "spark-local-dir-1", "persistentVolumeClaim": {"claimName": "scratch"}}],
        "volumeMounts": [{"name": "spark-local-dir-1", "mountPath": "/scratch/spark"}],
    },
    "conf-volumes-tmpfs-and-escaping": {
        **JVM,
        "name": " Weird: App=1 ",
        "driver": {"memoryOverheadFactor": 0.25, "memory": "4g"},
        "conf": {
            "spark.kubernetes.driver.volumes.persistentVolumeClaim.ckpt.mount.path": "/ckpt",
            "spark.kubernetes.driver.volumes.persistentVolumeClaim.ckpt.options.claimName": "ckpt",
            "spark.kubernetes.driver.volumes.emptyDir.scratch.mount.path": "/scratch",
            "spark.kubernetes.driver.volumes.emptyDir.scratch.options.sizeLimit": "1Gi",
            "spark.kubernetes.driver.volumes.hostPath.cache.mount.path": "/cache",
            "spark.kubernetes.driver.volumes.hostPath.cache.mount.subPath": "spark",
            "spark.kubernetes.driver.volumes.hostPath.cache.options.path": "/mnt/cache",
            "spark.kubernetes.driver.volumes.nfs.shared.mount.path": "/shared",
            "spark.kubernetes.driver.volumes.nfs.shared.mount.readOnly": "true",
            "spark.kubernetes.driver.volumes.nfs.shared.options.path": "/exports/shared",
            "spark.kubernetes.driver.volumes.nfs.shared.options.server": "nfs.example",
            "spark.kubernetes.local.dirs.tmpfs": "true",
            "spark.sql.weird": "a=b:c\\d\nnext #!x",
            "spark.eventLog.dir": "s3a://logs/events",
        },
    },
}


@pytest.fixture(scope="module")
def core() -> Any:
    sys.path.insert(0, MODULE_DIR)
    try:
        return importlib.import_module("_sparkd_core")
    except ImportError as error:
        pytest.fail(f"_sparkd_core not built in {MODULE_DIR} (set SPARKD_CORE_MODULE_DIR): {error}")


class Api:
    """The few calls the test makes to the API server, as the cluster admin."""

    def __init__(self, env: dict[str, str]) -> None:
        self.url = env["K8S_API_URL"].rstrip("/")
        self.token = env["K8S_ADMIN_TOKEN"]
        self.context = ssl.create_default_context(cafile=env["K8S_CA_FILE"])

    def call(self, method: str, path: str, body: Any = None, also_ok: tuple[int, ...] = ()) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as reply:
                return json.load(reply)
        except urllib.error.HTTPError as error:
            if error.code in also_ok:
                return json.load(error)
            pytest.fail(f"{method} {path}: {error.code} {error.read().decode(errors='replace')}")

    def items(self, namespace: str, resource: str, kind: str) -> list[dict[str, Any]]:
        """The objects of a list, with the apiVersion and kind a list leaves out of its items."""
        listed = self.call("GET", f"/api/v1/namespaces/{namespace}/{resource}")["items"]
        return [{"apiVersion": "v1", "kind": kind, **item} for item in listed]


class RecordingRelay:
    """A loopback HTTP relay to the API server that keeps what spark-submit writes.

    The API server canonicalizes what it stores ("5120Mi" reads back as "5Gi", false and ""
    fields vanish), so only the requests show exactly what Spark sends. The relay adds the admin
    token; spark-submit needs no credentials of its own.
    """

    def __init__(self, k8s: dict[str, str]) -> None:
        self.api = Api(k8s)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if body and self.command in ("POST", "PUT", "PATCH"):
                    resource = urllib.parse.urlsplit(self.path).path.split("/")[5]
                    relay.sent.append((resource, json.loads(body)))
                request = urllib.request.Request(relay.api.url + self.path, data=body, method=self.command)
                request.add_header("Authorization", f"Bearer {relay.api.token}")
                if self.headers.get("Content-Type"):
                    request.add_header("Content-Type", self.headers["Content-Type"])
                try:
                    reply = urllib.request.urlopen(request, context=relay.api.context, timeout=30)
                except urllib.error.HTTPError as error:
                    reply = error
                with reply:
                    data = reply.read()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.headers.get("Content-Type", "application/json"))
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> RecordingRelay:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def k8s_env(k8s: Any) -> dict[str, str]:
    """The k8s.env of the suite's control plane (tests/k8s/conftest.py)."""
    return k8s.env


@pytest.fixture
def namespaces(k8s_env: dict[str, str]) -> Any:
    """Makes fresh namespaces, each with the service account the cases name; deletes them after."""
    api = Api(k8s_env)
    priority = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": PRIORITY_CLASS}}
    api.call("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", {**priority, "value": 1000}, also_ok=(409,))
    created: list[str] = []

    def make(prefix: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        api.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        created.append(name)
        account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": SERVICE_ACCOUNT}}
        api.call("POST", f"/api/v1/namespaces/{name}/serviceaccounts", account)
        return name

    yield make
    for name in created:
        api.call("DELETE", f"/api/v1/namespaces/{name}")


def job_for(case: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "jobId": "jcapture" + re.sub(r"[^a-z0-9]", "", case)[:24],
        "team": "blue",
        "jobType": "platform_default",
        "idempotencyKey": f"dag/{case}/run/0",
        "submitTimeMs": 1796151758641,
        "spec": spec,
    }


def settings_for(namespace: str, master: str) -> dict[str, Any]:
    return {
        "defaultNamespace": namespace,
        "defaultImage": "apache/spark:3.5.8",
        "masterUrl": master,
        # Both sides get it: spark-submit must not wait for the driver (kwok never runs it).
        "daemonConf": {"spark.kubernetes.submission.waitAppCompletion": "false"},
    }


def spark_submit(submission: dict[str, Any], team: str, workdir: Path) -> None:
    """Runs the real spark-submit with what sparkd says it would be given."""
    kubeconfig = workdir / "kubeconfig"  # none of the machine's: the relay authenticates
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    conf = dict(submission["conf"])
    args = [str(VENV_BIN / "spark-submit"), "--master", submission["master"], "--deploy-mode", "cluster"]
    # The usual flags where spark-submit has one, so its own handling of them is exercised.
    for key, flag in [("spark.submit.pyFiles", "--py-files"), ("spark.jars", "--jars")]:
        if key in conf:
            args += [flag, conf.pop(key)]
    for role in ("driver", "executor"):
        text = submission[f"{role}PodTemplate"]
        if text:
            path = workdir / f"{role}-template.json"
            path.write_text(text)
            conf[f"spark.kubernetes.{role}.podTemplateFile"] = str(path)
    for key, value in sorted(conf.items()):
        args += ["--conf", f"{key}={value}"]
    if submission["mainClass"]:
        args += ["--class", submission["mainClass"]]
    args += [submission["primaryResource"], *submission["args"]]
    env = {
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "SPARK_HOME": str(SPARK_HOME),
        "KUBECONFIG": str(kubeconfig),
        "SPARK_USER": team,  # sparkd's SPARK_USER is the team unless configured
        "HOME": str(workdir),
    }
    done = subprocess.run(args, env=env, cwd=workdir, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"spark-submit failed:\n{done.stdout}\n{done.stderr}"


def create_rendered(api: Api, manifests: dict[str, Any], core: Any, job: dict, settings: dict) -> None:
    namespace = manifests["namespace"]
    pod = api.call("POST", f"/api/v1/namespaces/{namespace}/pods", manifests["pod"])
    owned = core.render_driver_manifests(job, settings, pod_uid=pod["metadata"]["uid"])
    for dependent in owned["dependents"]:
        api.call("POST", f"/api/v1/namespaces/{namespace}/{dependent['resource']}", dependent["object"])


def read_objects(api: Api, namespace: str, pod_name: str) -> dict[str, Any]:
    pod = api.call("GET", f"/api/v1/namespaces/{namespace}/pods/{pod_name}")
    services = api.items(namespace, "services", "Service")
    config_maps = api.items(namespace, "configmaps", "ConfigMap")
    config_maps = [c for c in config_maps if c["metadata"]["name"] != "kube-root-ca.crt"]
    return {"pod": pod, "services": services, "configmaps": config_maps}


def objects_of(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """Objects in the shape read_objects returns."""
    pods = [b for b in bodies if b["kind"] == "Pod"]
    services = [b for b in bodies if b["kind"] == "Service"]
    return {"pod": pods[0], "services": services, "configmaps": [b for b in bodies if b["kind"] == "ConfigMap"]}


def order_shape(plan: dict[str, Any], conf: dict[str, str]) -> dict[str, list[str]]:
    """The order of the pod's lists, with the names Spark takes from hash maps as "*"."""
    unordered = set()
    for key in conf:
        for prefix in ("spark.kubernetes.driverEnv.", "spark.kubernetes.driver.secretKeyRef."):
            if key.startswith(prefix):
                unordered.add(key[len(prefix) :])
        if key.startswith("spark.kubernetes.driver.secrets."):
            unordered.add(key[len("spark.kubernetes.driver.secrets.") :] + "-volume")
        if key.startswith("spark.kubernetes.driver.volumes."):
            unordered.add(key.split(".")[5])
    container = plan["pod"]["spec"]["containers"][-1]

    def shape(items: list[dict[str, Any]]) -> list[str]:
        return ["*" if item["name"] in unordered else item["name"] for item in items]

    return {
        "env": shape(container["env"]),
        "volumes": shape(plan["pod"]["spec"]["volumes"]),
        "volumeMounts": shape(container["volumeMounts"]),
        "containers": [c["name"] for c in plan["pod"]["spec"]["containers"]],
    }


def java_escape(text: str) -> str:
    """java.util.Properties' escaping of a value, for finding one in spark.properties."""
    out = ""
    for i, c in enumerate(text):
        out += {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}.get(c, "")
        if c in "\\\t\n\r\f":
            continue
        out += ("\\" + c) if c in "=:#!" or (c == " " and i == 0) else c
    return out


def structured_properties(text: str) -> dict[str, Any]:
    lines = text.rstrip("\n").split("\n")
    assert re.fullmatch(r"#[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d [A-Z]+ \d{4}", lines[1]), lines[1]
    return {"comment": lines[0], "date": "<date>", "entries": sorted(lines[2:])}


def sort_lists(obj: Any) -> Any:
    """Recursively: env and volumes by name, mounts by path (Spark takes some from hash maps)."""
    if isinstance(obj, dict):
        out = {k: sort_lists(v) for k, v in obj.items()}
        for key, by in [("env", "name"), ("volumes", "name"), ("volumeMounts", "mountPath")]:
            if isinstance(out.get(key), list):
                out[key] = sorted(out[key], key=lambda item, by=by: str(item.get(by)))
        return out
    if isinstance(obj, list):
        return [sort_lists(v) for v in obj]
    return obj


def normalize_object(obj: dict[str, Any], sparkd_metadata: bool) -> dict[str, Any]:
    """The parts of one object both sides must agree on (see the module docstring)."""
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    meta = obj.get("metadata", {})
    for key in ("uid", "creationTimestamp", "resourceVersion", "managedFields", "generation"):
        meta.pop(key, None)
    for owner in meta.get("ownerReferences", []):
        owner["uid"] = UID
    annotations = meta.get("annotations", {})
    annotations.pop("sparkd.io/idempotency-key", None)
    if not annotations:
        meta.pop("annotations", None)
    if sparkd_metadata and obj.get("kind") != "Pod":
        labels = {k: v for k, v in meta.get("labels", {}).items() if not k.startswith("sparkd.io/")}
        meta["labels"] = labels
        if not labels:
            meta.pop("labels")
    obj.get("spec", {}).pop("nodeName", None)
    data = obj.get("data", {})
    if "spark.properties" in data:
        data["spark.properties"] = structured_properties(data["spark.properties"])
    text = re.sub(r"kube-api-access-[a-z0-9]{5}", "kube-api-access-<random>", json.dumps(obj))
    return sort_lists(json.loads(text))


def as_plan(objects: dict[str, Any]) -> dict[str, Any]:
    """The pod and the dependents in sparkd's creation order: service, template, properties."""
    config_maps = sorted(objects["configmaps"], key=lambda c: "spark.properties" in c.get("data", {}))
    dependents = [{"resource": "services", "object": s} for s in objects["services"]]
    dependents += [{"resource": "configmaps", "object": c} for c in config_maps]
    return {"pod": objects["pod"], "dependents": dependents}


def spark_names(objects: dict[str, Any]) -> dict[str, str]:
    """What Spark generated at random, found in its objects."""
    pod = objects["pod"]
    container = pod["spec"]["containers"][-1]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    names = {
        "appId": pod["metadata"]["labels"]["spark-app-selector"],
        "service": objects["services"][0]["metadata"]["name"],
        "confConfigMap": volumes["spark-conf-volume-driver"]["configMap"]["name"],
    }
    if "pod-template-volume" in volumes:
        names["podTemplateConfigMap"] = volumes["pod-template-volume"]["configMap"]["name"]
    local_dirs = next(e["value"] for e in container["env"] if e["name"] == "SPARK_LOCAL_DIRS")
    if re.fullmatch(r"/var/data/spark-[0-9a-f-]{36}", local_dirs):
        names["localDir"] = local_dirs
    return names


def to_sparkd_names(objects: dict[str, Any], ours: dict[str, str], submit_time: int) -> dict[str, Any]:
    """Spark's objects with its random names replaced by sparkd's, its clock by the job's."""
    text = json.dumps(objects)
    for key, value in spark_names(objects).items():
        text = text.replace(value, ours[key])
    text = re.sub(r"spark\.app\.submitTime=\d+", f"spark.app.submitTime={submit_time}", text)
    objects = json.loads(text)
    for config_map in objects["configmaps"]:
        props = config_map.get("data", {}).get("spark.properties")
        if props is not None:  # sparkd has no template file to name: it renders the template
            lines = [x for x in props.split("\n") if not x.startswith("spark.kubernetes.driver.podTemplateFile=")]
            config_map["data"]["spark.properties"] = "\n".join(lines)
    return objects


def diff(spark: Any, sparkd: Any) -> str:
    lines = [json.dumps(x, indent=1, sort_keys=True).splitlines() for x in (spark, sparkd)]
    return "\n".join(difflib.unified_diff(*lines, "spark-submit", "sparkd", lineterm="", n=4))


def to_capture(obj: Any, namespace: str, master: str) -> Any:
    """`obj` as the captures store it: this run's namespace and API server address replaced."""
    text = json.dumps(obj)
    escaped = (java_escape("k8s://" + master), java_escape("k8s://" + CAPTURE_MASTER))
    for before, after in [escaped, (master, CAPTURE_MASTER)]:
        text = text.replace(json.dumps(before)[1:-1], json.dumps(after)[1:-1])
    return json.loads(re.sub(rf"\b{re.escape(namespace)}\b", CAPTURE_NAMESPACE, text))


def normalized(plan: dict[str, Any], sparkd_metadata: bool) -> dict[str, Any]:
    return {
        "pod": normalize_object(plan["pod"], sparkd_metadata),
        "dependents": [
            {"resource": d["resource"], "object": normalize_object(d["object"], sparkd_metadata)}
            for d in plan["dependents"]
        ],
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_matches_spark_submit(
    case: str, core: Any, k8s_env: dict[str, str], namespaces: Any, tmp_path: Path
):
    api = Api(k8s_env)
    spark_ns, sparkd_ns = namespaces("rvs-spark"), namespaces("rvs-sparkd")
    job = job_for(case, CASES[case])
    with RecordingRelay(k8s_env) as relay:
        # Both sides name the relay as their API server, so spark.master is the same.
        rendered = core.render_driver_manifests(job, settings_for(spark_ns, relay.url), pod_uid=UID)
        spark_submit(rendered["submission"], job["team"], tmp_path)
        sent = relay.sent
    assert [resource for resource, _ in sent] == ["pods"] + [d["resource"] for d in rendered["dependents"]]
    names, submit_time = rendered["names"], job["submitTimeMs"]
    spark_sent = to_sparkd_names(objects_of([body for _, body in sent]), names, submit_time)
    spark_served = to_sparkd_names(read_objects(api, spark_ns, names["driverPod"]), names, submit_time)

    sparkd_settings = settings_for(sparkd_ns, relay.url)
    create_rendered(api, core.render_driver_manifests(job, sparkd_settings), core, job, sparkd_settings)
    served_text = json.dumps(read_objects(api, sparkd_ns, names["driverPod"]))
    sparkd_served = json.loads(re.sub(rf"\b{re.escape(sparkd_ns)}\b", spark_ns, served_text))

    spark_view, sparkd_view = normalized(as_plan(spark_served), False), normalized(as_plan(sparkd_served), True)
    assert spark_view == sparkd_view, "the API server's views differ:\n" + diff(spark_view, sparkd_view)
    rendered_plan = {"pod": rendered["pod"], "dependents": rendered["dependents"]}
    conf = rendered["submission"]["conf"]
    assert order_shape(as_plan(spark_sent), conf) == order_shape(rendered_plan, conf)
    spark_request = normalized(as_plan(spark_sent), False)
    sparkd_request = normalized(rendered_plan, True)
    assert spark_request == sparkd_request, "spark-submit sent other objects:\n" + diff(spark_request, sparkd_request)

    capture = {"case": case, "job": job, "settings": settings_for(spark_ns, relay.url), "objects": spark_request}
    text = json.dumps(to_capture(capture, spark_ns, relay.url), indent=1, sort_keys=True) + "\n"
    assert k8s_env["K8S_ADMIN_TOKEN"] not in text
    path = CAPTURES / f"{case}.json"
    if os.environ.get("SPARKD_UPDATE_CAPTURES") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert json.loads(path.read_text()) == json.loads(text), f"{path} is not what spark-submit sends now"


def test_binding_names_what_is_wrong(core: Any):
    settings = settings_for("ns", CAPTURE_MASTER)
    local = job_for("local", {**JVM, "file": "/home/me/app.jar"})
    with pytest.raises(core.CoreError, match=r'^file: "/home/me/app.jar" is a local file') as error:
        core.render_driver_manifests(local, settings)
    assert error.value.code == "INVALID_ARGUMENT"
    with pytest.raises(core.CoreError, match=r"^settings\.bogus: unknown field"):
        core.render_driver_manifests(job_for("jvm-app", JVM), {**settings, "bogus": 1})
    with pytest.raises(core.CoreError, match=r'^conf\."spark\.driver\.memory": "lots" is not a size'):
        core.render_driver_manifests(job_for("jvm-app", {**JVM, "driver": {"memory": "lots"}}), settings)


def test_binding_owns_the_dependents_by_the_created_pods_uid(core: Any):
    settings = settings_for("ns", CAPTURE_MASTER)
    plain = core.render_driver_manifests(job_for("jvm-app", JVM), settings)
    owned = core.render_driver_manifests(job_for("jvm-app", JVM), settings, pod_uid="1234-abcd")
    assert all("ownerReferences" not in d["object"]["metadata"] for d in plain["dependents"])
    owners = [d["object"]["metadata"]["ownerReferences"] for d in owned["dependents"]]
    pod = {"apiVersion": "v1", "kind": "Pod", "controller": True, "name": owned["names"]["driverPod"]}
    assert owners == [[{**pod, "uid": "1234-abcd"}]] * 2
