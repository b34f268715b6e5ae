"""The in-memory path (standardize_collected) gives exactly the streaming path's output.

Files up to IN_MEMORY_MAX_BYTES take standardize_collected (typed values kept, pseudonyms
hashed in a second thread, slow path only for columns where the fast path missed a value);
bigger files take prepare_frame + good_rows + rejected_rows. Both must accept and reject the
same rows with the same values, pseudonyms and reasons. Synthetic order lines with about 0.5%
bad or untidy values of several kinds, plus duplicate keys, a future event and a malformed
record (~2 s).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from pathlib import Path

import polars as pl
import pytest
from transform_fixtures import DAY, KEY, csv_bytes, frame, order, orders

from transforms import standardize
from transforms.landing import land_interval
from transforms.pseudonymize import Pseudonymizer, pseudonym
from transforms.readers.canonical import read_csv_tolerant
from transforms.schemas import DECLARATIONS, ORDERS
from transforms.standardize import standardize_interval
from transforms.validation import (
    ROW,
    _duplicate_rows,
    _duplicate_rows_of,
    latest_event_time,
    reject_whole_file,
    standardize_collected,
    standardize_frame,
)

sys.path.insert(0, str(Path(__file__).parent))
from bench_standardize import synthetic_orders


def _dirty_orders() -> pl.DataFrame:
    rows = synthetic_orders(3000, seed=11, dirty=True)
    # two duplicate keys and one event after the interval, beside the generated dirt
    return pl.concat([rows, rows.head(2)]).with_columns(
        ordered_at=pl.when(pl.int_range(pl.len()) == 5)
        .then(pl.lit("2026-09-09T10:00:00Z"))
        .otherwise("ordered_at")
    )


def _both(lf: pl.LazyFrame, schema=ORDERS):
    kwargs = dict(source_file="f.csv", load_id="L1", latest=latest_event_time(DAY))
    streamed = [x.collect() for x in standardize_frame(lf, schema, KEY, **kwargs)]
    collected = [x.collect() for x in standardize_collected(lf, schema, KEY, **kwargs)]
    return streamed, collected


def test_collected_equals_streamed_on_dirty_rows(tmp_path):
    rows = _dirty_orders()
    data = rows.write_csv()
    path = tmp_path / "o.csv"  # one malformed record too: read record by record, as landing does
    path.write_text(data + data.splitlines()[1] + ",extra,x\n")
    (good_s, rejects_s), (good_c, rejects_c) = _both(read_csv_tolerant(path).collect().lazy())
    assert rejects_s.height >= 10  # the dirt is there, of several kinds
    assert {"duplicate_key", "future_timestamp:ordered_at", "malformed_row"} <= set(
        rejects_s["reason"].str.split(";").explode()
    )
    assert good_c.height + rejects_c.height == rows.height + 1
    assert good_c.equals(good_s)
    assert rejects_c.equals(rejects_s)
    buyer = good_c.row(0, named=True)
    raw_buyer = rows.row(buyer["source_row"] - 1, named=True)["buyer_id"].strip()
    assert buyer["buyer_id"] == pseudonym(KEY, raw_buyer)


@pytest.mark.parametrize("key", [KEY, b"\xff\xfe not utf-8"], ids=["text key", "binary key"])
def test_pseudonyms_per_row_and_by_table_are_the_standard_hmac(key: bytes):
    """A text key hashes every row in Polars; any other key hashes the distinct values and
    looks the rows up. Both, on both paths and in the rejects' raw text, are HMAC-SHA256."""
    assert Pseudonymizer(key).vectorised is (key == KEY)
    rows = _dirty_orders()
    kwargs = dict(source_file="f.csv", load_id="L1", latest=latest_event_time(DAY))
    lf = frame(rows.to_dicts())
    for good, rejects in (
        [x.collect() for x in standardize_frame(lf, ORDERS, key, **kwargs)],
        [x.collect() for x in standardize_collected(lf, ORDERS, key, **kwargs)],
    ):
        raw = rows.with_row_index(ROW, offset=1).select(ROW, pl.col("buyer_id").str.strip_chars())
        checked = good.select(ROW, "buyer_id").join(raw, on=ROW, suffix="_raw")
        assert checked.height == good.height > 2900
        expected = [
            hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in checked["buyer_id_raw"]
        ]
        assert checked["buyer_id"].to_list() == expected
        seen = 0
        for reject in rejects.iter_rows(named=True):
            raw_buyer = raw.filter(pl.col(ROW) == reject[ROW])["buyer_id"].item()
            if raw_buyer:
                assert json.loads(reject["raw"])["buyer_id"] == pseudonym(key, raw_buyer)
                seen += 1
        assert seen >= 5


@pytest.mark.parametrize("key", [KEY, b"\xff\xfe not utf-8"], ids=["text key", "binary key"])
def test_a_rejected_file_carries_standard_pseudonyms(key: bytes):
    """A file without its required columns: every row rejected, the raw text pseudonymised
    per row (text key) or through the table of distinct values (any other key) alike."""
    lf = pl.LazyFrame({ROW: [1, 2, 3], "buyer_id": [" B1", "B2", None], "order_id": ["O"] * 3})
    rejects = reject_whole_file(lf, ORDERS, key, source_file="f.csv", load_id="L1").collect()
    buyers = [json.loads(raw).get("buyer_id") for raw in rejects["raw"]]
    assert buyers == [
        hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in ["B1", "B2"]
    ] + [None]


def test_slow_path_only_where_the_fast_path_missed():
    # untidy values in two columns only; the others take the fast path everywhere
    rows = [
        *orders(3),
        order(line_id="4", currency=" eur "),
        order(line_id="5", ordered_at="2026-09-01 10:00:00+02:00"),
        order(line_id="6", currency="RMB"),
        order(line_id="7", buyer_id="  BUYER-1 "),
    ]
    (good_s, rejects_s), (good_c, rejects_c) = _both(frame(rows))
    assert good_c.equals(good_s) and rejects_c.equals(rejects_s)
    assert good_c["currency"].to_list() == ["EUR"] * 6
    assert rejects_c["reason"].to_list() == ["invalid_currency:currency"]
    assert good_c.filter(pl.col("line_id") == "5")["ordered_at"].dt.hour().item() == 8
    assert good_c["buyer_id"].n_unique() == 1  # trimmed before hashing


def test_collected_other_feed_and_missing_values():
    decl = {
        "declaration_id": "D1",
        "item_no": "1",
        "declared_at": "2026-09-01T10:00:00Z",
        "jurisdiction": "DE",
        "declarant_id": "DC1",
        "importer_id": "IMP-1",
        "seller_id": "S1",
        "parcel_id": None,
        "ioss_number": None,
        "procedure": "H7",
        "hs_code": "620610",
        "description": "blouse",
        "origin_country": "CN",
        "quantity": "1",
        "gross_mass_kg": "0.2",
        "declared_value": "19.99",
        "currency": "EUR",
        "transport_cost": None,
        "insurance_cost": None,
    }
    rows = [decl, {**decl, "item_no": "2", "importer_id": None}, {**decl, "item_no": "1"}]
    (good_s, rejects_s), (good_c, rejects_c) = _both(frame(rows), DECLARATIONS)
    assert good_c.equals(good_s) and rejects_c.equals(rejects_s)
    assert rejects_c["reason"].to_list() == ["missing:importer_id", "duplicate_key"]


@pytest.mark.parametrize("in_memory_max", [0, None])
def test_file_paths_give_the_same_partitions(settings, deliver, monkeypatch, in_memory_max):
    deliver("a.csv", _dirty_orders().write_csv().encode())
    deliver("b.csv", csv_bytes(orders(2, order_id="O-B")))
    land_interval(settings, "orders", DAY, settings.source_dir)
    if in_memory_max is not None:
        monkeypatch.setattr(standardize, "IN_MEMORY_MAX_BYTES", in_memory_max)
    summary = standardize_interval(settings, "orders", DAY)
    assert summary.rows_read == summary.rows_standardized + summary.rows_rejected
    assert summary.rows_read == 3002 + 2
    home = settings.home
    good = pl.read_parquet(home / "standardized/orders" / f"date={DAY}" / "*.parquet")
    rejects = pl.read_parquet(home / "rejects/orders" / f"date={DAY}" / "*.parquet")
    assert rejects.height >= 10
    # the streamed run is the reference: compare the in-memory run against a fresh one
    monkeypatch.setattr(standardize, "IN_MEMORY_MAX_BYTES", 0)
    standardize_interval(settings, "orders", DAY)
    ref_good = pl.read_parquet(home / "standardized/orders" / f"date={DAY}" / "*.parquet")
    ref_rejects = pl.read_parquet(home / "rejects/orders" / f"date={DAY}" / "*.parquet")
    order_by = ["source_file", "source_row"]
    assert good.sort(order_by).equals(ref_good.sort(order_by))
    assert rejects.sort(order_by).equals(ref_rejects.sort(order_by))


@pytest.mark.parametrize("schema", [ORDERS, DECLARATIONS], ids=["orders", "declarations"])
def test_duplicate_keys_found_through_hashes_are_the_exact_ones(schema):
    """Only rows whose key hash repeats are compared, and exactly: the same rows as comparing
    every key, the first row of each key kept, rows with a missing key part never duplicates."""
    n = 5000
    keys = {
        f"__v_{c}": pl.Series([f"K{i % 1700}" if i % 97 else None for i in range(n)])
        if pos == 0
        else pl.Series([str((i // 1700) % 2) for i in range(n)])
        for pos, c in enumerate(schema.key)
    }
    kept = pl.DataFrame({ROW: pl.int_range(1, n + 1, eager=True), **keys})
    expected = kept.select(_duplicate_rows(schema)).to_series().cast(pl.Int64())
    found = _duplicate_rows_of(kept, schema)
    assert found.to_list() == expected.to_list()
    assert 0 < found.len() < n
