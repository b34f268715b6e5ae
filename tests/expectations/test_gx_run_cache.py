"""The GX context kept per process follows suite changes and keeps every run in Data Docs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from expectations.gx_run import SuiteRun, run_suite, run_suites


def _suite(*expectations: dict) -> dict:
    return {"name": "cache_probe", "expectations": list(expectations), "meta": {}}


NOT_NULL = {
    "type": "expect_column_values_to_not_be_null",
    "kwargs": {"column": "a"},
    "meta": {"severity": "critical"},
}
AT_MOST_TWO = {
    "type": "expect_column_max_to_be_between",
    "kwargs": {"column": "a", "max_value": 2},
    "meta": {"severity": "warning"},
}


def test_a_changed_suite_is_run_as_changed_and_runs_share_one_site(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    frame = pd.DataFrame({"a": [1, 2, 3]})
    first = run_suite(_suite(NOT_NULL), frame, data_docs_dir=docs, run_name="r1", parameters={})
    assert [r.type for r in first] == [NOT_NULL["type"]] and first[0].success

    # same name, one more expectation, in the same process: the cached context must follow
    second = run_suite(
        _suite(NOT_NULL, AT_MOST_TWO), frame, data_docs_dir=docs, run_name="r2", parameters={}
    )
    assert [r.type for r in second] == [NOT_NULL["type"], AT_MOST_TWO["type"]]
    assert second[0].success and not second[1].success

    # two runs in one call: one Data Docs update, both pages and both results kept
    third, fourth = run_suites(
        [
            SuiteRun(_suite(NOT_NULL), pd.DataFrame({"a": [None, 1]}), "r3"),
            SuiteRun(_suite(NOT_NULL), frame, "r4"),
        ],
        data_docs_dir=docs,
    )
    assert not third[0].success and fourth[0].success
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) == 4
    assert "cache_probe" in (docs / "index.html").read_text()
