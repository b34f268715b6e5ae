"""The benchmark's pandas baseline accepts and rejects the same rows as the standardiser.

A baseline that skipped a check would look faster than it is; this keeps it honest. Uses the
benchmark's synthetic order lines with about 0.5% bad or untidy values of several kinds
(~1.5 s).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl

from bench.pandas_baseline import standardize_file
from customs.settings import Settings
from transforms.landing import land_interval
from transforms.standardize import standardize_interval

sys.path.insert(0, str(Path(__file__).parent))
from bench_standardize import synthetic_orders

DAY = date(2026, 9, 1)


def test_pandas_baseline_matches_the_standardiser(settings: Settings, tmp_path: Path) -> None:
    source = settings.source_dir / "orders" / DAY.isoformat() / "orders.csv"
    source.parent.mkdir(parents=True)
    rows = synthetic_orders(4000, seed=7, dirty=True)
    # one duplicate key and one event after the interval, beside the generated dirt
    rows = pl.concat([rows, rows.head(1)]).with_columns(
        ordered_at=pl.when(pl.int_range(pl.len()) == 5)
        .then(pl.lit("2026-09-09T10:00:00Z"))
        .otherwise("ordered_at")
    )
    rows.write_csv(source)
    land_interval(settings, "orders", DAY, settings.source_dir)
    summary = standardize_interval(settings, "orders", DAY)

    good, bad = standardize_file(source, "orders", DAY, settings.pseudonym_key, tmp_path / "pd")

    assert summary.rows_rejected >= 10  # the dirt is there
    assert (good, bad) == (summary.rows_standardized, summary.rows_rejected)
    home = settings.home
    polars_good = pl.read_parquet(home / "standardized/orders" / f"date={DAY}" / "*.parquet")
    pandas_good = pl.read_parquet(tmp_path / "pd" / "orders-orders.parquet")
    columns = [c for c in polars_good.columns if c not in ("source_file", "load_id")]
    assert pandas_good.select(columns).equals(polars_good.select(columns).sort("source_row"))
    polars_rejects = pl.read_parquet(home / "rejects/orders" / f"date={DAY}" / "*.parquet")
    pandas_rejects = pl.read_parquet(tmp_path / "pd" / "orders-orders.rejects.parquet")
    assert dict(pandas_rejects.select("source_row", "reason").iter_rows()) == dict(
        polars_rejects.select("source_row", "reason").iter_rows()
    )
