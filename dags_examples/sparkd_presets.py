"""Two jobs on two presets of the team: options not named here come from the preset."""

from datetime import datetime
from pathlib import Path

from sparkd_provider.operators.sparkd import sparkK8sJob

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG

PI = str(Path(__file__).resolve().parent / "jobs" / "pi.py")

with DAG(
    dag_id="sparkd_presets", schedule=None, start_date=datetime(2026, 1, 1), catchup=False
) as dag:
    light = sparkK8sJob(
        task_id="pi_default", file=PI, job_type="platform_default", args=["2"], dag=dag
    )
    heavy = sparkK8sJob(
        task_id="pi_heavy_shuffle",
        file=PI,
        job_type="heavy_shuffle",
        args=["8"],
        executor_memory="2g",
        executor_cores=2,
        dynamic_allocation=True,
        min_executors=1,
        max_executors=4,
        labels={"cost-center": "analytics"},
        dag=dag,
    )
    light >> heavy
