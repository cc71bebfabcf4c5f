"""Extra links on the task page, read from XCom keys the operator pushes right after submit,
so they work while the task still runs or is deferred."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sparkd_provider import _requests as rq
from sparkd_provider._compat import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.models.taskinstancekey import TaskInstanceKey

    from sparkd_provider._compat import BaseOperator


class _SparkdLink(BaseOperatorLink):
    link: ClassVar[rq.Link]

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.link.name

    @property
    def xcom_key(self) -> str:
        # Airflow 3's UI reads the link straight from this XCom key.
        return self.link.xcom_key

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return XCom.get_value(key=self.link.xcom_key, ti_key=ti_key) or ""


class SparkUiLink(_SparkdLink):
    link = rq.SPARK_UI


class DriverLogsLink(_SparkdLink):
    link = rq.DRIVER_LOGS


class JobPageLink(_SparkdLink):
    link = rq.JOB_PAGE


class DashboardLink(_SparkdLink):
    link = rq.DASHBOARD


ALL_LINKS = (SparkUiLink(), DriverLogsLink(), JobPageLink(), DashboardLink())
