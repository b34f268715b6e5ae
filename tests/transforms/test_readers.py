"""Readers: every canonical format gives String columns plus a 1-based source_row."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from transform_fixtures import csv_bytes, gz, jsonl_bytes, order

from transforms.readers import (
    READERS,
    UnsupportedFormatError,
    get_reader,
    landable_formats,
    read_file,
    split_format,
)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _all_strings(df: pl.DataFrame) -> bool:
    return all(t == pl.String for n, t in df.schema.items() if n != "source_row")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("orders.csv", ("csv", False)),
        ("Orders.CSV.GZ", ("csv", True)),
        ("a.b.jsonl", ("jsonl", False)),
        ("x.parquet.gz", ("parquet", True)),
        ("noext", ("", False)),
    ],
)
def test_split_format(name, expected):
    assert split_format(name) == expected


def test_registry_and_unknown_format():
    assert {"csv", "jsonl", "json", "parquet"} <= set(READERS)
    assert "xml" in landable_formats()
    with pytest.raises(UnsupportedFormatError, match="xml"):
        get_reader("xml")


def test_csv_with_bom_and_source_row(tmp_path):
    data = b"\xef\xbb\xbf" + csv_bytes([order(line_id="1"), order(line_id="2")])
    df = read_file(_write(tmp_path, "o.csv", data)).collect()
    assert df.columns[0] == "source_row"
    assert df.schema["source_row"] == pl.Int64
    assert df["source_row"].to_list() == [1, 2]
    assert "marketplace" in df.columns  # the BOM is not part of the first column name
    assert _all_strings(df)
    assert df["hs_code"].to_list() == ["620610", "620610"]


def test_csv_gzip_is_transparent(tmp_path):
    plain = read_file(_write(tmp_path, "a.csv", csv_bytes([order()]))).collect()
    zipped = read_file(_write(tmp_path, "b.csv.gz", gz(csv_bytes([order()])))).collect()
    assert plain.equals(zipped)


def test_csv_keeps_leading_zeros_and_text(tmp_path):
    df = read_file(_write(tmp_path, "o.csv", csv_bytes([order(hs_code="0101.21")]))).collect()
    assert df["hs_code"].item() == "0101.21"
    assert df["quantity"].item() == "2"


def test_empty_csv_has_no_columns(tmp_path):
    df = read_file(_write(tmp_path, "e.csv", b"")).collect()
    assert df.columns == ["source_row"] and df.height == 0


def test_jsonl_values_become_text(tmp_path):
    rows = [
        {"order_id": "O1", "quantity": 2, "unit_price": 19.99, "flag": True, "nested": {"a": 1}},
        {"order_id": "O2", "unit_price": "0.10", "late_key": "x"},
    ]
    df = read_file(_write(tmp_path, "o.jsonl", jsonl_bytes(rows))).collect()
    assert _all_strings(df)
    assert df["source_row"].to_list() == [1, 2]
    assert df["quantity"].to_list() == ["2", None]  # a key absent from a line is null
    assert df["unit_price"].to_list() == ["19.99", "0.10"]  # strings verbatim
    assert df["flag"].to_list() == ["true", None]
    assert df["late_key"].to_list() == [None, "x"]  # keys are taken from the whole file
    assert df["nested"][0].replace(" ", "") == '{"a":1}'


def test_jsonl_with_bom_and_gzip(tmp_path):
    data = b"\xef\xbb\xbf" + jsonl_bytes([{"order_id": "O1"}, {"order_id": "O2"}])
    for name, content in [("a.jsonl", data), ("b.jsonl.gz", gz(data))]:
        df = read_file(_write(tmp_path, name, content)).collect()
        assert df["order_id"].to_list() == ["O1", "O2"]


def test_empty_jsonl(tmp_path):
    df = read_file(_write(tmp_path, "e.jsonl", b"\n")).collect()
    assert df.height == 0


def test_json_array_and_json_lines_under_json_name(tmp_path):
    arr = b'[{"order_id": "O1", "quantity": 3}, {"order_id": "O2"}]'
    df = read_file(_write(tmp_path, "a.json", arr)).collect()
    assert df["order_id"].to_list() == ["O1", "O2"]
    assert df["quantity"].to_list() == ["3", None]
    assert df["source_row"].to_list() == [1, 2]
    lines = read_file(_write(tmp_path, "b.json", jsonl_bytes([{"order_id": "O9"}]))).collect()
    assert lines["order_id"].to_list() == ["O9"]


def test_parquet_typed_columns_render_as_canonical_text(tmp_path):
    typed = pl.DataFrame(
        {
            "order_id": ["O1"],
            "quantity": [3],
            "unit_price": pl.Series([Decimal("19.9900")], dtype=pl.Decimal(18, 4)),
            "ordered_at": pl.Series(
                [datetime(2026, 9, 1, 10, 0, tzinfo=UTC)], dtype=pl.Datetime("us", "UTC")
            ),
            "day": [date(2026, 9, 1)],
            "ok": [True],
        }
    )
    path = tmp_path / "o.parquet"
    typed.write_parquet(path)
    df = read_file(path).collect()
    assert _all_strings(df)
    row = df.row(0, named=True)
    assert row["source_row"] == 1
    assert row["quantity"] == "3"
    assert row["unit_price"] == "19.9900"
    assert row["ordered_at"].startswith("2026-09-01T10:00:00") and row["ordered_at"].endswith("Z")
    assert row["day"] == "2026-09-01"
    assert row["ok"] == "true"
    gz_path = _write(tmp_path, "o2.parquet.gz", gz(path.read_bytes()))
    assert read_file(gz_path).collect().equals(df)


def test_reader_is_lazy(tmp_path):
    lf = read_file(_write(tmp_path, "o.csv", csv_bytes([order()])))
    assert isinstance(lf, pl.LazyFrame)
