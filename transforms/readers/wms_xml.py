"""Warehouse-system XML export (format ``wms.xml``): receipts and dispatches of one warehouse.

```xml
<?xml version="1.0" encoding="windows-1252"?>
<WmsExport warehouse="WH-NL-01" country="NL">
  <Receipt id="RC-1" received="2026-09-01T08:15:00+02:00" seller="S-1" declaration="D-9">
    <Lot id="LOT-1" sku="SKU-1" hs="6109.10" origin="CN" qty="500" unitValue="1.8000"
         currency="USD" declaration="D-10"/>
  </Receipt>
  <Dispatch id="DS-1" at="2026-09-01T16:02:11+02:00" order="GB0001" line="1" sku="SKU-1"
            lot="LOT-1" qty="2"/>
</WmsExport>
```

One row per ``Lot`` (a ``warehouse_receipts`` row: the receipt's attributes repeated on each of
its lots) and per ``Dispatch`` (a ``warehouse_dispatches`` row). The root's ``warehouse`` and
``country`` attributes fill ``warehouse_id`` and ``warehouse_country``. A file normally holds
one kind; its rows of the other kind lack that feed's required columns and are rejected, never
dropped. The XML declaration names the encoding (UTF-8, Windows-1252, ISO-8859-1...); an XML
that is not well-formed rejects the whole file. Entity declarations (DTDs) are refused.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl

from transforms.readers.canonical import ROW, read_bytes

RECEIPT_ATTRS = {  # canonical column → attribute of <Receipt>
    "receipt_id": "id",
    "received_at": "received",
    "seller_id": "seller",
    "declaration_id": "declaration",  # on the receipt, or per lot (the lot's wins)
}
LOT_ATTRS = {  # canonical column → attribute of <Lot>
    "lot_id": "id",
    "sku": "sku",
    "hs_code": "hs",
    "origin_country": "origin",
    "quantity": "qty",
    "declared_unit_value": "unitValue",
    "currency": "currency",
    "declaration_id": "declaration",
}
DISPATCH_ATTRS = {  # canonical column → attribute of <Dispatch>
    "dispatch_id": "id",
    "dispatched_at": "at",
    "order_id": "order",
    "line_id": "line",
    "sku": "sku",
    "lot_id": "lot",
    "quantity": "qty",
}


def read_wms_xml(path: Path) -> pl.LazyFrame:
    """A WMS XML export → canonical text columns plus ``source_row``."""
    data = read_bytes(path)
    if not data.strip():
        return pl.LazyFrame(schema={ROW: pl.Int64()})
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise ValueError("XML with a DTD or entity declarations is not accepted")
    root = ET.fromstring(data)
    base = {"warehouse_id": root.get("warehouse"), "warehouse_country": root.get("country")}
    rows: list[dict[str, str | None]] = []
    for element in root:
        if element.tag == "Receipt":
            receipt = {col: element.get(attr) for col, attr in RECEIPT_ATTRS.items()}
            lots = element.findall("Lot") or [None]
            for lot in lots:
                values = {
                    col: (lot.get(a) if lot is not None else None) for col, a in LOT_ATTRS.items()
                }
                if values["declaration_id"] is None:
                    values["declaration_id"] = receipt["declaration_id"]
                rows.append({**base, **receipt, **values})
        elif element.tag == "Dispatch":
            rows.append(
                {"warehouse_id": base["warehouse_id"]}
                | {col: element.get(attr) for col, attr in DISPATCH_ATTRS.items()}
            )
        else:
            raise ValueError(f"unexpected element <{element.tag}> in a WMS export")
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    frame = pl.DataFrame(
        {c: [row.get(c) for row in rows] for c in columns},
        schema={c: pl.String() for c in columns},
    )
    return frame.lazy().with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64()))
