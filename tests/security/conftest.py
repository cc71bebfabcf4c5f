"""The adversarial suite runs against the same real daemons as tests/e2e (a private PostgreSQL,
real Spark); their fixtures come from tests/e2e/sparkd_e2e.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from sparkd_e2e import daemon, postgres_url

__all__ = ["daemon", "postgres_url"]
