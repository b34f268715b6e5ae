"""Export the published tables to Parquet, rewriting only what changed since the last export.

Layout under ``published/parquet/<schema>/``:

- a table with a ``declared_date`` column (the facts per declaration or item, which grow by a
  day's worth of rows each day) is a folder, one file per declared day:
  ``<table>/<YYYY-MM-DD>.parquet`` (``<table>/undated.parquet`` for rows without a day). Every
  file holds whole rows, ``declared_date`` included, so ``<table>/*.parquet`` reads the table.
- in such a table with a ``procedure`` column, the rows of warehouse entries (procedure
  ``WH``) are in a file of their own per day, ``<table>/<YYYY-MM-DD>_wh.parquet``: a
  warehouse entry is revalued by every build while its resales come in (90 days), and alone
  it made every day of the window be rewritten every day.
- any other table (dimensions, monthly reports, audit) is one file, ``<table>.parquet``.

A daily run changes a few days of the large facts: a partition's file is rewritten only when
its fingerprint (row count and two order-independent aggregates of a hash of every row,
computed by DuckDB) differs from the one recorded at the previous export (``<table>/
_fingerprints.json``). The fingerprint costs one scan of the table, far less than encoding it
to Parquet again. Files are written under a hidden temporary name and renamed into place; a
partition that no longer exists (its day was quarantined or restated away) is removed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DAY_COLUMN = "declared_date"
UNDATED = "undated"
FINGERPRINTS = "_fingerprints.json"
PROCEDURE_COLUMN = "procedure"
WAREHOUSE_SUFFIX = "_wh"
IS_WAREHOUSE = f"coalesce({PROCEDURE_COLUMN} = 'WH', false)"
STAGED = "_export_staged_rows"
STAGED_DAYS = 31  # warehouse-entry days read into the temporary table at a time


def export_tables(con: Any, tables: list[tuple[str, str]], parquet_dir: Path) -> dict[str, int]:
    """Export ``tables`` (schema, name) of ``con``; returns files written per table."""
    written: dict[str, int] = {}
    for schema, table in tables:
        columns = _columns(con, schema, table)
        if DAY_COLUMN in columns:
            written[f"{schema}.{table}"] = _export_by_day(
                con, schema, table, parquet_dir, split_warehouse=PROCEDURE_COLUMN in columns
            )
        else:
            _copy(
                con,
                f'select * from "{schema}"."{table}"',
                parquet_dir / schema / f"{table}.parquet",
            )
            written[f"{schema}.{table}"] = 1
    _remove_stale(parquet_dir, tables)
    return written


def _columns(con: Any, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def _export_by_day(
    con: Any, schema: str, table: str, parquet_dir: Path, split_warehouse: bool
) -> int:
    folder = parquet_dir / schema / table
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / FINGERPRINTS
    before: dict[str, list] = json.loads(record.read_text()) if record.exists() else {}
    warehouse = IS_WAREHOUSE if split_warehouse else "false"
    parts: dict[str, str] = {}  # file stem -> the rows it holds (an SQL condition)
    now: dict[str, list] = {}
    for day, is_warehouse, rows, xor, total in con.execute(
        f"""
        select {DAY_COLUMN}, {warehouse}, count(*), bit_xor(hash(t)), sum(hash(t)::hugeint)
        from "{schema}"."{table}" as t
        group by all
        """
    ).fetchall():
        stem = (day.isoformat() if day else UNDATED) + (WAREHOUSE_SUFFIX if is_warehouse else "")
        on_day = f"{DAY_COLUMN} = date '{day.isoformat()}'" if day else f"{DAY_COLUMN} is null"
        parts[stem] = f"{on_day} and {'' if is_warehouse else 'not '}{warehouse}"
        now[stem] = [rows, str(xor), str(total)]
    changed = [
        stem
        for stem, fingerprint in sorted(now.items())
        if before.get(stem) != fingerprint or not (folder / f"{stem}.parquet").exists()
    ]
    # A day's warehouse entries are a few rows spread over the day's row groups: read alone,
    # each file would decode every column of those row groups (about 50 ms for a wide fact,
    # and a daily run rewrites the 90 days of the sales window). They are read in one scan per
    # batch of days into a temporary table, and each file is written from there; the batches
    # bound what the table holds when every day changed (the first export, a full refresh).
    source = f'"{schema}"."{table}"'
    warehouse_stems = [stem for stem in changed if stem.endswith(WAREHOUSE_SUFFIX)]
    staged = warehouse_stems if len(warehouse_stems) > 1 else []
    for stem in changed:
        if stem not in staged:
            _copy(con, f"select * from {source} where {parts[stem]}", folder / f"{stem}.parquet")
    for i in range(0, len(staged), STAGED_DAYS):
        batch = staged[i : i + STAGED_DAYS]
        days = {stem.removesuffix(WAREHOUSE_SUFFIX) for stem in batch}
        dated = ", ".join(f"date '{day}'" for day in sorted(days - {UNDATED}))
        on_days = " or ".join(
            ([f"{DAY_COLUMN} in ({dated})"] if dated else [])
            + ([f"{DAY_COLUMN} is null"] if UNDATED in days else [])
        )
        con.execute(
            f"create or replace temp table {STAGED} as select * from {source} "
            f"where {warehouse} and ({on_days}) order by {DAY_COLUMN}"
        )
        try:
            for stem in batch:
                _copy(
                    con, f"select * from {STAGED} where {parts[stem]}", folder / f"{stem}.parquet"
                )
        finally:
            con.execute(f"drop table if exists {STAGED}")
    for stale in folder.glob("*.parquet"):
        if stale.stem not in now:
            stale.unlink()
    tmp = record.with_name(f".{record.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(now, sort_keys=True))
    os.replace(tmp, record)
    return len(changed)


def _copy(con: Any, query: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    path = str(tmp).replace("'", "''")
    con.execute(f"copy ({query}) to '{path}' (format parquet)")
    os.replace(tmp, target)


def _remove_stale(parquet_dir: Path, tables: list[tuple[str, str]]) -> None:
    """Drop exports of tables that are no longer published (file or day-partitioned folder)."""
    import shutil

    keep = {(schema, table) for schema, table in tables}
    for path in parquet_dir.glob("*/*"):
        name = path.name.removesuffix(".parquet") if path.is_file() else path.name
        if path.name.startswith("."):
            continue
        if (path.parent.name, name) not in keep:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        elif path.is_file() and (parquet_dir / path.parent.name / name).is_dir():
            path.unlink()  # a table exported as one file before it was split by day
        elif path.is_dir() and (parquet_dir / path.parent.name / f"{name}.parquet").exists():
            (parquet_dir / path.parent.name / f"{name}.parquet").unlink()
