"""What a run did, read back from the audit records and the published snapshot.

The summary is computed from the files the pipeline wrote (not from counters kept in memory), so
it reports what is actually in the warehouse, and it reconciles: for every feed,
rows read = rows standardised + rows rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from customs.settings import Settings

MART_TABLES = (
    "marts.fct_customs_valuation",
    "marts.fct_warehouse_lot_valuation",
    "marts.rpt_ioss_monthly_return",
    "marts.rpt_valuation_monthly",
    "marts.fct_risk_scores",
    "marts.fct_risk_model_scores",
    "marts.dim_seller",
    "marts.dim_declarant",
    "marts.dim_importer",
)


@dataclass(frozen=True)
class FeedCounts:
    feed: str
    files: int
    rows_read: int
    rows_standardized: int
    rows_rejected: int
    files_rejected: int


@dataclass(frozen=True)
class RunSummary:
    feeds: list[FeedCounts]
    mart_rows: dict[str, int]
    outputs: dict[str, Path]


def feed_counts(settings: Settings, start: date, end: date) -> list[FeedCounts]:
    import polars as pl

    pattern = settings.audit_dir / "file_loads" / "**" / "*.parquet"
    loads = (
        pl.scan_parquet(pattern, hive_partitioning=False)
        .filter(pl.col("data_interval").is_between(start, end))
        .group_by("feed")
        .agg(
            pl.len().alias("files"),
            pl.col("rows_read").sum(),
            pl.col("rows_standardized").sum(),
            pl.col("rows_rejected").sum(),
            (pl.col("status") != "loaded").sum().alias("files_rejected"),
        )
        .sort("feed")
        .collect()
    )
    return [FeedCounts(**row) for row in loads.iter_rows(named=True)]


def mart_rows(snapshot: Path) -> dict[str, int]:
    import duckdb

    if not snapshot.exists():
        return {}
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in MART_TABLES}


def summarize(settings: Settings, start: date, end: date) -> RunSummary:
    return RunSummary(
        feeds=feed_counts(settings, start, end),
        mart_rows=mart_rows(settings.published_path),
        outputs={
            "published warehouse (analysts)": settings.published_path,
            "Parquet exports": settings.published_dir / "parquet",
            "standardised feeds": settings.standardized_dir,
            "rejects": settings.rejects_dir,
            "Data Docs": settings.data_docs_dir / "index.html",
        },
    )
