"""What Airflow's ProvidersManager reads from the `apache_airflow_provider` entry point."""

from __future__ import annotations

from typing import Any

from sparkd_provider import __version__


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-sparkd",
        "name": "sparkd",
        "description": "Run Spark batch jobs through sparkd: deferrable, reattaching, reported.",
        "versions": [__version__],
        "connection-types": [
            {
                "connection-type": "sparkd",
                "hook-class-name": "sparkd_provider.hooks.sparkd.SparkdHook",
            }
        ],
        "hooks": [
            {"integration-name": "sparkd", "python-modules": ["sparkd_provider.hooks.sparkd"]}
        ],
        "operators": [
            {"integration-name": "sparkd", "python-modules": ["sparkd_provider.operators.sparkd"]}
        ],
        "triggers": [
            {"integration-name": "sparkd", "python-modules": ["sparkd_provider.triggers.sparkd"]}
        ],
        # Read by the operator with the same default when Airflow has not loaded provider config.
        "config": {
            "sparkd": {
                "description": "Defaults of the sparkd operator.",
                "options": {
                    "default_deferrable": {
                        "description": "Whether a sparkK8sJob task that does not pass `deferrable` "
                        "waits in the triggerer (True) or polls in its worker (False). Airflow's "
                        "[operators] default_deferrable is not read.",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "False",
                        "default": "True",
                    }
                },
            }
        },
        "extra-links": [
            "sparkd_provider.links.SparkUiLink",
            "sparkd_provider.links.DriverLogsLink",
            "sparkd_provider.links.JobPageLink",
            "sparkd_provider.links.DashboardLink",
        ],
    }
