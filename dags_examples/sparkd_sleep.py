"""A long job to stop from Airflow: killing the task cancels the Spark job in sparkd."""

import os
from datetime import datetime
from pathlib import Path

from sparkd_provider.operators.sparkd import sparkK8sJob

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG

JAR = os.environ.get(
    "SPARKD_EXAMPLES_JAR",
    str(Path(__file__).resolve().parents[1] / "build" / "examples" / "sparkd-examples.jar"),
)

with DAG(
    dag_id="sparkd_sleep", schedule=None, start_date=datetime(2026, 1, 1), catchup=False
) as dag:
    sparkK8sJob(
        task_id="sleep",
        file=JAR,
        class_name="io.sparkd.examples.Sleep",
        args=["600"],
        retries=0,
        dag=dag,
    )
