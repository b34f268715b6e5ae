"""EuroCart order export (format ``eurocart.csv``): a European marketplace's own CSV layout.

How it differs from the canonical orders CSV:

* ``;``-separated, German column headers, Windows-1252 text (UTF-8 ±BOM also accepted);
* order time in the seller's local time **with its UTC offset**: ``01.09.2026 14:30:05 +02:00``;
* amounts are **gross** (including VAT at ``MwSt_Satz`` percent, decimal comma: ``19`` or
  ``5,5``) and in **minor units** (cents): ``Brutto_Cent``, ``Rabatt_Cent``, ``Versand_Cent``,
  ``Versicherung_Cent``; the canonical amounts are net: ``net = gross / (1 + rate/100) / 100``,
  computed in integers and rounded half up to 4 decimals (never through a float);
* no marketplace column (it is ``eurocart``).

A value that does not convert keeps its text, so the standardiser rejects the row with the right
reason and the raw value.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from transforms.readers.canonical import ROW
from transforms.readers.encoding import read_text

MARKETPLACE = "eurocart"

RENAME = {  # EuroCart header → canonical column
    "Bestellnr": "order_id",
    "Pos": "line_id",
    "Bestellzeit": "ordered_at",
    "Haendler": "seller_id",
    "Haendlerland": "seller_country",
    "Kunde": "buyer_id",
    "Kundenland": "buyer_country",
    "Versandland": "ship_from_country",
    "Lager": "warehouse_id",
    "Paket": "parcel_id",
    "Artikelnr": "sku",
    "Bezeichnung": "title",
    "Zolltarifnr": "hs_code",
    "Ursprungsland": "origin_country",
    "Menge": "quantity",
    "Waehrung": "currency",
    "IOSS": "ioss_number",
}
GROSS_CENTS = {  # EuroCart gross amount in cents → canonical net amount
    "Brutto_Cent": "unit_price",
    "Rabatt_Cent": "discount",
    "Versand_Cent": "shipping_fee",
    "Versicherung_Cent": "insurance_fee",
}
VAT_RATE = "MwSt_Satz"
TIME_FORMAT = "%d.%m.%Y %H:%M:%S %z"


def _net_text(gross_cents: pl.Expr, rate_bp: pl.Expr) -> pl.Expr:
    """Net amount text with 4 decimals from gross cents and the VAT rate in basis points.

    ``net·10⁴ = gross_cents·10⁶ / (10⁴ + rate_bp)``, rounded half up (away from zero), in Int64.
    """
    den = pl.lit(10_000, pl.Int64) + rate_bp
    num = gross_cents.abs() * 1_000_000
    net = (2 * num + den) // (2 * den)
    sign = pl.when(gross_cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(
        [
            sign,
            (net // 10_000).cast(pl.String),
            pl.lit("."),
            (net % 10_000).cast(pl.String).str.zfill(4),
        ]
    )


def read_eurocart(path: Path) -> pl.LazyFrame:
    """EuroCart order export → canonical text columns plus ``source_row``."""
    text = read_text(path)
    if not text.strip():
        return pl.LazyFrame(schema={ROW: pl.Int64()})
    lf = pl.read_csv(
        io.BytesIO(text.encode("utf-8")),
        separator=";",
        infer_schema=False,
        row_index_name=ROW,
        row_index_offset=1,
    ).lazy()
    names = lf.collect_schema().names()
    rate_bp = (
        pl.col(VAT_RATE)
        .str.strip_chars()
        .str.replace(",", ".", literal=True)
        .str.to_decimal(scale=2)
        * 100
    ).cast(pl.Int64, strict=False)
    amounts = []
    for src, canonical in GROSS_CENTS.items():
        if src not in names:
            continue
        cents = pl.col(src).str.strip_chars().str.to_integer(strict=False)
        rate = pl.col(VAT_RATE) if VAT_RATE in names else pl.lit(None, pl.String)
        # Gross cents without a usable VAT rate cannot become a net amount: keep a text that
        # names both, so the row is rejected as invalid_decimal (never taken as a price).
        unconvertible = pl.when(cents.is_not_null()).then(
            pl.concat_str([pl.col(src), pl.lit(" cents gross, VAT rate "), rate.fill_null("?")])
        )
        net = _net_text(cents, rate_bp) if VAT_RATE in names else pl.lit(None, pl.String)
        amounts.append(pl.coalesce(net, unconvertible, pl.col(src)).alias(canonical))
    local = pl.col("Bestellzeit").str.strip_chars().str.to_datetime(TIME_FORMAT, strict=False)
    ordered_at = (
        [
            pl.coalesce(
                local.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%dT%H:%M:%SZ"),
                pl.col("Bestellzeit"),
            ).alias("ordered_at")
        ]
        if "Bestellzeit" in names
        else []
    )
    keep = [
        pl.col(n).alias(RENAME.get(n, n))
        for n in names
        if n not in (ROW, "Bestellzeit", VAT_RATE, *GROSS_CENTS)
    ]
    return lf.select(
        pl.col(ROW).cast(pl.Int64()),
        pl.lit(MARKETPLACE).alias("marketplace"),
        *keep,
        *ordered_at,
        *amounts,
    )
