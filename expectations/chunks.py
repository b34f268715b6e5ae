"""Combine the results of one suite validated chunk by chunk into one result per expectation.

A large mart is validated in chunks so that memory does not grow with the table (see
``checkpoints.check_marts``). Each chunk is a GX run of the same suite; what is recorded in
``audit/dq_results`` is one row per expectation, as for a table validated whole:

- row-level checks: the counts are summed, the examples of unexpected values concatenated;
  a ``mostly`` is decided again on the summed counts (the share over the whole table, not the
  strictest chunk);
- the row-count check is decided again on the summed row count;
- any other check (table columns, a uniqueness within the chunk) succeeds if every chunk did.

Chunks are split by a hash of the suite's key, so all rows of one key fall in one chunk and a
uniqueness check within each chunk is a uniqueness check over the whole selection.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from expectations.gx_run import ExpectationResult

PARTIAL_COUNT = 20  # GX's partial_unexpected_count in the SUMMARY result format
_COUNTS = ("element_count", "missing_count", "unexpected_count")


def merge_chunk_results(chunks: Sequence[Sequence[ExpectationResult]]) -> list[ExpectationResult]:
    """One result per expectation from the results of every chunk (same suite, same order)."""
    if len(chunks) == 1:
        return list(chunks[0])
    return [_merge(list(same)) for same in zip(*chunks, strict=True)]


def _merge(results: list[ExpectationResult]) -> ExpectationResult:
    first = results[0]
    exceptions = list(dict.fromkeys(r.exception for r in results if r.exception))
    if first.type == "expect_table_row_count_to_be_between" and not exceptions:
        return _row_count(first, sum(int(r.result.get("observed_value") or 0) for r in results))
    if not exceptions and all("unexpected_count" in r.result for r in results):
        return _row_level(results)
    return ExpectationResult(
        type=first.type,
        kwargs=first.kwargs,
        meta=first.meta,
        success=all(r.success for r in results) and not exceptions,
        result=dict(first.result),
        exception="; ".join(exceptions) or None,
    )


def _row_count(first: ExpectationResult, rows: int) -> ExpectationResult:
    low, high = first.kwargs.get("min_value"), first.kwargs.get("max_value")
    ok = (low is None or rows >= low) and (high is None or rows <= high)
    return ExpectationResult(
        first.type, first.kwargs, first.meta, ok, {"observed_value": rows}, None
    )


def _row_level(results: list[ExpectationResult]) -> ExpectationResult:
    first = results[0]
    sums = {k: sum(int(r.result.get(k) or 0) for r in results) for k in _COUNTS}
    elements, missing, unexpected = (sums[k] for k in _COUNTS)
    considered = elements - missing if "missing_count" in first.result else elements
    examples = [v for r in results for v in r.result.get("partial_unexpected_list") or []]
    counted: Counter[str] = Counter()
    values: dict[str, Any] = {}
    for r in results:
        for item in r.result.get("partial_unexpected_counts") or []:
            key = json.dumps(item["value"], sort_keys=True, default=str)
            values.setdefault(key, item["value"])
            counted[key] += int(item["count"])
    mostly = first.kwargs.get("mostly")
    if mostly is None:
        success = all(r.success for r in results)
    else:
        success = considered == 0 or (considered - unexpected) / considered >= float(mostly)
    result: dict[str, Any] = {
        **sums,
        "partial_unexpected_list": examples[:PARTIAL_COUNT],
        "partial_unexpected_counts": [
            {"value": values[key], "count": count}
            for key, count in counted.most_common(PARTIAL_COUNT)
        ],
        "unexpected_percent": _percent(unexpected, considered),
        "unexpected_percent_total": _percent(unexpected, elements),
        "unexpected_percent_nonmissing": _percent(unexpected, considered),
    }
    if "missing_count" in first.result:
        result["missing_percent"] = _percent(missing, elements)
    return ExpectationResult(first.type, first.kwargs, first.meta, success, result, None)


def _percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None
