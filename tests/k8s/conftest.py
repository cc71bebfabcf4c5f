"""Fixtures for tests against a real Kubernetes control plane on loopback (scripts/k8s-up): etcd,
kube-apiserver, kube-scheduler, kube-controller-manager, and kwok playing the pods on fake nodes.

Fixtures:
  k8s        (session) a `Cluster`: API URL, CA file, admin and `sparkd` tokens, kubeconfigs,
             `client()` for the REST API, `kubectl()`. Started in a temporary folder and stopped
             at the end (the folder, with the logs, is kept when a test failed); or, when
             SPARKD_TEST_K8S_ENV names the k8s.env of a control plane that is already up, that
             one (left running).
  namespace  (function) a fresh namespace with its `default` service account; deleted after.
  api        (function) `k8s.client()`, the admin client.

Nothing is faked: every request goes to the real API server over TLS on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.client import HTTPResponse
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Pods play through kwok's stages within a second or two; a loaded machine gets a wide margin.
TIMEOUT = 60.0

Obj = dict[str, Any]


class ApiError(Exception):
    """A non-2xx answer of the API server; `status` is the HTTP code, `body` the decoded Status."""

    def __init__(self, method: str, path: str, status: int, body: Obj | str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass
class Event:
    """One watch event: ADDED, MODIFIED or DELETED, and the object as it was then."""

    type: str
    object: Obj


@dataclass
class Api:
    """A small client of the Kubernetes REST API (JSON over HTTPS, bearer token)."""

    url: str
    token: str
    ca_file: Path
    _ssl: ssl.SSLContext = field(init=False, repr=False)
    _opener: urllib.request.OpenerDirector = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ssl = ssl.create_default_context(cafile=str(self.ca_file))
        # No proxy, whatever the environment says: the API server is on loopback.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self._ssl)
        )

    def _open(self, method: str, path: str, body: object, content_type: str, timeout: float) -> HTTPResponse:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            response: HTTPResponse = self._opener.open(request, timeout=timeout)
            return response
        except urllib.error.HTTPError as e:
            raw = e.read().decode(errors="replace")
            try:
                decoded: Obj | str = json.loads(raw)
            except ValueError:
                decoded = raw
            raise ApiError(method, path, e.code, decoded) from None

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> Obj:
        with self._open(method, path, body, content_type, timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw.startswith(b"{") else {"raw": raw.decode()}

    def text(self, path: str) -> str:
        with self._open("GET", path, None, "", 30.0) as response:
            return str(response.read().decode())

    def get(self, path: str) -> Obj:
        return self.request("GET", path)

    def create(self, path: str, body: Obj) -> Obj:
        return self.request("POST", path, body)

    def delete(self, path: str, body: Obj | None = None) -> Obj:
        return self.request("DELETE", path, body)

    def patch(self, path: str, body: Obj, kind: str = "strategic-merge-patch") -> Obj:
        return self.request("PATCH", path, body, content_type=f"application/{kind}+json")

    def watch(self, path: str, resource_version: str, timeout: float = TIMEOUT) -> Iterator[Event]:
        """The changes of the collection at `path` after `resource_version`, as they come, until
        `timeout`; every change is seen, none is missed between polls."""
        query = urllib.parse.urlencode(
            {
                "watch": "1",
                "resourceVersion": resource_version,
                "timeoutSeconds": str(max(1, int(timeout))),
                "allowWatchBookmarks": "false",
            }
        )
        sep = "&" if "?" in path else "?"
        with self._open("GET", f"{path}{sep}{query}", None, "", timeout + 10) as response:
            for line in response:
                event = json.loads(line)
                if event["type"] == "ERROR":
                    raise ApiError("WATCH", path, int(event["object"].get("code", 0)), event["object"])
                yield Event(event["type"], event["object"])

    def wait_for(
        self,
        collection: str,
        obj: Obj,
        condition: Callable[[Event], bool],
        what: str,
        timeout: float = TIMEOUT,
        seen: list[Event] | None = None,
    ) -> Event:
        """Watches the object `obj` (as returned by a create or get) in `collection` until an event
        meets `condition`, which is first asked about `obj` itself (as an ADDED event). Every event
        is appended to `seen` when given. Fails the test after `timeout`."""
        first = Event("ADDED", obj)
        if seen is not None:
            seen.append(first)
        if condition(first):
            return first
        name = obj["metadata"]["name"]
        path = f"{collection}?fieldSelector=" + urllib.parse.quote(f"metadata.name={name}")
        deadline = time.monotonic() + timeout
        version = obj["metadata"]["resourceVersion"]
        while (left := deadline - time.monotonic()) > 0:
            for event in self.watch(path, version, left):
                if seen is not None:
                    seen.append(event)
                if condition(event):
                    return event
                version = event.object["metadata"]["resourceVersion"]
                if event.type == "DELETED":
                    pytest.fail(f"{name} was deleted while waiting for {what}; seen: {summary(seen)}")
        pytest.fail(f"timed out after {timeout}s waiting for {what} of {name}; seen: {summary(seen)}")


def summary(events: list[Event] | None) -> str:
    """The watch events of pods, briefly, for failure messages."""
    out = []
    for e in events or []:
        status = e.object.get("status", {})
        states = [list(c.get("state", {}).items()) for c in status.get("containerStatuses", [])]
        out.append(f"{e.type}:{status.get('phase')}:{states}")
    return "; ".join(out)




def read_env(path: Path) -> dict[str, str]:
    """The variables of a k8s.env file (lines `export NAME=VALUE`)."""
    env = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            env[name] = " ".join(shlex.split(value))
    return env


@dataclass
class Cluster:
    """A running control plane, as scripts/k8s-up describes it in its k8s.env."""

    env: dict[str, str]

    @property
    def dir(self) -> Path:
        return Path(self.env["K8S_DIR"])

    @property
    def api_url(self) -> str:
        return self.env["K8S_API_URL"]

    @property
    def ca_file(self) -> Path:
        return Path(self.env["K8S_CA_FILE"])

    @property
    def admin_token(self) -> str:
        return self.env["K8S_ADMIN_TOKEN"]

    @property
    def sparkd_token(self) -> str:
        return self.env["K8S_SPARKD_TOKEN"]

    @property
    def kubeconfig(self) -> Path:
        return Path(self.env["KUBECONFIG"])

    @property
    def sparkd_kubeconfig(self) -> Path:
        return Path(self.env["K8S_SPARKD_KUBECONFIG"])

    @property
    def bin_dir(self) -> Path:
        return Path(self.env["K8S_BIN_DIR"])

    @property
    def nodes(self) -> list[str]:
        return self.env["K8S_NODES"].split()

    def client(self, token: str | None = None) -> Api:
        """A REST client; the admin's unless `token` is given."""
        return Api(self.api_url, token or self.admin_token, self.ca_file)

    def kubectl(self, *args: str, kubeconfig: Path | None = None, input: str | None = None) -> str:
        """Runs the built kubectl (admin's kubeconfig unless given); its stdout, or a failure."""
        cmd = [str(self.bin_dir / "kubectl"), f"--kubeconfig={kubeconfig or self.kubeconfig}", *args]
        done = subprocess.run(cmd, check=False, input=input, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.fail(f"{shlex.join(cmd)} failed ({done.returncode}): {done.stderr}")
        return done.stdout


@pytest.fixture(scope="session")
def k8s(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    existing = os.environ.get("SPARKD_TEST_K8S_ENV")
    if existing:
        yield Cluster(read_env(Path(existing)))
        return
    work = Path(tempfile.mkdtemp(prefix="sparkd-k8s-"))
    # The cold build takes half an hour; its progress goes to the terminal (stderr).
    bin_dir = subprocess.run(
        [SCRIPTS / "k8s-build"], stdout=subprocess.PIPE, text=True, check=True, timeout=4 * 3600
    ).stdout.strip()
    env = {**os.environ, "K8S_BIN_DIR": bin_dir}
    try:
        up = subprocess.run(
            [SCRIPTS / "k8s-up", work], check=False, env=env, capture_output=True, text=True, timeout=300
        )
        if up.returncode != 0:
            pytest.fail(f"scripts/k8s-up failed: {up.stderr}")
        yield Cluster(read_env(Path(up.stdout.strip())))
    finally:
        subprocess.run([SCRIPTS / "k8s-down", work], check=False, timeout=120)
        if request.session.testsfailed:
            print(f"\nk8s: the control plane's logs are kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def api(k8s: Cluster) -> Api:
    return k8s.client()


def wait_for_object(api: Api, collection: str, name: str) -> None:
    """Returns once `collection` holds an object called `name` (made by a controller)."""
    listed = api.get(collection)
    if any(item["metadata"]["name"] == name for item in listed["items"]):
        return
    for event in api.watch(collection, listed["metadata"]["resourceVersion"], TIMEOUT):
        if event.type == "ADDED" and event.object["metadata"]["name"] == name:
            return
    pytest.fail(f"no {name} in {collection} after {TIMEOUT}s")


@pytest.fixture
def namespace(api: Api) -> Iterator[str]:
    name = "t-" + uuid.uuid4().hex[:10]
    ns = api.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    # Pods are refused until the service-account controller made `default` in the namespace; the
    # root-CA publisher's configmap is awaited too, so that no controller writes into the
    # namespace while a test counts the API server's requests.
    wait_for_object(api, f"/api/v1/namespaces/{name}/serviceaccounts", "default")
    wait_for_object(api, f"/api/v1/namespaces/{name}/configmaps", "kube-root-ca.crt")
    assert ns["metadata"]["name"] == name
    yield name
    api.delete(f"/api/v1/namespaces/{name}")
