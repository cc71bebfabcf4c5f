"""The provider as `pip install ./provider` installs it: its wheel carries the compiled core."""

from __future__ import annotations

from pathlib import Path

import pytest
import sparkd_provider


def test_the_wheel_carries_the_core_module_inside_the_package() -> None:
    from sparkd_provider import _sparkd_core  # type: ignore[attr-defined]

    assert Path(_sparkd_core.__file__).parent == Path(sparkd_provider.__file__).parent


def test_the_installed_core_reports_errors_like_the_daemon() -> None:
    from sparkd_provider import _sparkd_core  # type: ignore[attr-defined]

    assert _sparkd_core.validate_request({"file": "app.py"}) == {"warnings": []}
    with pytest.raises(_sparkd_core.CoreError, match=r'did you mean "4g"') as error:
        _sparkd_core.validate_request({"file": "app.py", "executor": {"memory": "4gb"}})
    assert error.value.code == "INVALID_ARGUMENT"
    assert str(error.value).startswith("executor.memory: ")
