"""The source-specific formats: EuroCart CSV, order API pages (nested JSON), WMS XML.

Each sample goes through landing and standardisation for real; values are checked after the
standardiser, so the layout conversion and the canonical parsing are tested together.
"""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

import polars as pl
from transform_fixtures import DAY

from transforms.landing import land_interval
from transforms.readers import read_file, split_format
from transforms.readers.eurocart import read_eurocart
from transforms.standardize import standardize_interval

FOLDER = f"date={DAY.isoformat()}"

EUROCART = (
    "Bestellnr;Pos;Bestellzeit;Haendler;Haendlerland;Kunde;Kundenland;Versandland;Lager;Paket;"
    "Artikelnr;Bezeichnung;Zolltarifnr;Ursprungsland;Menge;Brutto_Cent;MwSt_Satz;Waehrung;"
    "Rabatt_Cent;Versand_Cent;Versicherung_Cent;IOSS\n"
    "EC-1;1;01.09.2026 14:30:05 +02:00;S9;CN;K77;DE;CN;;PK1;A1;Bluse für Damen;6206.10;CN;2;"
    "2379;19;EUR;119;595;;IM3720000022\n"
    "EC-1;2;01.09.2026 14:30:05 +02:00;S9;CN;K77;DE;CN;;PK1;A2;Crème;3304 99;FR;1;1055;5,5;EUR;"
    ";;;\n"
    "EC-2;1;01.09.2026 09:00:00 -05:00;S9;CN;K78;FR;CN;;PK2;A3;Tuch;6214.10;CN;1;zwei;20;EUR;;;;\n"
    "EC-3;1;01.09.2026 09:00:00 +01:00;S9;CN;K79;FR;CN;;PK3;A3;Tuch;6214.10;CN;1;1000;;EUR;;;;\n"
)

PAGE = {
    "orders": [
        {
            "order_id": "DM-1",
            "marketplace": "dragonmart",
            "created_at": "2026-09-01T18:30:05+08:00",
            "seller": {"id": "S-1", "country": "CN"},
            "buyer": {"id": "B-9", "country": "DE"},
            "ioss_number": None,
            "lines": [
                {
                    "line_id": "1",
                    "sku": "SKU-1",
                    "title": "Silk blouse",
                    "hs_code": "6206.10",
                    "origin_country": "CN",
                    "quantity": 2,
                    "price": {"amount": 12.5, "currency": "USD"},
                    "discount": "0.00",
                    "fees": {"shipping": "1.20", "insurance": None},
                    "parcel": {"id": "LP123", "ship_from": "CN", "warehouse_id": None},
                },
                {
                    "line_id": "2",
                    "sku": "SKU-2",
                    "title": "Scarf",
                    "hs_code": "62AB",
                    "origin_country": "CN",
                    "quantity": 1,
                    "price": {"amount": "3.10", "currency": "USD"},
                    "parcel": {"id": "LP123", "ship_from": "CN"},
                },
            ],
        },
        {"order_id": "DM-2", "marketplace": "dragonmart", "created_at": "2026-09-01T01:00:00Z"},
    ],
    "next_cursor": "c2",
}

WMS_RECEIPTS = """<?xml version="1.0" encoding="windows-1252"?>
<WmsExport warehouse="WH-NL-01" country="NL">
  <Receipt id="RC-1" received="2026-09-01T08:15:00+02:00" seller="S-1" declaration="D-9">
    <Lot id="LOT-1" sku="SKU-1" hs="6109.10" origin="CN" qty="500" unitValue="1.8000"
         currency="USD"/>
    <Lot id="LOT-2" sku="SKU-2" hs="6109.10" origin="CN" qty="-5" unitValue="1.80"
         currency="USD"/>
  </Receipt>
  <Receipt id="RC-2" received="2026-09-01T09:00:00Z" seller="Société Générale">
    <Lot id="LOT-3" sku="SKU-3" hs="4202.92" origin="VN" qty="10" unitValue="7.25"
         currency="EUR"/>
  </Receipt>
</WmsExport>
"""

WMS_DISPATCHES = """<?xml version="1.0" encoding="UTF-8"?>
<WmsExport warehouse="WH-NL-01" country="NL">
  <Dispatch id="DS-1" at="2026-09-01T16:02:11+02:00" order="GB0001" line="1" sku="SKU-1"
            lot="LOT-1" qty="2"/>
  <Dispatch id="DS-2" at="2026-09-01T17:00:00+02:00" order="GB0002" line="1" sku="SKU-1"
            qty="1"/>
</WmsExport>
"""


def _load(settings, feed):
    summary = standardize_interval(settings, feed, DAY)
    good = pl.read_parquet(settings.standardized_dir / feed / FOLDER / "*.parquet")
    rejects = pl.read_parquet(settings.rejects_dir / feed / FOLDER / "*.parquet")
    return summary, good, rejects


def test_eurocart_cp1252_gross_cents_and_local_times(settings, deliver):
    assert split_format("export.eurocart.csv.gz") == ("eurocart.csv", True)
    deliver("export.eurocart.csv.gz", gzip.compress(EUROCART.encode("cp1252")))
    land_interval(settings, "orders", DAY, settings.source_dir)
    summary, good, rejects = _load(settings, "orders")
    assert summary.file_errors == []
    assert (summary.rows_read, summary.rows_standardized, summary.rows_rejected) == (4, 2, 2)
    first, second = good.sort("order_id", "line_id").iter_rows(named=True)
    # 2379 cents gross at 19% → 19.9916 net; 119 → 1.0000; 595 → 5.0000
    assert first["unit_price"] == Decimal("19.9916")
    assert first["discount"] == Decimal("1.0000")
    assert first["shipping_fee"] == Decimal("5.0000")
    assert first["insurance_fee"] is None
    assert first["ordered_at"].isoformat() == "2026-09-01T12:30:05+00:00"
    assert first["marketplace"] == "eurocart" and first["title"] == "Bluse für Damen"
    assert first["ioss_number"] == "IM3720000022" and first["hs_code"] == "620610"
    assert second["unit_price"] == Decimal("10.0000")  # 1055 at 5,5 %
    assert second["title"] == "Crème" and second["hs_code"] == "330499"
    reasons = dict(zip(rejects["source_row"], rejects["reason"], strict=True))
    assert reasons == {3: "invalid_decimal:unit_price", 4: "invalid_decimal:unit_price"}
    # the raw text keeps what was received: no price is ever guessed without the VAT rate
    raw4 = json.loads(rejects.filter(pl.col("source_row") == 4)["raw"][0])
    assert raw4["unit_price"] == "1000 cents gross, VAT rate ?"


def test_eurocart_reads_utf8_with_bom_the_same(tmp_path):
    a, b = tmp_path / "a.eurocart.csv", tmp_path / "b.eurocart.csv"
    a.write_bytes(EUROCART.encode("cp1252"))
    b.write_bytes(b"\xef\xbb\xbf" + EUROCART.encode("utf-8"))
    assert read_eurocart(a).collect().equals(read_eurocart(b).collect())


def test_order_api_page_flattens_lines_and_keeps_numbers_exact(settings, deliver):
    deliver("page-0001.orderapi.json", json.dumps(PAGE).encode())
    land_interval(settings, "orders", DAY, settings.source_dir)
    summary, good, rejects = _load(settings, "orders")
    assert summary.file_errors == []
    assert (summary.rows_read, summary.rows_standardized, summary.rows_rejected) == (3, 1, 2)
    row = good.row(0, named=True)
    assert row["unit_price"] == Decimal("12.5") and row["currency"] == "USD"
    assert row["ordered_at"].isoformat() == "2026-09-01T10:30:05+00:00"
    assert row["parcel_id"] == "LP123" and row["ship_from_country"] == "CN"
    assert row["shipping_fee"] == Decimal("1.20") and row["warehouse_id"] is None
    reasons = dict(zip(rejects["source_row"], rejects["reason"], strict=True))
    assert reasons[2] == "invalid_hs_code:hs_code"
    assert reasons[3].startswith("missing:line_id")  # an order without lines is not lost


def test_wms_xml_receipts_in_windows_1252(settings, deliver):
    deliver("wms-export.wms.xml", WMS_RECEIPTS.encode("cp1252"), feed="warehouse_receipts")
    land_interval(settings, "warehouse_receipts", DAY, settings.source_dir)
    summary, good, rejects = _load(settings, "warehouse_receipts")
    assert summary.file_errors == []
    assert (summary.rows_read, summary.rows_standardized, summary.rows_rejected) == (3, 2, 1)
    assert good["lot_id"].to_list() == ["LOT-1", "LOT-3"]
    assert good["warehouse_country"].unique().to_list() == ["NL"]
    assert good["seller_id"].to_list() == ["S-1", "Société Générale"]
    assert good["declared_unit_value"].to_list() == [Decimal("1.8000"), Decimal("7.2500")]
    assert good["received_at"][0].isoformat() == "2026-09-01T06:15:00+00:00"
    assert rejects["reason"].to_list() == ["not_positive:quantity"]


def test_wms_xml_dispatches(settings, deliver):
    deliver("d.wms.xml.gz", gzip.compress(WMS_DISPATCHES.encode()), feed="warehouse_dispatches")
    land_interval(settings, "warehouse_dispatches", DAY, settings.source_dir)
    summary, good, _ = _load(settings, "warehouse_dispatches")
    assert (summary.rows_read, summary.rows_standardized, summary.rows_rejected) == (2, 2, 0)
    assert good["lot_id"].to_list() == ["LOT-1", None]  # no lot: first in, first out


def test_wms_xml_refuses_entities(tmp_path):
    bomb = tmp_path / "x.wms.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa">]><WmsExport/>')
    try:
        read_file(bomb)
    except ValueError as exc:
        assert "entity" in str(exc)
    else:
        raise AssertionError("an XML with entity declarations was accepted")
