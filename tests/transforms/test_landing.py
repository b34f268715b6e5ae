"""Landing: byte-for-byte copies named by hash, manifest rows, duplicates, idempotency."""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl
import pytest
from transform_fixtures import DAY, csv_bytes, gz, orders

from transforms.landing import land_interval
from transforms.schemas import MANIFEST_SCHEMA

NEXT_DAY = date(2026, 9, 2)


def manifest(settings, feed="orders"):
    files = sorted((settings.manifest_dir / feed).glob("date=*/[!_]*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files]) if files else None


def test_files_are_copied_byte_for_byte_with_a_manifest_row(settings, deliver):
    data = csv_bytes(orders(2))
    deliver("a.csv", data)
    deliver("b.csv.gz", gz(data))
    landed = land_interval(settings, "orders", DAY, settings.source_dir)
    assert [f.source_file for f in landed] == [
        "orders/2026-09-01/a.csv",
        "orders/2026-09-01/b.csv.gz",
    ]
    a, b = landed
    sha = hashlib.sha256(data).hexdigest()
    assert a.sha256 == sha and a.size == len(data) and not a.is_duplicate
    assert a.landed_path == settings.landing_dir / "orders" / "2026-09-01" / f"{sha}.csv"
    assert a.landed_path.read_bytes() == data
    assert b.landed_path.name.endswith(".csv.gz") and b.landed_path.read_bytes() == gz(data)
    assert a.load_id == f"orders:2026-09-01:{sha[:16]}"

    m = manifest(settings)
    assert m.schema == pl.Schema(MANIFEST_SCHEMA)
    row = m.filter(pl.col("sha256") == sha).row(0, named=True)
    assert row["original_name"] == "a.csv" and row["data_interval"] == DAY
    assert row["size_bytes"] == len(data) and row["received_at"].tzinfo is not None
    assert (settings.manifest_dir / "orders" / "date=2026-09-01" / f"{sha[:16]}.parquet").exists()
    # nothing half-written is left behind
    assert not list(settings.landing_dir.rglob("*.tmp"))


def test_relanding_is_idempotent(settings, deliver):
    deliver("a.csv", csv_bytes(orders(2)))
    first = land_interval(settings, "orders", DAY, settings.source_dir)
    before = manifest(settings)
    second = land_interval(settings, "orders", DAY, settings.source_dir)
    assert first == second
    assert manifest(settings).equals(before)  # same rows, same received_at


def test_same_content_on_another_day_is_a_duplicate(settings, deliver):
    data = csv_bytes(orders(2))
    deliver("a.csv", data)
    deliver("resent.csv", data, day=NEXT_DAY)
    (original,) = land_interval(settings, "orders", DAY, settings.source_dir)
    (dup,) = land_interval(settings, "orders", NEXT_DAY, settings.source_dir)
    assert dup.is_duplicate and dup.duplicate_of == original.load_id
    assert dup.landed_path == original.landed_path  # not copied again
    assert not (settings.landing_dir / "orders" / "2026-09-02").exists()
    # idempotent for the duplicate as well, and the original stays the original
    assert land_interval(settings, "orders", NEXT_DAY, settings.source_dir) == [dup]
    assert land_interval(settings, "orders", DAY, settings.source_dir) == [original]


def test_same_content_under_two_names_the_same_day(settings, deliver):
    data = csv_bytes(orders(1))
    deliver("a.csv", data)
    deliver("copy of a.csv", data)
    first, second = land_interval(settings, "orders", DAY, settings.source_dir)
    assert not first.is_duplicate
    assert second.is_duplicate and second.duplicate_of == first.load_id
    assert manifest(settings).height == 2


def test_missing_day_folder_is_empty(settings):
    assert land_interval(settings, "orders", DAY, settings.source_dir) == []


def test_hidden_and_unknown_files_are_skipped(settings, deliver):
    deliver(".partial.csv", b"x")
    deliver("README.txt", b"x")
    deliver("a.csv", csv_bytes(orders(1)))
    deliver("b.xml", b"<orders/>")  # in the DESIGN layout: landed even without a reader yet
    landed = land_interval(settings, "orders", DAY, settings.source_dir)
    assert [f.source_file.rsplit("/", 1)[1] for f in landed] == ["a.csv", "b.xml"]


def test_unknown_feed_is_an_error(settings):
    with pytest.raises(ValueError, match="unknown feed"):
        land_interval(settings, "parcels", DAY, settings.source_dir)


def test_schema_files_exist_after_landing(settings, deliver):
    deliver("a.csv", csv_bytes(orders(1)))
    land_interval(settings, "orders", DAY, settings.source_dir)
    schema_file = settings.manifest_dir / "orders" / "_schema.parquet"
    assert pl.read_parquet(schema_file).schema == pl.Schema(MANIFEST_SCHEMA)


def test_replaced_or_removed_files_follow_the_source_folder(settings, deliver):
    first = deliver("a.csv", csv_bytes(orders(1)))
    deliver("b.csv", csv_bytes(orders(2)))
    (old_a, _) = land_interval(settings, "orders", DAY, settings.source_dir)
    first.write_bytes(csv_bytes(orders(3)))  # corrected file, same name
    (settings.source_dir / "orders" / DAY.isoformat() / "b.csv").unlink()
    (new_a,) = land_interval(settings, "orders", DAY, settings.source_dir)
    assert new_a.source_file == old_a.source_file and new_a.sha256 != old_a.sha256
    m = manifest(settings)
    assert m["sha256"].to_list() == [new_a.sha256]  # b.csv and the old a.csv are gone
    assert old_a.landed_path.exists()  # landed bytes are never deleted


def test_a_duplicate_becomes_the_original_when_the_original_is_gone(settings, deliver):
    data = csv_bytes(orders(1))
    first = deliver("a.csv", data)
    deliver("again.csv", data, day=NEXT_DAY)
    land_interval(settings, "orders", DAY, settings.source_dir)
    (dup,) = land_interval(settings, "orders", NEXT_DAY, settings.source_dir)
    assert dup.is_duplicate
    first.unlink()
    assert land_interval(settings, "orders", DAY, settings.source_dir) == []
    (now,) = land_interval(settings, "orders", NEXT_DAY, settings.source_dir)
    assert not now.is_duplicate and now.landed_path.read_bytes() == data
