"""The example DAGs import cleanly; an invalid Spark size fails the import with its field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import DAGS


def _dagbag(folder: Path) -> Any:
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:
        from airflow.models.dagbag import DagBag
    return DagBag(dag_folder=str(folder), include_examples=False)


def test_example_dags_import_without_errors() -> None:
    bag = _dagbag(DAGS)
    assert bag.import_errors == {}
    assert {
        "sparkd_example",
        "sparkd_pyspark_pi",
        "sparkd_presets",
        "sparkd_fanout",
        "sparkd_failing",
        "sparkd_sleep",
        "sparkd_k8s",
    } <= set(bag.dag_ids)


def test_invalid_size_fails_the_import_with_the_field_path(tmp_path: Path) -> None:
    # The provider installed from ./provider carries the compiled core: no PYTHONPATH needed.
    (tmp_path / "bad_size.py").write_text(
        "from datetime import datetime\n"
        "from airflow.sdk import DAG\n"
        "from sparkd_provider.operators.sparkd import sparkK8sJob\n"
        "with DAG(dag_id='bad_size', schedule=None, start_date=datetime(2026, 1, 1)) as dag:\n"
        "    sparkK8sJob(task_id='t', file='pi.py', executor_memory='4gb', dag=dag)\n"
    )
    errors = _dagbag(tmp_path).import_errors
    assert len(errors) == 1
    message = next(iter(errors.values()))
    assert "executor.memory" in message
    assert "4gb" in message
