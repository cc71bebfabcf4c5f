"""The design's DAG: a JVM Spark job with a main class and arguments, on the team's preset.

The jar is built from dags_examples/jvm by scripts/build-example-jar; SPARKD_EXAMPLES_JAR
overrides where it is. The connection comes from AIRFLOW_CONN_SPARKD_DEFAULT.
"""

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
    dag_id="sparkd_example", schedule=None, start_date=datetime(2026, 1, 1), catchup=False
) as dag:
    sparkK8sJob(
        task_id="spark_pi",
        file=JAR,
        class_name="io.sparkd.examples.SparkPi",
        job_type="platform_default",
        args=["4"],
        executor_memory="1g",
        dag=dag,
    )
