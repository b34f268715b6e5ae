"""Tiny standardised partitions and warehouses for the data-quality tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

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
