"""The suite files in ``expectations/suites/``: loading, checking and column templates.

Plain JSON handling, no Great Expectations import, so it is cheap to call from anywhere.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SEVERITIES = ("critical", "warning")
TEMPLATE_KEY = "apply_to_columns_matching"


class SuiteFileError(ValueError):
    """A suite file is missing or malformed (a bug in the repository, not in the data)."""


def feed_suite_name(feed: str) -> str:
    return f"feed_{feed}"


def mart_suite_names(suites_dir: Path = SUITES_DIR) -> list[str]:
    return sorted(p.stem for p in suites_dir.glob("mart_*.json"))


def all_suite_names(suites_dir: Path = SUITES_DIR) -> list[str]:
    return sorted(p.stem for p in suites_dir.glob("*.json"))


def load_suite(name: str, suites_dir: Path = SUITES_DIR) -> dict[str, Any]:
    """Read a suite and check what the runner relies on.

    GX itself drops an invalid expectation with only a log line, so a typo in a file would
    silently weaken the gate; the runner compares counts after loading (see ``gx_run``).
    """
    path = suites_dir / f"{name}.json"
    if not path.exists():
        raise SuiteFileError(f"no expectation suite file {path}")
    suite = json.loads(path.read_text(encoding="utf-8"))
    if suite.get("name") != name:
        raise SuiteFileError(f"{path}: 'name' is {suite.get('name')!r}, expected {name!r}")
    expectations = suite.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise SuiteFileError(f"{path}: no expectations")
    for i, exp in enumerate(expectations):
        severity = exp.get("meta", {}).get("severity")
        if severity not in SEVERITIES:
            raise SuiteFileError(
                f"{path}: expectation {i} ({exp.get('type')}) has meta.severity {severity!r}, "
                f"expected one of {SEVERITIES}"
            )
        if exp.get("severity", severity) != severity:
            raise SuiteFileError(
                f"{path}: expectation {i} ({exp.get('type')}): severity {exp['severity']!r} "
                f"differs from meta.severity {severity!r}"
            )
    return suite


def expand_column_templates(suite: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    """Repeat each templated expectation for every matching column of the data.

    An expectation whose ``meta.apply_to_columns_matching`` is a regex is applied to every column
    of ``columns`` that matches it (the mart grows columns such as ``declared_currency``). With no
    match, it stays on its own ``column``, so a mart without any such column fails visibly.
    """
    out = copy.deepcopy(suite)
    expanded: list[dict[str, Any]] = []
    for exp in out["expectations"]:
        pattern = exp.get("meta", {}).get(TEMPLATE_KEY)
        matches = [c for c in columns if pattern and re.search(pattern, c)]
        if not matches:
            expanded.append(exp)
            continue
        for column in matches:
            one = copy.deepcopy(exp)
            one["kwargs"]["column"] = column
            expanded.append(one)
    out["expectations"] = expanded
    return out
