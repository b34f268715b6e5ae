"""Turn the generator's numeric columns into the canonical feeds and write them.

Text conventions (the canonical format of ``transforms/schemas.py``):

- CSV (orders, declarations, inspections): comma, header row, UTF-8, ``\\n`` line ends, fields
  quoted only when they contain a comma or a quote, empty field = null. Money with a dot and 2 to
  4 decimals (``12.5`` is written ``12.50``; ``0.1234`` keeps 4), mass with 3 decimals.
- JSON Lines (warehouse receipts and dispatches): one object per line, keys in schema order, null
  as ``null``, money as strings with exactly 4 decimals (``"12.3400"``), quantities as numbers.
- Timestamps: ISO 8601 UTC with seconds, ``2026-09-01T13:45:12Z``.

Every file is written to a temporary name in its folder and renamed into place.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from transforms.schemas import MASS, MONEY, UTC_TS, FeedSchema

_MONEY_TRIM = r"^(\d+\.\d{2}\d*?)0+$"


def take(values: pl.Series, idx: np.ndarray) -> pl.Series:
    """values[idx], null where idx < 0."""
    idx = np.asarray(idx, dtype=np.int64)
    out = values.gather(np.maximum(idx, 0))
    if (idx < 0).any():
        out = pl.select(pl.when(pl.Series(idx >= 0)).then(out)).to_series().alias(values.name)
    return out


def nullable(idx: np.ndarray) -> pl.Series:
    """An Int64 series with null where the value is negative (the generator's 'empty')."""
    s = pl.Series(np.asarray(idx, dtype=np.int64))
    return pl.select(pl.when(s >= 0).then(s)).to_series()


def _money(col: str, json: bool) -> pl.Expr:
    c = pl.col(col)
    text = pl.concat_str(
        [(c // 10_000).cast(pl.String), pl.lit("."), (c % 10_000).cast(pl.String).str.zfill(4)]
    )
    return text if json else text.str.replace(_MONEY_TRIM, "${1}")


def _mass(col: str) -> pl.Expr:
    c = pl.col(col)
    return pl.concat_str(
        [(c // 1000).cast(pl.String), pl.lit("."), (c % 1000).cast(pl.String).str.zfill(3)]
    )


def timestamp(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col), time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def render(frame: pl.DataFrame, schema: FeedSchema, json: bool) -> pl.DataFrame:
    """The canonical columns as text (money, mass, time) or integers, in schema order."""
    exprs = []
    for name, dtype in schema.columns.items():
        if dtype == MONEY:
            exprs.append(_money(name, json).alias(name))
        elif dtype == MASS:
            exprs.append(_mass(name).alias(name))
        elif dtype == UTC_TS:
            exprs.append(timestamp(name).alias(name))
        else:
            exprs.append(pl.col(name))
    return frame.select(exprs)


def _atomic_write(frame: pl.DataFrame, path: Path, json: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if json:
            frame.write_ndjson(tmp)
        else:
            frame.write_csv(tmp, line_terminator="\n", null_value="")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_feed(
    frame: pl.DataFrame,
    schema: FeedSchema,
    landing: Path,
    days: Iterable[date],
    json: bool,
) -> int:
    """Write one file per day of ``frame`` (column ``_day``: date ordinal), sorted already.

    A day without rows gets no file (and loses a file of an earlier run at that path).
    """
    ext = "jsonl" if json else "csv"
    parts = (
        {
            key[0]: part
            for key, part in frame.partition_by("_day", as_dict=True, maintain_order=True).items()
        }
        if frame.height
        else {}
    )
    written = 0
    for day in days:
        path = landing / schema.name / day.isoformat() / f"{schema.name}.{ext}"
        part = parts.get(day.toordinal())
        if part is None or part.height == 0:
            path.unlink(missing_ok=True)
            continue
        _atomic_write(render(part, schema, json), path, json)
        written += part.height
    return written


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame.write_parquet(tmp, statistics=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
