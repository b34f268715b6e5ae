"""Re-express some of the generated canonical files in source-specific formats (optional).

``generate(..., source_formats=True)`` calls :func:`convert_day` for every day after writing the
canonical files, so the demo exercises the readers of ``transforms/readers``:

* ``eurocart`` orders → ``orders/<day>/eurocart.eurocart.csv.gz``: ``;``-separated,
  Windows-1252, German headers, gross amounts in cents at the buyer country's VAT rate, order
  time in Berlin local time with its offset;
* ``dragonmart`` orders → pages of the nested order API under ``<out>/api/orders/<day>/``
  (``page-00001.json``...), served over HTTP by ``customs serve-sample`` (not in ``landing``);
* warehouse receipts and dispatches → one ``wms-<warehouse>.wms.xml`` per warehouse and day.

The remaining rows stay in the canonical files. Deterministic: a pure function of those files.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from xml.sax.saxutils import quoteattr

import polars as pl

EUROCART = "eurocart"
API_MARKETPLACE = "dragonmart"
API_PAGE_ORDERS = 200
VAT_PCT = {  # standard rates, indicative (EuroCart shows prices including VAT)
    "AT": 20, "BE": 21, "DE": 19, "ES": 21, "FR": 20, "IE": 23, "IT": 22, "NL": 21,
    "PL": 23, "PT": 23, "SE": 25, "DK": 25, "FI": 25.5, "GR": 24, "CZ": 21, "HU": 27,
}  # fmt: skip
DEFAULT_VAT_PCT = 20
_VAT_BP = {k: round(v * 100) for k, v in VAT_PCT.items()}


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _ten_thousandths(col: str) -> pl.Expr:
    """Money text (``12.5``) → integer ten-thousandths (125000), null stays null."""
    parts = pl.col(col).str.split_exact(".", 1)
    whole = parts.struct.field("field_0").cast(pl.Int64)
    frac = parts.struct.field("field_1").fill_null("").str.pad_end(4, "0").cast(pl.Int64)
    return whole * 10_000 + frac


def _gross_cents(col: str, rate_bp: pl.Expr) -> pl.Expr:
    net = _ten_thousandths(col)
    return ((2 * net * (10_000 + rate_bp) + 1_000_000) // 2_000_000).cast(pl.String)


def eurocart_bytes(rows: pl.DataFrame) -> bytes:
    rate_bp = pl.col("buyer_country").replace_strict(
        _VAT_BP, default=DEFAULT_VAT_PCT * 100, return_dtype=pl.Int64
    )
    bp = pl.col("__bp")
    rate_text = pl.concat_str(
        [
            (bp // 100).cast(pl.String),
            pl.when(bp % 100 != 0).then(
                pl.concat_str(
                    [pl.lit(","), (bp % 100).cast(pl.String).str.zfill(2)]
                ).str.strip_suffix("0")
            ),
        ],
        ignore_nulls=True,
    )
    local = (
        pl.col("ordered_at")
        .str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
        .dt.convert_time_zone("Europe/Berlin")
        .dt.strftime("%d.%m.%Y %H:%M:%S %:z")
    )
    frame = rows.with_columns(__bp=rate_bp).select(
        pl.col("order_id").alias("Bestellnr"),
        pl.col("line_id").alias("Pos"),
        local.alias("Bestellzeit"),
        pl.col("seller_id").alias("Haendler"),
        pl.col("seller_country").alias("Haendlerland"),
        pl.col("buyer_id").alias("Kunde"),
        pl.col("buyer_country").alias("Kundenland"),
        pl.col("ship_from_country").alias("Versandland"),
        pl.col("warehouse_id").alias("Lager"),
        pl.col("parcel_id").alias("Paket"),
        pl.col("sku").alias("Artikelnr"),
        pl.col("title").alias("Bezeichnung"),
        pl.col("hs_code").alias("Zolltarifnr"),
        pl.col("origin_country").alias("Ursprungsland"),
        pl.col("quantity").alias("Menge"),
        _gross_cents("unit_price", pl.col("__bp")).alias("Brutto_Cent"),
        rate_text.alias("MwSt_Satz"),
        pl.col("currency").alias("Waehrung"),
        _gross_cents("discount", pl.col("__bp")).alias("Rabatt_Cent"),
        _gross_cents("shipping_fee", pl.col("__bp")).alias("Versand_Cent"),
        _gross_cents("insurance_fee", pl.col("__bp")).alias("Versicherung_Cent"),
        pl.col("ioss_number").alias("IOSS"),
    )
    # rates are whole percentages here except FI (25.5): write them with a decimal comma
    frame = frame.with_columns(
        pl.when(pl.col("Kundenland") == "FI")
        .then(pl.lit("25,5"))
        .otherwise(pl.col("MwSt_Satz"))
        .alias("MwSt_Satz")
    )
    text = frame.write_csv(separator=";", line_terminator="\r\n", null_value="")
    try:
        data = text.encode("cp1252")
    except UnicodeEncodeError:
        data = b"\xef\xbb\xbf" + text.encode("utf-8")
    return gzip.compress(data, mtime=0)


def api_pages(rows: pl.DataFrame, per_page: int = API_PAGE_ORDERS) -> list[bytes]:
    shanghai = (
        pl.col("ordered_at")
        .str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
        .dt.convert_time_zone("Asia/Shanghai")
        .dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
    )
    rows = rows.with_columns(shanghai.alias("__created"))
    orders: list[dict] = []
    for (order_id,), group in rows.group_by("order_id", maintain_order=True):
        first = group.row(0, named=True)
        orders.append(
            {
                "order_id": order_id,
                "marketplace": first["marketplace"],
                "created_at": first["__created"],
                "seller": {"id": first["seller_id"], "country": first["seller_country"]},
                "buyer": {"id": first["buyer_id"], "country": first["buyer_country"]},
                "ioss_number": first["ioss_number"],
                "lines": [
                    {
                        "line_id": r["line_id"],
                        "sku": r["sku"],
                        "title": r["title"],
                        "hs_code": r["hs_code"],
                        "origin_country": r["origin_country"],
                        "quantity": int(r["quantity"]),
                        "price": {"amount": r["unit_price"], "currency": r["currency"]},
                        "discount": r["discount"],
                        "fees": {"shipping": r["shipping_fee"], "insurance": r["insurance_fee"]},
                        "parcel": {
                            "id": r["parcel_id"],
                            "ship_from": r["ship_from_country"],
                            "warehouse_id": r["warehouse_id"],
                        },
                    }
                    for r in group.iter_rows(named=True)
                ],
            }
        )
    chunks = [orders[i : i + per_page] for i in range(0, len(orders), per_page)]
    return [
        json.dumps(
            {"orders": chunk, "next_cursor": f"p{n + 2}" if n + 1 < len(chunks) else None},
            ensure_ascii=False,
        ).encode("utf-8")
        for n, chunk in enumerate(chunks)
    ]


def _attrs(pairs: dict[str, str | None]) -> str:
    return " ".join(f"{k}={quoteattr(str(v))}" for k, v in pairs.items() if v is not None)


def wms_xml(rows: pl.DataFrame, kind: str, warehouse: str, country: str | None) -> bytes:
    out = ['<?xml version="1.0" encoding="windows-1252"?>']
    out.append(f"<WmsExport {_attrs({'warehouse': warehouse, 'country': country})}>")
    if kind == "receipts":
        for (_,), group in rows.group_by("receipt_id", maintain_order=True):
            r0 = group.row(0, named=True)
            head = {
                "id": r0["receipt_id"],
                "received": r0["received_at"],
                "seller": r0["seller_id"],
            }
            out.append(f"  <Receipt {_attrs(head)}>")
            for r in group.iter_rows(named=True):
                lot = {
                    "id": r["lot_id"],
                    "sku": r["sku"],
                    "hs": r["hs_code"],
                    "origin": r["origin_country"],
                    "qty": r["quantity"],
                    "unitValue": r["declared_unit_value"],
                    "currency": r["currency"],
                    "declaration": r["declaration_id"],
                }
                out.append(f"    <Lot {_attrs(lot)}/>")
            out.append("  </Receipt>")
    else:
        for r in rows.iter_rows(named=True):
            dispatch = {
                "id": r["dispatch_id"],
                "at": r["dispatched_at"],
                "order": r["order_id"],
                "line": r["line_id"],
                "sku": r["sku"],
                "lot": r["lot_id"],
                "qty": r["quantity"],
            }
            out.append(f"  <Dispatch {_attrs(dispatch)}/>")
    out.append("</WmsExport>\n")
    return "\n".join(out).encode("cp1252", errors="xmlcharrefreplace")


def _read_text(path: Path) -> pl.DataFrame:
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    frame = pl.read_ndjson(path, infer_schema_length=None)
    return frame.select(pl.all().cast(pl.String))


def convert_day(landing: Path, api_dir: Path, day: str) -> None:
    """Move the day's EuroCart and DragonMart orders and the warehouse feeds to their formats."""
    orders_path = landing / "orders" / day / "orders.csv"
    if orders_path.exists():
        rows = _read_text(orders_path)
        mp = pl.col("marketplace")
        euro, api = rows.filter(mp == EUROCART), rows.filter(mp == API_MARKETPLACE)
        rest = rows.filter(~mp.is_in([EUROCART, API_MARKETPLACE]))
        if euro.height:
            _write(orders_path.with_name("eurocart.eurocart.csv.gz"), eurocart_bytes(euro))
        for n, page in enumerate(api_pages(api) if api.height else [], start=1):
            _write(api_dir / "orders" / day / f"page-{n:05d}.json", page)
        _write(orders_path, rest.write_csv(line_terminator="\n", null_value="").encode())
    for feed, kind in (("warehouse_receipts", "receipts"), ("warehouse_dispatches", "dispatches")):
        path = landing / feed / day / f"{feed}.jsonl"
        if not path.exists():
            continue
        rows = _read_text(path)
        for (warehouse,), group in rows.group_by("warehouse_id", maintain_order=True):
            country = (
                group["warehouse_country"][0] if "warehouse_country" in group.columns else None
            )
            name = f"wms-{warehouse}.wms.xml"
            _write(path.with_name(name), wms_xml(group, kind, str(warehouse), country))
        path.unlink()
