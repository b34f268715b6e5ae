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

Staged (``staging_dir``), nothing under ``parquet_dir`` changes: the files to write go to the
staging folder in the same layout, with the new fingerprint records and the list of files to
remove (``_removed.json``), and ``apply_staged`` moves them into place later. The marts DAG
stages the export while the mart checks run and applies it once they passed
(``customs.snapshot``).
"""

from __future__ import annotations

import json
import os
import shutil
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
REMOVED = "_removed.json"  # in a staged export: the published files it removes


def export_tables(
    con: Any, tables: list[tuple[str, str]], parquet_dir: Path, staging_dir: Path | None = None
) -> dict[str, int]:
    """Export ``tables`` (schema, name) of ``con``; returns files written per table. With
    ``staging_dir``, staged there for ``apply_staged`` (the module's docstring)."""
    out = staging_dir or parquet_dir
    written: dict[str, int] = {}
    forms: dict[tuple[str, str], str] = {}
    removed: list[Path] = []
    records: list[tuple[Path, dict]] = []
    for schema, table in tables:
        columns = _columns(con, schema, table)
        if DAY_COLUMN in columns:
            count, stale, fingerprints = _export_by_day(
                con, schema, table, parquet_dir, out, split_warehouse=PROCEDURE_COLUMN in columns
            )
            written[f"{schema}.{table}"] = count
            removed += stale
            records.append((Path(schema) / table / FINGERPRINTS, fingerprints))
            forms[(schema, table)] = "folder"
        else:
            _copy(
                con,
                f'select * from "{schema}"."{table}"',
                out / schema / f"{table}.parquet",
            )
            written[f"{schema}.{table}"] = 1
            forms[(schema, table)] = "file"
    removed += _stale(parquet_dir, forms)
    if staging_dir is None:
        _remove(removed)
        for record, fingerprints in records:
            _write_json(parquet_dir / record, fingerprints)
    else:
        for record, fingerprints in records:
            _write_json(staging_dir / record, fingerprints)
        _write_json(staging_dir / REMOVED, [str(p.relative_to(parquet_dir)) for p in removed])
    return written


def apply_staged(staging_dir: Path, parquet_dir: Path) -> int:
    """Put a staged export in place (on the same file system: each file is renamed), remove
    the files it lists, write its fingerprint records last, and remove the staging folder;
    returns the number of files moved. A crash half-way leaves the earlier records, so the next
    export writes again every partition that had changed."""
    removed = json.loads((staging_dir / REMOVED).read_text())
    files = sorted(staging_dir.rglob("*.parquet"))
    for path in files:
        target = parquet_dir / path.relative_to(staging_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    _remove([parquet_dir / name for name in removed])
    for record in staging_dir.rglob(FINGERPRINTS):
        target = parquet_dir / record.relative_to(staging_dir)
        target.parent.mkdir(parents=True, exist_ok=True)  # a new table with no rows yet
        os.replace(record, target)
    shutil.rmtree(staging_dir)
    return len(files)


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(value, sort_keys=True))
    os.replace(tmp, path)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _columns(con: Any, schema: str, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}


def _export_by_day(
    con: Any, schema: str, table: str, parquet_dir: Path, out: Path, split_warehouse: bool
) -> tuple[int, list[Path], dict[str, list]]:
    """Write the changed days of a table to ``out``; returns their count, the published
    files of days gone, and the table's new fingerprints."""
    folder = parquet_dir / schema / table
    target = out / schema / table
    target.mkdir(parents=True, exist_ok=True)
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
    batched = warehouse_stems if len(warehouse_stems) > 1 else []
    for stem in changed:
        if stem not in batched:
            _copy(con, f"select * from {source} where {parts[stem]}", target / f"{stem}.parquet")
    for i in range(0, len(batched), STAGED_DAYS):
        batch = batched[i : i + STAGED_DAYS]
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
                    con, f"select * from {STAGED} where {parts[stem]}", target / f"{stem}.parquet"
                )
        finally:
            con.execute(f"drop table if exists {STAGED}")
    gone = [path for path in folder.glob("*.parquet") if path.stem not in now]
    return len(changed), gone, now


def _copy(con: Any, query: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    path = str(tmp).replace("'", "''")
    con.execute(f"copy ({query}) to '{path}' (format parquet)")
    os.replace(tmp, target)


def _stale(parquet_dir: Path, forms: dict[tuple[str, str], str]) -> list[Path]:
    """Published exports of tables no longer published, or in the other form than now (one
    file, or a folder of days): ``forms`` holds each exported table's."""
    stale = []
    for path in parquet_dir.glob("*/*"):
        if path.name.startswith("."):
            continue
        name = path.name.removesuffix(".parquet") if path.is_file() else path.name
        form = "folder" if path.is_dir() else "file"
        if forms.get((path.parent.name, name)) != form:
            stale.append(path)
    return stale
