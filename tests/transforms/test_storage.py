"""Storage helpers: identifiers, schema files, atomic partition swaps."""

from __future__ import annotations

import polars as pl
import pytest
from transform_fixtures import DAY

from transforms.schemas import FEEDS, FILE_LOADS_SCHEMA, MANIFEST_SCHEMA, REJECTS_SCHEMA
from transforms.storage import (
    PartitionStage,
    ensure_schema_files,
    load_id,
    standardized_feed_dir,
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
