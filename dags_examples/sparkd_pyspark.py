"""A PySpark job: jobs/pi.py prints "Pi is roughly ..." into the driver log."""

from datetime import datetime
from pathlib import Path

from sparkd_provider.operators.sparkd import sparkK8sJob

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG

with DAG(
    dag_id="sparkd_pyspark_pi", schedule=None, start_date=datetime(2026, 1, 1), catchup=False
) as dag:
    sparkK8sJob(
        task_id="pi",
        file=str(Path(__file__).resolve().parent / "jobs" / "pi.py"),
        name="pi-{{ ds_nodash }}",
        args=["4"],
        driver_memory="1g",
        conf={"spark.sql.shuffle.partitions": 4},
        dag=dag,
    )
