"""Builders shared by the transforms tests: canonical rows, reader-like frames, file bytes."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import date

import polars as pl

from transforms.schemas import ORDERS

DAY = date(2026, 9, 1)
KEY = b"k"

VALID_ORDER: dict[str, str | None] = {
    "marketplace": "shopa",
    "order_id": "O1",
    "line_id": "1",
    "ordered_at": "2026-09-01T10:00:00Z",
    "seller_id": "S1",
    "seller_country": "CN",
    "buyer_id": "BUYER-1",
    "buyer_country": "DE",
    "ship_from_country": "CN",
    "warehouse_id": None,
    "parcel_id": "P1",
    "sku": "SKU1",
    "title": "a silk blouse",
    "hs_code": "620610",
    "origin_country": "CN",
    "quantity": "2",
    "unit_price": "19.99",
    "currency": "EUR",
    "discount": "1.00",
    "shipping_fee": "4.50",
    "insurance_fee": None,
    "ioss_number": "IM3720000022",
}


def order(**overrides: str | None) -> dict[str, str | None]:
    """A valid canonical order line (all text), with some fields replaced."""
    row = dict(VALID_ORDER)
    row.update(overrides)
    return row


def orders(n: int, **overrides: str | None) -> list[dict[str, str | None]]:
    """``n`` valid order lines with distinct keys (line_id 1..n)."""
    return [order(line_id=str(i + 1), **overrides) for i in range(n)]


def frame(rows: list[dict[str, str | None]]) -> pl.LazyFrame:
    """What a reader returns: String columns plus a 1-based ``source_row``."""
    columns = list(rows[0]) if rows else list(ORDERS.columns)
    data = {c: [r.get(c) for r in rows] for c in columns}
    lf = pl.LazyFrame(data, schema={c: pl.String() for c in columns})
    return lf.with_row_index("source_row", offset=1).with_columns(
        pl.col("source_row").cast(pl.Int64)
    )


def csv_bytes(rows: list[dict[str, str | None]], columns: list[str] | None = None) -> bytes:
    columns = columns or list(rows[0])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return buf.getvalue().encode("utf-8")


def jsonl_bytes(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
