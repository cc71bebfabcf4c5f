"""The end-to-end fixtures (a private PostgreSQL, real daemons running real Spark) live in
sparkd_e2e.py so that other suites (tests/security) share them."""

from sparkd_e2e import daemon, postgres_url

__all__ = ["daemon", "postgres_url"]
