"""Order API pages (format ``orderapi.json``): nested JSON, order → lines → parcel.

What a marketplace's REST order API returns, one page per file, exactly as received:

```json
{"orders": [{"order_id": "DM-1", "marketplace": "dragonmart",
             "created_at": "2026-09-01T18:30:05+08:00",
             "seller": {"id": "S-1", "country": "CN"}, "buyer": {"id": "B-9", "country": "DE"},
             "ioss_number": "IM1560000017",
             "lines": [{"line_id": "1", "sku": "SKU-1", "title": "Silk blouse",
                        "hs_code": "6206.10", "origin_country": "CN", "quantity": 2,
                        "price": {"amount": "12.50", "currency": "USD"},
                        "discount": "0.00", "fees": {"shipping": "1.20", "insurance": null},
                        "parcel": {"id": "LP123", "ship_from": "CN", "warehouse_id": null}}]}],
 "next_cursor": "c2"}
```

A top-level array of orders is accepted too. One output row per order line (``source_row``
counts lines in the file); an order without lines gives one row with empty line fields, so it is
rejected (``missing:line_id``...) rather than silently lost. JSON numbers are kept as their exact
text (parsed with ``parse_float=str``), never through a float. Times carry their own offset.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from transforms.readers.canonical import ROW, read_bytes
from transforms.readers.encoding import decode_text

ORDER_FIELDS = {  # canonical column → path in the order object
    "marketplace": ("marketplace",),
    "order_id": ("order_id",),
    "ordered_at": ("created_at",),
    "seller_id": ("seller", "id"),
    "seller_country": ("seller", "country"),
    "buyer_id": ("buyer", "id"),
    "buyer_country": ("buyer", "country"),
    "ioss_number": ("ioss_number",),
}
LINE_FIELDS = {  # canonical column → path in the line object
    "line_id": ("line_id",),
    "sku": ("sku",),
    "title": ("title",),
    "hs_code": ("hs_code",),
    "origin_country": ("origin_country",),
    "quantity": ("quantity",),
    "unit_price": ("price", "amount"),
    "currency": ("price", "currency"),
    "discount": ("discount",),
    "shipping_fee": ("fees", "shipping"),
    "insurance_fee": ("fees", "insurance"),
    "parcel_id": ("parcel", "id"),
    "ship_from_country": ("parcel", "ship_from"),
    "warehouse_id": ("parcel", "warehouse_id"),
}
COLUMNS = (*ORDER_FIELDS, *LINE_FIELDS)


def _text(value: Any) -> str | None:
    """Scalars as their text (numbers arrive as text already), nested values as JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def orders_of(document: Any) -> list[Any]:
    """The orders of a page: the document itself (an array) or its ``orders``/``data`` member."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in ("orders", "data"):
            if isinstance(document.get(key), list):
                return document[key]
        raise ValueError("an order API page must be an array or have an 'orders' array")
    raise ValueError("an order API page must be a JSON array or object")


def flatten(orders: list[Any]) -> dict[str, list[str | None]]:
    """One text row per order line (see the module docstring)."""
    out: dict[str, list[str | None]] = {c: [] for c in COLUMNS}
    for order in orders:
        lines = _get(order, ("lines",))
        if not isinstance(lines, list) or not lines:
            lines = [None]
        for line in lines:
            for col, path in ORDER_FIELDS.items():
                out[col].append(_text(_get(order, path)))
            for col, path in LINE_FIELDS.items():
                out[col].append(_text(_get(line, path)))
    return out


def parse_page(data: bytes) -> Any:
    """A page's JSON with every number kept as its exact text."""
    return json.loads(decode_text(data), parse_float=str, parse_int=str)


def read_order_api(path: Path) -> pl.LazyFrame:
    """An order API page → canonical text columns plus ``source_row``."""
    data = read_bytes(path)
    if not data.strip():
        return pl.LazyFrame(schema={ROW: pl.Int64()})
    columns = flatten(orders_of(parse_page(data)))
    frame = pl.DataFrame(columns, schema={c: pl.String() for c in COLUMNS})
    return frame.lazy().with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64()))
