"""Per-file standardisation + one commit per feed-day gives the same partitions as
standardize_interval, keeps the row accounting per file, and a late file reprocesses its day only.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
from transform_fixtures import DAY, csv_bytes, jsonl_bytes, order, orders

from transforms.landing import land_interval
from transforms.standardize import standardize_interval
from transforms.standardize_file import commit_feed_day, landed_files, standardize_landed_file


def _partition(settings, area: str, day=DAY) -> pl.DataFrame:
    root = {
        "standardized": settings.standardized_dir,
        "rejects": settings.rejects_dir,
        "file_loads": settings.audit_dir / "file_loads",
    }[area]
    files = sorted((root / "orders" / f"date={day}").glob("*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files]) if files else pl.DataFrame()


def _per_file(settings, day=DAY):
    land_interval(settings, "orders", day, settings.source_dir)
    refs = landed_files(settings, "orders", day)
    results = [standardize_landed_file(settings, ref) for ref in refs]
    return refs, results, commit_feed_day(settings, "orders", day, results)


def _deliver_three(deliver):
    deliver("a.csv", csv_bytes([*orders(3), order(line_id="9", currency="EURO")]))
    deliver("b.jsonl", jsonl_bytes(orders(2, order_id="O-B")))
    deliver("c.csv", b"not,a,contract\n1,2,3\n")  # rejected whole: required columns missing


def test_per_file_then_commit_equals_standardize_interval(settings, deliver, tmp_path):
    _deliver_three(deliver)
    refs, results, summary = _per_file(settings)
    assert len(refs) == len(results) == 3
    for r in results:  # accounting per file, before anything is visible
        assert r["rows_read"] == r["rows_standardized"] + r["rows_rejected"]
    assert (summary.files, summary.rows_read, summary.rows_standardized) == (3, 7, 5)
    assert summary.rows_rejected == 2 and len(summary.file_errors) == 1
    per_file = {a: _partition(settings, a) for a in ("standardized", "rejects", "file_loads")}
    assert not list((settings.home / "tmp" / "files").rglob("*.parquet"))  # staging consumed

    standardize_interval(settings, "orders", DAY)  # the one-call path, same day again
    for area, frame in per_file.items():
        again = _partition(settings, area)
        drop = ["loaded_at"] if area == "file_loads" else []
        assert (
            frame.drop(drop).sort(frame.columns[0]).equals(again.drop(drop).sort(frame.columns[0]))
        ), area
    audit = per_file["file_loads"]
    assert (audit["rows_read"] == audit["rows_standardized"] + audit["rows_rejected"]).all()


def test_a_late_file_reprocesses_only_its_day(settings, deliver):
    day2 = DAY + timedelta(days=1)
    deliver("a.csv", csv_bytes(orders(2)))
    deliver("d2.csv", csv_bytes(orders(4, order_id="O-D2")), day=day2)
    _per_file(settings)
    _per_file(settings, day2)
    day2_files = {p: p.stat().st_mtime_ns for p in settings.standardized_dir.rglob("*.parquet")}
    day2_files = {p: t for p, t in day2_files.items() if f"date={day2}" in str(p)}

    deliver("late.csv", csv_bytes(orders(3, order_id="O-LATE")))
    _, results, summary = _per_file(settings)
    assert len(results) == 2  # the late file's day is standardised again, whole
    assert (summary.files, summary.rows_standardized) == (2, 5)
    assert _partition(settings, "standardized").height == 5
    assert {p: p.stat().st_mtime_ns for p in day2_files} == day2_files  # day 2 untouched


def test_commit_without_staged_results_standardises_the_files_itself(settings, deliver):
    deliver("a.csv", csv_bytes(orders(3)))
    land_interval(settings, "orders", DAY, settings.source_dir)
    summary = commit_feed_day(settings, "orders", DAY, [])  # e.g. the commit task retried
    assert (summary.files, summary.rows_read, summary.rows_standardized) == (1, 3, 3)
    assert _partition(settings, "standardized").height == 3
