"""standardize_interval end to end on tmp_path: files, partitions, audit rows, file errors."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest
from transform_fixtures import DAY, KEY, csv_bytes, gz, jsonl_bytes, order, orders

from transforms.landing import land_interval
from transforms.pseudonymize import pseudonym
from transforms.schemas import FEEDS, FILE_LOADS_SCHEMA, ORDERS, REJECTS_SCHEMA
from transforms.standardize import standardize_interval


def load(settings, feed="orders", day=DAY):
    land_interval(settings, feed, day, settings.source_dir)
    return standardize_interval(settings, feed, day)


def partition(settings, area: str, feed="orders", day=DAY) -> pl.DataFrame:
    root = {
        "standardized": settings.standardized_dir,
        "rejects": settings.rejects_dir,
        "file_loads": settings.audit_dir / "file_loads",
    }[area]
    files = sorted((root / feed / f"date={day.isoformat()}").glob("*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files]) if files else pl.DataFrame()


def test_one_csv_file(settings, deliver):
    rows = [*orders(3), order(line_id="9", currency="EURO")]
    data = csv_bytes(rows)
    deliver("orders.csv", data)
    summary = load(settings)
    assert (summary.files, summary.rows_read, summary.rows_standardized, summary.rows_rejected) == (
        1,
        4,
        3,
        1,
    )
    assert summary.file_errors == []

    stem = hashlib.sha256(data).hexdigest()[:16]
    day_dir = f"date={DAY.isoformat()}"
    good_path = settings.standardized_dir / "orders" / day_dir / f"{stem}.parquet"
    good = pl.read_parquet(good_path)
    assert good.schema == pl.Schema(ORDERS.standardized_schema)
    assert good["load_id"].unique().to_list() == [f"orders:2026-09-01:{stem}"]
    assert good["source_file"].unique().to_list() == ["orders/2026-09-01/orders.csv"]
    rejects = pl.read_parquet(settings.rejects_dir / "orders" / day_dir / f"{stem}.parquet")
    assert rejects.schema == pl.Schema(REJECTS_SCHEMA)
    assert rejects["reason"].to_list() == ["invalid_currency:currency"]
    audit = pl.read_parquet(
        settings.audit_dir / "file_loads" / "orders" / day_dir / f"{stem}.parquet"
    )
    assert audit.schema == pl.Schema(FILE_LOADS_SCHEMA)
    row = audit.row(0, named=True)
    assert row["status"] == "loaded" and row["data_interval"] == DAY
    assert (row["rows_read"], row["rows_standardized"], row["rows_rejected"]) == (4, 3, 1)
    assert row["loaded_at"].tzinfo is not None and row["loaded_at"] <= datetime.now(UTC)


def test_every_format_loads_the_same_rows(settings, deliver):
    rows = orders(2)
    deliver("bom.csv", b"\xef\xbb\xbf" + csv_bytes([order(line_id="b1"), order(line_id="b2")]))
    deliver("zipped.csv.gz", gz(csv_bytes([order(line_id="z1")])))
    deliver("lines.jsonl", jsonl_bytes([{**r, "line_id": "j" + r["line_id"]} for r in rows]))
    deliver("lines.jsonl.gz", gz(jsonl_bytes([order(line_id="jz1")])))
    typed = pl.DataFrame([order(line_id="p1")]).with_columns(pl.col("quantity").cast(pl.Int64))
    path = settings.source_dir / "orders" / DAY.isoformat() / "table.parquet"
    typed.write_parquet(path)
    summary = load(settings)
    assert summary.file_errors == []
    assert (summary.files, summary.rows_read, summary.rows_standardized) == (5, 7, 7)
    good = partition(settings, "standardized")
    assert sorted(good["line_id"]) == ["b1", "b2", "j1", "j2", "jz1", "p1", "z1"]
    assert set(good["unit_price"]) == {Decimal("19.99")}


def test_missing_required_column_rejects_that_file_only(settings, deliver):
    broken = [{k: v for k, v in order().items() if k != "currency"} for _ in range(2)]
    broken[1]["line_id"] = "2"
    deliver("broken.csv", csv_bytes(broken))
    deliver("fine.csv", csv_bytes([order(line_id="7")]))
    summary = load(settings)
    assert len(summary.file_errors) == 1
    message = summary.file_errors[0]
    assert "orders/2026-09-01/broken.csv" in message and "currency" in message
    assert summary.rows_standardized == 1  # the other file went on
    assert summary.rows_read == summary.rows_standardized + summary.rows_rejected == 3

    audit = partition(settings, "file_loads").sort("source_file")
    assert audit["status"].to_list() == ["rejected_file", "loaded"]
    bad = audit.row(0, named=True)
    assert (bad["rows_read"], bad["rows_standardized"], bad["rows_rejected"]) == (2, 0, 2)
    assert "currency" in bad["message"]
    rejects = partition(settings, "rejects")
    assert rejects["reason"].to_list() == ["missing_column:currency"] * 2
    assert "BUYER-1" not in "".join(rejects["raw"])  # pseudonymised in rejects too


def test_fixing_a_rejected_file_and_rerunning_the_day(settings, deliver):
    broken = [{k: v for k, v in order().items() if k != "currency"}]
    path = deliver("orders.csv", csv_bytes(broken))
    assert load(settings).file_errors
    path.write_bytes(csv_bytes(orders(2)))  # the operator replaces the file and reruns the day
    summary = load(settings)
    assert summary.file_errors == [] and summary.rows_standardized == 2
    assert partition(settings, "file_loads")["status"].to_list() == ["loaded"]
    assert partition(settings, "rejects").height == 0


def test_unreadable_file_is_reported_and_others_load(settings, deliver):
    deliver("corrupt.csv.gz", b"\x1f\x8b" + b"not really gzip")
    deliver("orders.xml", b"<orders/>")
    deliver("fine.csv", csv_bytes(orders(2)))
    summary = load(settings)
    assert summary.rows_standardized == 2
    assert len(summary.file_errors) == 2
    assert any("corrupt.csv.gz" in e for e in summary.file_errors)
    assert any("orders.xml" in e and "no reader" in e for e in summary.file_errors)
    audit = partition(settings, "file_loads")
    assert sorted(audit["status"]) == ["loaded", "rejected_file", "rejected_file"]
    assert (audit["rows_read"] == audit["rows_standardized"] + audit["rows_rejected"]).all()


def test_duplicates_are_not_loaded_again(settings, deliver):
    data = csv_bytes(orders(2))
    deliver("a.csv", data)
    deliver("a again.csv", data)
    summary = load(settings)
    assert (summary.files, summary.rows_standardized) == (1, 2)


def test_rerun_replaces_the_partition(settings, deliver):
    deliver("a.csv", csv_bytes(orders(3)))
    first = load(settings)
    good_dir = settings.standardized_dir / "orders" / f"date={DAY.isoformat()}"
    before = {p.name: pl.read_parquet(p) for p in good_dir.glob("*.parquet")}
    (good_dir / "stale.parquet").write_bytes(b"left over by an older run")
    second = standardize_interval(settings, "orders", DAY)
    assert (first.rows_read, first.rows_standardized) == (
        second.rows_read,
        second.rows_standardized,
    )
    after = {p.name: pl.read_parquet(p) for p in good_dir.glob("*.parquet")}
    assert after.keys() == before.keys()  # the stale file is gone
    assert all(after[k].equals(before[k]) for k in before)  # same data
    assert len(list((settings.audit_dir / "file_loads" / "orders").rglob("*.parquet"))) == 2
    assert not list((settings.home / "tmp").glob("stage-*"))  # staging cleaned up


def test_empty_interval_writes_empty_partitions_and_schema_files(settings):
    summary = standardize_interval(settings, "declarations", DAY)
    assert (summary.files, summary.rows_read, summary.file_errors) == (0, 0, [])
    for feed, schema in FEEDS.items():
        frame = pl.read_parquet(settings.standardized_dir / feed / "_schema.parquet")
        assert frame.height == 0 and frame.schema == pl.Schema(schema.standardized_schema)
    rejects = pl.read_parquet(settings.rejects_dir / "orders" / "_schema.parquet")
    assert rejects.schema == pl.Schema(REJECTS_SCHEMA)


def test_empty_file_loads_zero_rows(settings, deliver):
    deliver("empty.jsonl", b"")
    deliver("header_only.csv", csv_bytes([], columns=list(ORDERS.columns)))
    summary = load(settings)
    assert summary.file_errors == [] and summary.files == 2 and summary.rows_read == 0


def test_clear_identifiers_never_reach_the_output(settings, deliver):
    rows = [
        order(line_id="1", buyer_id="ALICE-SECRET"),
        order(line_id="2", buyer_id="ALICE-SECRET", quantity="x"),
    ]
    deliver("a.csv", csv_bytes(rows))
    load(settings)
    written = [
        *settings.standardized_dir.rglob("*.parquet"),
        *settings.rejects_dir.rglob("*.parquet"),
    ]
    for path in written:
        cells = pl.read_parquet(path).select(pl.all().cast(pl.String)).rows()
        assert not any("ALICE-SECRET" in (cell or "") for row in cells for cell in row)
    good = partition(settings, "standardized")
    assert good["buyer_id"].to_list() == [pseudonym(KEY, "ALICE-SECRET")]
    assert pseudonym(KEY, "ALICE-SECRET") in partition(settings, "rejects")["raw"].item()


@pytest.mark.parametrize("feed", list(FEEDS))
def test_unknown_feed_and_each_known_feed(settings, feed):
    assert standardize_interval(settings, feed, DAY).files == 0
    with pytest.raises(ValueError, match="unknown feed"):
        standardize_interval(settings, "nope", DAY)
