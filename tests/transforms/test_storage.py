"""Storage helpers: identifiers, schema files, atomic partition swaps."""

from __future__ import annotations

import dataclasses
import uuid

import fsspec
import polars as pl
import pytest
from transform_fixtures import DAY

from transforms.schemas import FEEDS, FILE_LOADS_SCHEMA, MANIFEST_SCHEMA, REJECTS_SCHEMA
from transforms.storage import (
    PartitionStage,
    ensure_schema_files,
    load_id,
    publish_partition,
    standardized_feed_dir,
    unpublish_partition,
)


def test_load_id_format():
    assert load_id("orders", DAY, "ab" * 32) == "orders:2026-09-01:abababababababab"


def test_ensure_schema_files(settings):
    ensure_schema_files(settings)
    for feed, schema in FEEDS.items():
        expected = {
            settings.standardized_dir / feed: schema.standardized_schema,
            settings.rejects_dir / feed: REJECTS_SCHEMA,
            settings.audit_dir / "file_loads" / feed: FILE_LOADS_SCHEMA,
            settings.manifest_dir / feed: MANIFEST_SCHEMA,
        }
        for folder, columns in expected.items():
            frame = pl.read_parquet(folder / "_schema.parquet")
            assert frame.height == 0 and frame.schema == pl.Schema(columns)
    stamp = (settings.standardized_dir / "orders" / "_schema.parquet").stat().st_mtime_ns
    ensure_schema_files(settings)  # unchanged files are left alone
    assert (settings.standardized_dir / "orders" / "_schema.parquet").stat().st_mtime_ns == stamp


def test_ensure_schema_files_sees_a_changed_file_after_checking_it(settings):
    ensure_schema_files(settings)
    ensure_schema_files(settings)  # now remembered as checked
    path = settings.standardized_dir / "orders" / "_schema.parquet"
    pl.DataFrame(schema={"other": pl.Int64()}).write_parquet(path)  # e.g. an older contract
    ensure_schema_files(settings)
    assert pl.read_parquet(path).schema == pl.Schema(FEEDS["orders"].standardized_schema)


def test_partition_stage_swaps_whole_partitions(settings):
    live = standardized_feed_dir(settings, "orders") / "date=2026-09-01"
    live.mkdir(parents=True)
    (live / "old.parquet").write_text("old")
    with PartitionStage(settings) as stage:
        staged = stage.folder(standardized_feed_dir(settings, "orders"), DAY)
        (staged / "new.parquet").write_text("new")
        assert (live / "old.parquet").exists()  # nothing visible before the commit
        stage.commit()
    assert [p.name for p in live.iterdir()] == ["new.parquet"]
    assert not list((settings.home / "tmp").glob("stage-*"))


def test_partition_stage_without_commit_changes_nothing(settings):
    live = standardized_feed_dir(settings, "orders") / "date=2026-09-01"
    live.mkdir(parents=True)
    (live / "old.parquet").write_text("old")
    with pytest.raises(RuntimeError), PartitionStage(settings) as stage:
        (stage.folder(standardized_feed_dir(settings, "orders"), DAY) / "new.parquet").write_text(
            "x"
        )
        raise RuntimeError("boom")
    assert [p.name for p in live.iterdir()] == ["old.parquet"]
    assert not list((settings.home / "tmp").glob("stage-*"))


def _live_partition(settings, names: dict[str, int]) -> None:
    ensure_schema_files(settings)
    live = standardized_feed_dir(settings, "orders") / "date=2026-09-01"
    live.mkdir(parents=True, exist_ok=True)
    for old in live.glob("*.parquet"):
        old.unlink()
    for name, rows in names.items():
        pl.DataFrame({"x": list(range(rows))}).write_parquet(live / name)


@pytest.mark.parametrize("scheme", ["memory", "file"])
def test_publish_partition_to_an_object_store(settings, tmp_path, scheme):
    uri = (
        f"memory://lake-{uuid.uuid4().hex}" if scheme == "memory" else (tmp_path / "lake").as_uri()
    )
    settings = dataclasses.replace(settings, standardized_uri=uri)
    fs, root = fsspec.core.url_to_fs(uri)

    _live_partition(settings, {"aaaa.parquet": 2, "bbbb.parquet": 3})
    target = publish_partition(settings, "orders", DAY)
    assert target == f"{uri}/orders/date=2026-09-01"
    files = sorted(fs.glob(f"{root}/orders/date=*/*.parquet"))
    assert [f.rsplit("/", 1)[-1] for f in files] == ["aaaa.parquet", "bbbb.parquet"]
    assert fs.exists(f"{root}/orders/_schema.parquet")
    with fs.open(files[1], "rb") as handle:
        assert pl.read_parquet(handle).height == 3

    _live_partition(settings, {"bbbb.parquet": 3, "cccc.parquet": 1})  # the day was rerun
    publish_partition(settings, "orders", DAY)
    names = sorted(
        f.rsplit("/", 1)[-1] for f in fs.ls(f"{root}/orders/date=2026-09-01", detail=False)
    )
    assert names == ["bbbb.parquet", "cccc.parquet"]  # stale file gone, no temporary left

    assert unpublish_partition(settings, "orders", DAY)
    assert not fs.exists(f"{root}/orders/date=2026-09-01")
    assert not unpublish_partition(settings, "orders", DAY)


def test_no_uri_publishes_nothing(settings):
    _live_partition(settings, {"aaaa.parquet": 1})
    assert publish_partition(settings, "orders", DAY) is None
    assert not unpublish_partition(settings, "orders", DAY)
