"""Apache Airflow provider for sparkd: Spark batch jobs that reattach, report and link."""

__version__ = "0.1.0"
