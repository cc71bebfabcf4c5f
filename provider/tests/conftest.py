from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fake_sparkd import FakeSparkd

CONN_ID = "sparkd_test"
HTTP_BASE = "http://sparkd.test:8080"


@pytest.fixture
def sparkd(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSparkd]:
    fake = FakeSparkd().start()
    conn = {
        "conn_type": "sparkd",
        "host": "127.0.0.1",
        "port": fake.port,
        "password": "team-a-token",
        "extra": {
            "http_base_url": HTTP_BASE,
            "timeout": 5,
            "attempts": 3,
            "dashboard_url_template": "https://grafana.test/d/spark?app={spark_app_id}&job={job_id}",
        },
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
    yield fake
    fake.stop()


@dataclass
class RecordingTI:
    """The slice of Airflow's task instance the operator uses; remembers what the server had
    been asked when each XCom key was first pushed."""

    server: FakeSparkd
    try_number: int = 1
    dag_id: str = "example"
    task_id: str = "spark"
    run_id: str = "manual__2026-11-21T10:00:00+00:00"
    map_index: int = -1
    max_tries: int | None = None
    xcoms: dict[str, Any] = field(default_factory=dict)
    calls_at_push: dict[str, list[str]] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value
        self.calls_at_push.setdefault(key, list(self.server.calls))


@pytest.fixture
def ti(sparkd: FakeSparkd) -> RecordingTI:
    return RecordingTI(server=sparkd)
