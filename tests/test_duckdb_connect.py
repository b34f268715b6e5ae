"""connect_bounded: DuckDB's memory limit is set, and a file this process already holds with
another configuration is shared instead of refused."""

from __future__ import annotations

from pathlib import Path

import duckdb

from customs.duckdb_connect import connect_bounded


def test_the_memory_limit_and_spill_folder_are_applied(tmp_path: Path) -> None:
    path = tmp_path / "build.duckdb"
    duckdb.connect(str(path)).close()
    with connect_bounded(
        path, memory_limit="512MB", read_only=True, temp_directory=tmp_path / "spill"
    ) as con:
        limit = con.sql("select current_setting('memory_limit')").fetchall()[0][0]
        spill = con.sql("select current_setting('temp_directory')").fetchall()[0][0]
    assert (
        limit
        == duckdb.connect(config={"memory_limit": "512MB"})
        .sql("select current_setting('memory_limit')")
        .fetchall()[0][0]
    )
    assert limit != duckdb.connect().sql("select current_setting('memory_limit')").fetchall()[0][0]
    assert Path(spill) == tmp_path / "spill"


def test_a_file_open_in_this_process_is_shared(tmp_path: Path) -> None:
    path = tmp_path / "build.duckdb"
    with duckdb.connect(str(path)) as writer:
        writer.execute("create table t as select 1 as x")
        with connect_bounded(path, memory_limit="256MB") as con:
            assert con.sql("select x from t").fetchall() == [(1,)]
