"""The "adding a source format" example of docs/feeds.md, run for real.

The reader below is the sample of the documentation (a hypothetical marketplace export:
semicolon-separated, German headers, prices in cents, decimal commas, Berlin local time). It is
registered with one ``READERS`` entry and then goes through landing and standardisation.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
from transform_fixtures import DAY

from transforms.landing import land_interval
from transforms.readers import READERS, split_format
from transforms.readers.canonical import ROW
from transforms.standardize import standardize_interval

# --- the documentation sample ------------------------------------------------------------------

RENAME = {  # ShopB header → canonical column
    "Bestellung": "order_id",
    "Position": "line_id",
    "Zeit": "ordered_at",
    "Haendler": "seller_id",
    "Haendlerland": "seller_country",
    "Kunde": "buyer_id",
    "Kundenland": "buyer_country",
    "Versandland": "ship_from_country",
    "Paket": "parcel_id",
    "Artikel": "sku",
    "Bezeichnung": "title",
    "Zolltarif": "hs_code",
    "Ursprung": "origin_country",
    "Menge": "quantity",
    "Preis_Cent": "unit_price",
    "Waehrung": "currency",
    "Rabatt": "discount",
}


def read_shopb(path: Path) -> pl.LazyFrame:
    """ShopB order export → canonical text columns plus ``source_row``."""
    lf = pl.scan_csv(
        path, separator=";", infer_schema=False, row_index_name=ROW, row_index_offset=1
    )
    local = (
        pl.col("ordered_at")
        .str.to_datetime("%d.%m.%Y %H:%M", strict=False)
        .dt.replace_time_zone("Europe/Berlin", ambiguous="null", non_existent="null")
    )
    cents = pl.col("unit_price").str.to_decimal(scale=0)
    return lf.rename(RENAME).select(
        pl.col(ROW).cast(pl.Int64()),
        pl.lit("shopb").alias("marketplace"),
        pl.exclude(ROW, "ordered_at", "unit_price", "discount"),
        # Keep the text when a value does not convert: the standardiser then rejects the row
        # with the right reason and the raw value (instead of "missing").
        pl.coalesce(
            local.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%dT%H:%M:%SZ"),
            pl.col("ordered_at"),
        ).alias("ordered_at"),
        pl.coalesce((cents * Decimal("0.01")).cast(pl.String()), pl.col("unit_price")).alias(
            "unit_price"
        ),
        pl.col("discount").str.replace(",", ".", literal=True),
    )


# --- the test ----------------------------------------------------------------------------------

EXPORT = (
    "Bestellung;Position;Zeit;Haendler;Haendlerland;Kunde;Kundenland;Versandland;Paket;Artikel;"
    "Bezeichnung;Zolltarif;Ursprung;Menge;Preis_Cent;Waehrung;Rabatt\n"
    "B-1;1;01.09.2026 12:30;S9;CN;K77;DE;CN;PK1;A1;Bluse;6206.10;CN;2;1999;EUR;1,50\n"
    "B-1;2;01.09.2026 12:31;S9;CN;K77;DE;CN;PK1;A2;Tuch;6214.10;CN;1;zwei;EUR;\n"
)


def test_a_registered_reader_loads_a_marketplace_export(settings, deliver, monkeypatch):
    monkeypatch.setitem(READERS, "shopb.csv", read_shopb)
    assert split_format("export-0901.shopb.csv") == ("shopb.csv", False)
    deliver("export-0901.shopb.csv", EXPORT.encode("utf-8"))
    (landed,) = land_interval(settings, "orders", DAY, settings.source_dir)
    assert landed.landed_path.name.endswith(".shopb.csv")
    summary = standardize_interval(settings, "orders", DAY)
    assert summary.file_errors == []
    assert (summary.rows_standardized, summary.rows_rejected) == (1, 1)
    folder = f"date={DAY.isoformat()}"
    good = pl.read_parquet(settings.standardized_dir / "orders" / folder / "*.parquet")
    row = good.row(0, named=True)
    assert row["unit_price"] == Decimal("19.99") and row["discount"] == Decimal("1.50")
    assert row["ordered_at"].isoformat() == "2026-09-01T10:30:00+00:00"  # 12:30 CEST
    assert row["hs_code"] == "620610" and row["marketplace"] == "shopb"
    rejects = pl.read_parquet(settings.rejects_dir / "orders" / folder / "*.parquet")
    assert rejects["reason"].to_list() == ["invalid_decimal:unit_price"]
