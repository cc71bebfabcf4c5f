"""A JVM job on a daemon that runs `--backend k8s-native`: SparkPi from the Spark image's own
examples jar (a `local://` path is a path inside the driver's container), on the team's preset,
which says the namespace, image, service account and node pool. On the local backend the jar
does not exist: run this DAG against a Kubernetes daemon.
"""

from datetime import datetime

from sparkd_provider.operators.sparkd import sparkK8sJob

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.10
    from airflow import DAG

with DAG(dag_id="sparkd_k8s", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    sparkK8sJob(
        task_id="spark_pi",
        file="local:///opt/spark/examples/jars/spark-examples.jar",
        class_name="org.apache.spark.examples.SparkPi",
        job_type="platform_default",
        args=["100"],
        num_executors=2,
        dag=dag,
    )
