"""The _sparkd_core binding against the shared preset case table (tests/cases/presets/*.yaml).

The C++ test daemon/core/preset/preset_cases_test.cc runs the same files, so the Airflow
provider's parse-time validation and the daemon give the same answers for the same inputs.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "tests" / "cases" / "presets"
MODULE_DIR = os.environ.get("SPARKD_CORE_MODULE_DIR", str(ROOT / "build" / "daemon" / "python"))


@pytest.fixture(scope="module")
def core() -> Any:
    sys.path.insert(0, MODULE_DIR)
    try:
        return importlib.import_module("_sparkd_core")
    except ImportError as error:
        pytest.fail(f"_sparkd_core not built in {MODULE_DIR} (set SPARKD_CORE_MODULE_DIR): {error}")


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        cases.extend(yaml.safe_load(path.read_text()))
    return cases


CASES = load_cases()


def contains(actual: Any, expected: Any, where: str = "") -> str | None:
    """Why `actual` does not hold `expected` (same rules as the C++ runner), or None."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}/{key}: missing in {actual!r}"
            why = contains(actual[key], value, f"{where}/{key}")
            if why:
                return why
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where}: expected {expected!r}, got {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            why = contains(a, e, f"{where}/{i}")
            if why:
                return why
        return None
    if actual != expected or type(actual) is not type(expected):
        return f"{where}: expected {expected!r}, got {actual!r}"
    return None


def has_pointer(document: Any, pointer: str) -> bool:
    node = document
    for part in pointer.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def run(core: Any, case: dict[str, Any]) -> Any:
    kind = case["kind"]
    if kind == "parse_preset":
        return core.parse_preset(case["preset"])
    if kind == "validate_request":
        return core.validate_request(case["request"])
    if kind == "diff":
        return core.diff_presets(case["before"], case["after"])
    if kind == "merge":
        return core.merge_presets(
            case.get("defaults") or "", case.get("presets") or {}, case.get("job_type", "")
        )
    return core.resolve(
        case.get("defaults") or "", case.get("presets") or {}, case["request"], case.get("context", {})
    )


def test_table_is_not_empty() -> None:
    assert len(CASES) > 80


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shared_case(core: Any, case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(ValueError, match=re.escape(case["error"])) as raised:
            run(core, case)
        assert case["error"] in str(raised.value)
        assert raised.value.code == case.get("code", "INVALID_ARGUMENT")
        return
    result = run(core, case)
    if "result" in case:
        why = contains(result, case["result"])
        assert why is None, why
    for pointer in case.get("absent", []):
        assert not has_pointer(result, pointer), f"{pointer} in {result!r}"
    for text in case.get("warnings_contain", []):
        assert any(text in w for w in result["warnings"]), (text, result["warnings"])


def test_request_as_json_text_is_accepted(core: Any) -> None:
    assert core.validate_request('{"file": "app.py"}') == {"warnings": []}


def test_errors_are_value_errors_with_the_field_path(core: Any) -> None:
    with pytest.raises(core.CoreError, match=r'^executor\.memory: "4gb" is not a Spark size'):
        core.parse_preset("executor: {memory: 4gb}")
