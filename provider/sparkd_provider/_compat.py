"""Airflow 3 names first (airflow.sdk), Airflow 2.10 names as the fallback."""

from __future__ import annotations

try:
    from airflow.sdk import BaseHook, BaseOperator, BaseOperatorLink
    from airflow.sdk.execution_time.xcom import XCom
except ImportError:  # Airflow 2.10
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef]
    from airflow.models import BaseOperator, BaseOperatorLink, XCom  # type: ignore[no-redef]

from airflow.configuration import conf
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.triggers.base import BaseTrigger, TriggerEvent

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "BaseHook",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseTrigger",
    "TriggerEvent",
    "XCom",
    "conf",
]
