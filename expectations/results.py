"""Data-quality results as Parquet under ``audit/dq_results`` (read by dbt's audit models).

One file per suite run: ``audit/dq_results/<suite>/date=<YYYY-MM-DD>/<run_id>.parquet``, one row
per expectation. A rerun with the same run id replaces its file. A zero-row ``_schema.parquet``
at the top keeps the folder readable with a glob before any check has run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import polars as pl

from customs.settings import Settings
from expectations.gx_run import ExpectationResult, safe_name

DQ_RESULTS_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.String(),
    "suite": pl.String(),
    "data_interval": pl.Date(),
    "expectation_type": pl.String(),
    "column": pl.String(),
    "severity": pl.String(),
    "success": pl.Boolean(),
    "observed_value": pl.String(),
    "unexpected_count": pl.Int64(),
    "details": pl.String(),
    "checked_at": pl.Datetime("us", "UTC"),
}

_SAMPLE = 5


def dq_results_dir(settings: Settings) -> Path:
    return settings.audit_dir / "dq_results"


def results_path(settings: Settings, suite: str, interval: date, run_id: str) -> Path:
    folder = dq_results_dir(settings) / suite / f"date={interval.isoformat()}"
    return folder / f"{safe_name(run_id)}.parquet"


def ensure_schema_file(settings: Settings) -> Path:
    path = dq_results_dir(settings) / "_schema.parquet"
    if not path.exists():
        _write_atomic(pl.DataFrame(schema=DQ_RESULTS_SCHEMA), path)
    return path


def write_results(
    settings: Settings,
    *,
    suite: str,
    interval: date,
    run_id: str,
    results: Sequence[ExpectationResult],
    checked_at: datetime,
) -> Path:
    ensure_schema_file(settings)
    rows = [
        {
            "run_id": run_id,
            "suite": suite,
            "data_interval": interval,
            "expectation_type": r.type,
            "column": column_of(r),
            "severity": r.severity,
            "success": r.success,
            "observed_value": observed_text(r),
            "unexpected_count": r.result.get("unexpected_count"),
            "details": json.dumps(
                {
                    "description": r.meta.get("description"),
                    "kwargs": r.kwargs,
                    "result": r.result,
                    "exception": r.exception,
                },
                default=str,
                sort_keys=True,
            ),
            "checked_at": checked_at,
        }
        for r in results
    ]
    path = results_path(settings, suite, interval, run_id)
    _write_atomic(pl.DataFrame(rows, schema=DQ_RESULTS_SCHEMA, orient="row"), path)
    return path


def column_of(r: ExpectationResult) -> str | None:
    """The column(s) an expectation is about; None for table-level expectations."""
    if r.type.startswith("expect_table_"):
        return None
    if "column" in r.kwargs:
        return str(r.kwargs["column"])
    if "column_list" in r.kwargs:
        return ",".join(r.kwargs["column_list"])
    pair = [r.kwargs[k] for k in ("column_A", "column_B") if k in r.kwargs]
    return ",".join(pair) or None


def observed_text(r: ExpectationResult) -> str | None:
    if r.exception:
        return f"error: {r.exception}"
    expected = r.kwargs.get("column_list", r.kwargs.get("column_set"))
    if r.type.startswith("expect_table_columns_") and isinstance(expected, list):
        return _column_difference(expected, r.result.get("observed_value") or [], r.kwargs)
    if "observed_value" in r.result:
        value = r.result["observed_value"]
        return value if isinstance(value, str) else json.dumps(value, default=str)
    if "unexpected_count" in r.result:
        text = f"{r.result['unexpected_count']} of {r.result.get('element_count')} rows unexpected"
        sample = r.result.get("partial_unexpected_list") or []
        if r.result["unexpected_count"] and sample:
            text += f", e.g. {json.dumps(sample[:_SAMPLE], default=str)}"
        return text
    return None


def _column_difference(expected: list[str], observed: list[str], kwargs: dict) -> str:
    missing = [c for c in expected if c not in observed]
    extra = [c for c in observed if c not in expected]
    parts = [f"missing {missing}"] if missing else []
    if extra and kwargs.get("exact_match", True):
        parts.append(f"unexpected {extra}")
    if not parts and observed != expected and "column_list" in kwargs:
        parts.append(f"same columns in another order: {observed}")
    return "; ".join(parts) or f"columns as expected ({len(observed)})"


def describe(r: ExpectationResult) -> str:
    """One line naming the expectation, its column, its bounds and what was observed."""
    args = [f"column={column_of(r)}"] if column_of(r) else []
    for key, value in r.kwargs.items():
        if key in ("column", "column_list") and args:
            continue
        shown = f"<{len(value)} values>" if isinstance(value, list) and len(value) > 8 else value
        args.append(f"{key}={shown}")
    return f"{r.type}({', '.join(args)}): observed {observed_text(r)}"


def _write_atomic(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp)
    os.replace(tmp, path)
