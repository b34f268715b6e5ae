"""Benchmark: standardising N synthetic order lines vs a plain Polars CSV → Parquet copy.

Not a test (pytest does not collect it). Run::

    .venv/bin/python tests/transforms/bench_standardize.py --rows 1000000 --repeat 5

It writes a canonical orders CSV (300k distinct buyers, 50 IOSS numbers), lands it, then
alternates ``standardize_interval`` (the whole step: reader, validation, pseudonymisation, good
and reject files, audit row, partition swap) with the baseline
``pl.scan_csv(path).sink_parquet(out)`` and prints the median of each. A second file, the same
rows with about 0.5% bad or untidy values of several kinds (the baseline's type inference cannot
read it), is standardised as well, on another day.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from customs.settings import Settings
from transforms import standardize
from transforms.landing import land_interval
from transforms.standardize import standardize_interval

DAY = date(2026, 9, 1)
DIRTY_DAY = date(2026, 9, 2)


def synthetic_orders(n: int, seed: int = 1, dirty: bool = False) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    pick = lambda values, size=n: np.array(values)[rng.integers(0, len(values), size)]  # noqa: E731
    countries = ["CN", "HK", "US", "GB", "DE", "FR", "IN", "TR", "VN", "KR"]
    i = np.arange(n)
    df = pl.DataFrame(
        {
            "marketplace": pick(["shopa", "bazaar", "megamall", "tinytrade", "globuy"]),
            "order": i // 2,
            "line": i % 2 + 1,
            "seconds": rng.integers(0, 86400, n),
            "seller": rng.integers(0, 5000, n),
            "seller_country": pick(countries),
            "buyer": rng.integers(0, 300_000, n),
            "buyer_country": pick(["DE", "FR", "NL", "IT", "ES", "IE", "PL"]),
            "ship_from_country": pick(countries),
            "warehouse": rng.integers(0, 10, n),
            "sku": rng.integers(0, 20000, n),
            "hs": rng.integers(10_000_000, 97_000_000, n),
            "origin_country": pick(countries),
            "quantity": rng.integers(1, 5, n),
            "cents": rng.integers(1, 2_000_000, n),
            "currency": pick(["EUR", "USD", "GBP", "CNY"]),
            "discount": rng.integers(0, 500, n),
            "shipping": rng.integers(0, 2000, n),
            "ioss": rng.integers(0, 50, n),
        }
    )

    def money(col: str) -> pl.Expr:
        c = pl.col(col)
        return pl.format("{}.{}", c // 100, (c % 100).cast(pl.String).str.zfill(2))

    out = df.select(
        "marketplace",
        pl.format("O{}", "order").alias("order_id"),
        pl.col("line").cast(pl.String).alias("line_id"),
        (pl.datetime(2026, 9, 1, time_zone="UTC") + pl.duration(seconds="seconds"))
        .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        .alias("ordered_at"),
        pl.format("S{}", "seller").alias("seller_id"),
        "seller_country",
        pl.format("B{}", "buyer").alias("buyer_id"),
        "buyer_country",
        "ship_from_country",
        pl.when(pl.col("warehouse") < 2).then(pl.format("WH{}", "warehouse")).alias("warehouse_id"),
        pl.format("P{}", "order").alias("parcel_id"),
        pl.format("SKU{}", "sku").alias("sku"),
        pl.format("Product number {} with a longer title", "sku").alias("title"),
        pl.col("hs").cast(pl.String).alias("hs_code"),
        "origin_country",
        pl.col("quantity").cast(pl.String),
        money("cents").alias("unit_price"),
        "currency",
        money("discount").alias("discount"),
        money("shipping").alias("shipping_fee"),
        pl.lit(None, pl.String).alias("insurance_fee"),
        pl.when(pl.col("ioss") < 40)
        .then(pl.format("IM372{}", pl.col("ioss").cast(pl.String).str.zfill(7)))
        .alias("ioss_number"),
    )
    if not dirty:
        return out
    # About 0.5% bad or untidy values, spread over several kinds.
    bad = rng.random(n)
    return out.with_columns(
        pl.when(pl.Series(bad < 0.001))
        .then(pl.lit("XX"))
        .otherwise("buyer_country")
        .alias("buyer_country"),
        pl.when(pl.Series((bad >= 0.001) & (bad < 0.002)))
        .then(pl.lit("1,5"))
        .otherwise("unit_price")
        .alias("unit_price"),
        pl.when(pl.Series((bad >= 0.002) & (bad < 0.003)))
        .then(pl.lit("0"))
        .otherwise("quantity")
        .alias("quantity"),
        pl.when(pl.Series((bad >= 0.003) & (bad < 0.004)))
        .then(pl.lit("2026-09-01 12:00:00+02:00"))
        .otherwise("ordered_at")
        .alias("ordered_at"),
        pl.when(pl.Series((bad >= 0.004) & (bad < 0.005)))
        .then(pl.lit(" eur"))
        .otherwise("currency")
        .alias("currency"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--stream", action="store_true", help="force the streaming path (as for files > 512 MiB)"
    )
    args = parser.parse_args()
    if args.stream:
        standardize.IN_MEMORY_MAX_BYTES = 0

    with tempfile.TemporaryDirectory(prefix="bench-standardize-") as tmp:
        root = Path(tmp)
        settings = Settings(
            home=root / "home",
            source_dir=root / "src",
            pseudonym_key=b"benchmark key",
            pseudonym_key_is_default=False,
        )
        source = settings.source_dir / "orders" / DAY.isoformat() / "orders.csv"
        dirty = settings.source_dir / "orders" / DIRTY_DAY.isoformat() / "orders.csv"
        for path, is_dirty in ((source, False), (dirty, True)):
            path.parent.mkdir(parents=True)
            synthetic_orders(args.rows, dirty=is_dirty).write_csv(path)
        size_mb = source.stat().st_size / 1e6

        began = time.perf_counter()
        land_interval(settings, "orders", DAY, settings.source_dir)
        landing_s = time.perf_counter() - began
        land_interval(settings, "orders", DIRTY_DAY, settings.source_dir)

        baseline, standardise, dirty_runs = [], [], []
        summary = dirty_summary = None
        for _ in range(args.repeat):
            began = time.perf_counter()
            pl.scan_csv(source).sink_parquet(root / "copy.parquet")
            baseline.append(time.perf_counter() - began)
            began = time.perf_counter()
            summary = standardize_interval(settings, "orders", DAY)
            standardise.append(time.perf_counter() - began)
            began = time.perf_counter()
            dirty_summary = standardize_interval(settings, "orders", DIRTY_DAY)
            dirty_runs.append(time.perf_counter() - began)

        assert summary is not None and not summary.file_errors
        assert dirty_summary is not None and not dirty_summary.file_errors
        b, s, d = (statistics.median(x) for x in (baseline, standardise, dirty_runs))
        print(
            f"rows: {args.rows:,} ({size_mb:.0f} MB CSV), repeats: {args.repeat} (medians), "
            f"polars {pl.__version__}, {pl.thread_pool_size()} threads"
            + (", streaming path" if args.stream else "")
        )
        print(f"landing (hash + copy):           {landing_s:6.2f} s")
        print(f"baseline scan_csv→sink_parquet:  {b:6.2f} s  {args.rows / b:>12,.0f} rows/s")
        print(
            f"standardize_interval:            {s:6.2f} s  {args.rows / s:>12,.0f} rows/s"
            f"  ({s / b:.2f}x baseline)"
        )
        print(
            f"standardize_interval, 0.5% bad:  {d:6.2f} s  {args.rows / d:>12,.0f} rows/s"
            f"  ({d / b:.2f}x baseline; rejected {dirty_summary.rows_rejected:,})"
        )


if __name__ == "__main__":
    main()
