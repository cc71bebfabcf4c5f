"""Dynamic task mapping: one Spark job per element of args, each with its own idempotency key
(the map index is part of it) and its own links."""

from datetime import datetime
from pathlib import Path

from sparkd_provider.operators.sparkd import SparkK8sJobOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG

with DAG(
    dag_id="sparkd_fanout", schedule=None, start_date=datetime(2026, 1, 1), catchup=False
) as dag:
    SparkK8sJobOperator.partial(
        task_id="pi_partitions",
        file=str(Path(__file__).resolve().parent / "jobs" / "pi.py"),
        job_type="platform_default",
    ).expand(args=[["2"], ["4"], ["8"]])
