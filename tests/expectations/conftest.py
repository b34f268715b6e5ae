"""Tiny standardised partitions and warehouses for the data-quality tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from customs.settings import Settings
from transforms.schemas import FEEDS

DAY = date(2026, 9, 1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "home",
        source_dir=tmp_path / "src",
        pseudonym_key=b"k",
        pseudonym_key_is_default=False,
    )


def _value(feed: str, column: str, dtype: pl.DataType, i: int, day: date) -> Any:
    schema = FEEDS[feed]
    if column in schema.countries:
        return "DE"
    if column in schema.currencies:
        return "EUR"
    if column in schema.hs_codes:
        return "61091000"
    if column in schema.pseudonymised:
        return hashlib.sha256(f"{column}-{i}".encode()).hexdigest()
    if column in schema.ioss_numbers:
        return "IM2760000001"
    if column in schema.allowed_values:
        return schema.allowed_values[column][0]
    if column == "source_row":
        return i + 1
    if column == "load_id":
        return f"{feed}:{day.isoformat()}:0123456789abcdef"
    if isinstance(dtype, pl.Datetime):
        return datetime(day.year, day.month, day.day, 6, tzinfo=UTC) + timedelta(minutes=i)
    if isinstance(dtype, pl.Decimal):
        return Decimal("10.5")
    if dtype.is_integer():
        return i + 1 if column in schema.key else 2
    return f"{column}-{i}"


def valid_rows(feed: str, n: int = 5, day: date = DAY) -> pl.DataFrame:
    """``n`` rows that satisfy every expectation of the feed's suite."""
    schema = FEEDS[feed].standardized_schema
    rows = [{c: _value(feed, c, dtype, i, day) for c, dtype in schema.items()} for i in range(n)]
    return pl.DataFrame(rows, schema=schema, orient="row")


@pytest.fixture
def rows() -> Callable[..., pl.DataFrame]:
    return valid_rows


@pytest.fixture
def write_partition(settings: Settings) -> Callable[..., Path]:
    def write(feed: str, frame: pl.DataFrame, day: date = DAY) -> Path:
        folder = settings.standardized_dir / feed / f"date={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "0123456789abcdef.parquet"
        frame.write_parquet(path)
        return path

    return write


# Clean rows of every mart that has a suite, and the declarations partition they reconcile with.
MART_TABLES: dict[str, tuple[str, list[tuple]]] = {
    "fct_customs_valuation": (
        "declaration_id varchar, item_no integer, jurisdiction varchar, valuation_method varchar, "
        "customs_value decimal(18, 2), jurisdiction_currency varchar, declared_currency varchar, "
        "parcel_id varchar",
        [
            ("D1", 1, "DE", "transaction", Decimal("12.5"), "EUR", "USD", "P1"),
            ("D1", 2, "US", "fallback", None, "USD", "USD", "P1"),
        ],
    ),
    "fct_warehouse_lot_valuation": (
        "lot_id varchar, warehouse_id varchar, warehouse_country varchar, seller_id varchar, "
        "sku varchar, origin_country varchar, quantity bigint, dispatched_quantity bigint, "
        "qualifying_quantity bigint, declared_unit_value_eur decimal(18, 4), "
        "deductive_unit_value_eur decimal(18, 4), declared_to_deductive_ratio decimal(18, 4), "
        "declared_currency varchar",
        [
            ("L1", "W1", "DE", "S1", "K1", "CN", 100, 60, 50, 2, 4, Decimal("0.5"), "CNY"),
            ("L2", "W1", "DE", "S1", "K2", "CN", 10, 0, 0, 3, None, None, "CNY"),
        ],
    ),
    "rpt_ioss_monthly_return": (
        "ioss_number varchar, return_period varchar, member_state_of_consumption varchar, "
        "vat_rate_pct decimal(5, 2), supply_period varchar, is_correction boolean, "
        "item_count bigint, taxable_amount_eur decimal(18, 2), vat_amount_eur decimal(18, 2)",
        [
            ("IM2760000001", "2026-09", "DE", 19, "2026-09", False, 3, 100, 19),
            ("IM2760000001", "2026-09", "DE", 19, "2026-08", True, 1, 10, Decimal("1.9")),
        ],
    ),
    "rpt_valuation_monthly": (
        "jurisdiction varchar, declared_month varchar, hs_chapter varchar, origin_country varchar, "
        "jurisdiction_currency varchar, declaration_count bigint, item_count bigint, "
        "items_declared_below_value bigint, declared_value_jc decimal(18, 2), "
        "customs_value_jc decimal(18, 2), duty_jc decimal(18, 2), import_tax_jc decimal(18, 2), "
        "revenue_at_risk_jc decimal(18, 2)",
        [("DE", "2026-09", "61", "CN", "EUR", 1, 2, 1, 20, Decimal("12.5"), 0, 2, 1)],
    ),
}


@pytest.fixture
def build_marts(settings: Settings, write_partition: Callable[..., Path]) -> Callable[..., None]:
    """Write clean marts into the build file (then run ``sql`` statements to corrupt them) and
    the declarations partition whose items the valuation mart reconciles with."""

    def build(*sql: str, items: list[tuple[str, int]] | None = None) -> None:
        keys = items if items is not None else [(r[0], r[1]) for r in MART_TABLES[
            "fct_customs_valuation"][1]]  # fmt: skip
        declarations = valid_rows("declarations", len(keys)).with_columns(
            declaration_id=pl.Series([k[0] for k in keys], dtype=pl.String()),
            item_no=pl.Series([k[1] for k in keys], dtype=pl.Int32()),
        )
        write_partition("declarations", declarations)
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(settings.warehouse_path))
        try:
            con.execute("create schema if not exists marts")
            for table, (columns, rows) in MART_TABLES.items():
                con.execute(f"create or replace table marts.{table} ({columns})")
                marks = ", ".join("?" * len(rows[0]))
                con.executemany(f"insert into marts.{table} values ({marks})", rows)
            for statement in sql:
                con.execute(statement)
        finally:
            con.close()

    return build
