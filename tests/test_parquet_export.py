"""Parquet export of the published tables: facts by declared day, only changed days rewritten."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from customs.parquet_export import apply_staged, export_tables

TABLES = [("marts", "dim_thing"), ("marts", "fct_items")]


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_items as select i as item_id, "
        "date '2026-09-01' + (i % 3)::int as declared_date, i * 1.5 as value_eur "
        "from range(30) t(i)"
    )
    con.execute("create table marts.dim_thing as select 'a' as thing")
    yield con
    con.close()


class _Recorder:
    """A connection that records the statements it runs."""

    def __init__(self, con) -> None:
        self.con, self.statements = con, []

    def execute(self, sql: str, *args):
        self.statements.append(sql.strip())
        return self.con.execute(sql, *args)


def _table(folder) -> pl.DataFrame:
    return pl.read_parquet(sorted(folder.glob("*.parquet"))).sort("item_id")


def test_facts_are_split_by_day_and_read_back_whole(con, tmp_path) -> None:
    written = export_tables(con, TABLES, tmp_path)
    assert written == {"marts.fct_items": 3, "marts.dim_thing": 1}
    folder = tmp_path / "marts" / "fct_items"
    assert sorted(p.name for p in folder.glob("*.parquet")) == [
        "2026-09-01.parquet",
        "2026-09-02.parquet",
        "2026-09-03.parquet",
    ]
    expected = con.sql("select * from marts.fct_items order by item_id").pl()
    assert _table(folder).equals(expected)
    assert pl.read_parquet(tmp_path / "marts" / "dim_thing.parquet")["thing"].to_list() == ["a"]


def test_only_changed_days_are_rewritten_and_vanished_days_removed(con, tmp_path) -> None:
    export_tables(con, TABLES, tmp_path)
    folder = tmp_path / "marts" / "fct_items"
    untouched = (folder / "2026-09-01.parquet").stat().st_mtime_ns
    assert export_tables(con, TABLES, tmp_path)["marts.fct_items"] == 0

    con.execute("update marts.fct_items set value_eur = 0 where item_id = 4")  # a 2 Sept row
    con.execute("delete from marts.fct_items where declared_date = date '2026-09-03'")
    con.execute("insert into marts.fct_items values (99, null, 1.0)")
    assert export_tables(con, TABLES, tmp_path)["marts.fct_items"] == 2  # 2 Sept, undated
    assert (folder / "2026-09-01.parquet").stat().st_mtime_ns == untouched
    assert not (folder / "2026-09-03.parquet").exists()
    assert (folder / "undated.parquet").exists()
    expected = con.sql("select * from marts.fct_items order by item_id").pl()
    assert _table(folder).equals(expected)


def test_a_file_deleted_by_hand_is_written_again(con, tmp_path) -> None:
    export_tables(con, TABLES, tmp_path)
    (tmp_path / "marts" / "fct_items" / "2026-09-02.parquet").unlink()
    assert export_tables(con, TABLES, tmp_path)["marts.fct_items"] == 1
    assert (tmp_path / "marts" / "fct_items" / "2026-09-02.parquet").exists()


def test_tables_no_longer_published_and_old_single_files_are_removed(con, tmp_path) -> None:
    (tmp_path / "marts").mkdir(parents=True)
    (tmp_path / "marts" / "fct_items.parquet").write_bytes(b"old single-file export")
    export_tables(con, TABLES, tmp_path)
    assert not (tmp_path / "marts" / "fct_items.parquet").exists()
    export_tables(con, [("marts", "fct_items")], tmp_path)
    assert not (tmp_path / "marts" / "dim_thing.parquet").exists()
    assert not list(tmp_path.rglob(".*tmp-*"))


def test_warehouse_entries_have_their_own_file_per_day(con, tmp_path) -> None:
    con.execute(
        "create table marts.fct_declared as select i as item_id, "
        "date '2026-09-01' + (i % 2)::int as declared_date, "
        "case when i % 5 = 0 then 'WH' when i % 7 = 0 then null else 'H7' end as procedure, "
        "i * 1.0 as value_eur from range(20) t(i)"
    )
    tables = [("marts", "fct_declared")]
    assert export_tables(con, tables, tmp_path) == {"marts.fct_declared": 4}
    folder = tmp_path / "marts" / "fct_declared"
    assert sorted(p.name for p in folder.glob("*.parquet")) == [
        "2026-09-01.parquet",
        "2026-09-01_wh.parquet",
        "2026-09-02.parquet",
        "2026-09-02_wh.parquet",
    ]
    assert set(pl.read_parquet(folder / "2026-09-02_wh.parquet")["procedure"]) == {"WH"}
    assert "WH" not in set(pl.read_parquet(folder / "2026-09-02.parquet")["procedure"])
    # A warehouse entry revalued (as every build does in its sales window): only its file.
    others = (folder / "2026-09-01.parquet").stat().st_mtime_ns
    con.execute("update marts.fct_declared set value_eur = -1 where item_id = 10")  # WH, 1 Sept
    assert export_tables(con, tables, tmp_path)["marts.fct_declared"] == 1
    assert (folder / "2026-09-01.parquet").stat().st_mtime_ns == others
    expected = con.sql("select * from marts.fct_declared order by item_id").pl()
    assert _table(folder).equals(expected)


def test_warehouse_entries_of_several_days_are_written_from_one_read(
    con, tmp_path, monkeypatch
) -> None:
    con.execute(
        "create table marts.fct_declared as select i as item_id, "
        "case when i < 36 then date '2026-09-01' + (i % 3)::int end as declared_date, "
        "case when i % 4 = 0 then 'WH' else 'H7' end as procedure, "
        "i * 1.0 as value_eur from range(40) t(i)"
    )
    tables = [("marts", "fct_declared")]
    assert export_tables(con, tables, tmp_path) == {"marts.fct_declared": 8}
    folder = tmp_path / "marts" / "fct_declared"
    parcels = {
        p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet") if "_wh" not in p.name
    }
    # Every warehouse entry revalued, on every day and undated: only their files, from one read.
    con.execute("update marts.fct_declared set value_eur = value_eur + 1 where procedure = 'WH'")
    monkeypatch.setattr("customs.parquet_export.STAGED_DAYS", 2)  # two reads of two days
    recorder = _Recorder(con)
    assert export_tables(recorder, tables, tmp_path)["marts.fct_declared"] == 4
    copies = [sql for sql in recorder.statements if sql.startswith("copy")]
    assert len(copies) == 4 and not [sql for sql in copies if 'from "marts"' in sql]
    assert len([sql for sql in recorder.statements if sql.startswith("create")]) == 2
    assert {
        p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet") if "_wh" not in p.name
    } == parcels
    for stem in ("2026-09-01_wh", "2026-09-02_wh", "2026-09-03_wh", "undated_wh"):
        day = stem.removesuffix("_wh")
        rows = pl.read_parquet(folder / f"{stem}.parquet")
        assert set(rows["procedure"]) == {"WH"}
        on_day = "declared_date is null" if day == "undated" else f"declared_date = '{day}'"
        expected = con.sql(
            f"select * from marts.fct_declared where procedure = 'WH' and {on_day} order by item_id"
        ).pl()
        assert rows.sort("item_id").equals(expected)
    assert not con.sql("select * from duckdb_tables() where temporary").fetchall()
    expected = con.sql("select * from marts.fct_declared order by item_id").pl()
    assert _table(folder).equals(expected)


def _files(root) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_a_staged_export_changes_nothing_until_applied_then_equals_a_direct_one(
    con, tmp_path
) -> None:
    """Staged, the export leaves the published folder as it was (readers see the last
    snapshot while the checks run); applied, the folder holds what a direct export writes:
    the changed day rewritten, the vanished day, the dropped table and the old single file of
    a table now split by day removed, the fingerprint records replaced."""
    published, direct, staging = tmp_path / "published", tmp_path / "direct", tmp_path / "next"
    extra = [("marts", "dim_gone")]
    con.execute("create table marts.dim_gone as select 1 as x")
    for folder in (published, direct):
        export_tables(con, TABLES + extra, folder)
        (folder / "marts" / "fct_items.parquet").write_bytes(b"old single-file export")
    before = _files(published)

    con.execute("update marts.fct_items set value_eur = 0 where item_id = 4")  # a 2 Sept row
    con.execute("delete from marts.fct_items where declared_date = date '2026-09-03'")
    staged = export_tables(con, TABLES, published, staging_dir=staging)
    assert staged == {"marts.fct_items": 1, "marts.dim_thing": 1}
    assert _files(published) == before

    assert export_tables(con, TABLES, direct) == staged
    assert apply_staged(staging, published) == 2
    assert not staging.exists()
    assert _files(published) == _files(direct)
    assert not (published / "marts" / "fct_items" / "2026-09-03.parquet").exists()
    assert not (published / "marts" / "dim_gone.parquet").exists()
    assert not (published / "marts" / "fct_items.parquet").exists()
    # the records are the new ones: nothing changed since, nothing is written again
    assert export_tables(con, TABLES, published)["marts.fct_items"] == 0

    # a new day-partitioned table with no rows yet: its folder and record, no file
    con.execute("create table marts.fct_empty as select * from marts.fct_items limit 0")
    export_tables(con, [*TABLES, ("marts", "fct_empty")], published, staging_dir=staging)
    apply_staged(staging, published)
    assert (published / "marts" / "fct_empty" / "_fingerprints.json").exists()
    assert not list((published / "marts" / "fct_empty").glob("*.parquet"))
