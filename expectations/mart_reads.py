"""Read the marts for their suites: only the columns a suite names, in chunks of bounded size.

The build file is open only while DuckDB copies what the suites need to Parquet under
``CUSTOMS_HOME/tmp`` (any open handle blocks the next ``dbt build``); GX then reads one chunk
at a time from there, so memory is bounded by the chunk size, not by the mart.

- **Columns**: every column an expectation of the suite names (``column``, ``column_list``,
  ``column_A``/``column_B``, ``column_set``, a row condition), after the column templates are
  expanded against the table's columns. A column a suite expects but the table lacks is simply
  not there, so the check still fails.
- **Chunks**: ``ceil(rows / MART_CHUNK_ROWS)`` chunks split by a hash of the suite's key (the
  first column of its uniqueness check), so all rows of one key are in the same chunk and the
  uniqueness check of each chunk is one over the whole selection.
- **since**: a mart with a ``data_interval`` column is read from that day on; marts without one
  (the monthly reports, the warehouse lots, whose rows are not per day) are read whole.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from customs.duckdb_connect import connect_bounded
from customs.settings import Settings
from expectations.suite_files import expand_column_templates

if TYPE_CHECKING:
    import pandas as pd

MART_CHUNK_ROWS = 500_000
"""Rows of a mart validated at once (about 10 columns: some hundred MB in GX at the peak)."""
INTERVAL_COLUMN = "data_interval"
CHUNK = "_dq_chunk"  # the partition column of the chunk files (not a mart column)
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_LIST_KWARGS = ("column_list", "column_set")
STAGED_MANIFEST = "staged.json"


class MartReadError(RuntimeError):
    """The build file or a mart is missing."""


@dataclass(frozen=True)
class MartRead:
    """What was read of one mart for its suite: the chunk files, and how they were selected."""

    table: str
    suite: dict[str, Any]
    rows: int
    chunks: list[Path]
    since: date | None
    exact_columns: frozenset[str]

    @property
    def selection(self) -> str:
        parts = [f"rows with {INTERVAL_COLUMN} >= {self.since.isoformat()}"] if self.since else []
        if len(self.chunks) > 1:
            parts.append(f"{self.rows:,} rows in {len(self.chunks)} chunks")
        return f" ({'; '.join(parts)})" if parts else ""


def suite_columns(suite: dict[str, Any]) -> set[str]:
    """Every column an expectation of ``suite`` names (kwargs and row conditions)."""
    names: set[str] = set()
    for exp in suite["expectations"]:
        kwargs = exp["kwargs"]
        names.update(kwargs[k] for k in _COLUMN_KWARGS if isinstance(kwargs.get(k), str))
        for key in _LIST_KWARGS:
            names.update(kwargs.get(key) or [])
        condition = kwargs.get("row_condition")
        if isinstance(condition, dict):
            names.update(_condition_columns(condition))
    return names


def _condition_columns(condition: dict[str, Any]) -> Iterator[str]:
    """Column names in a GX 1.x serialised row condition (``{"column": {"name": ...}}``)."""
    column = condition.get("column")
    if isinstance(column, dict) and isinstance(column.get("name"), str):
        yield column["name"]
    for part in condition.get("conditions") or []:
        if isinstance(part, dict):
            yield from _condition_columns(part)


def key_column(suite: dict[str, Any], columns: Sequence[str]) -> str:
    """The column the chunks are split by: the first key column of the suite's uniqueness check."""
    for exp in suite["expectations"]:
        if exp["type"] == "expect_column_values_to_be_unique":
            key = exp["kwargs"]["column"]
        elif exp["type"] == "expect_compound_columns_to_be_unique":
            key = exp["kwargs"]["column_list"][0]
        else:
            continue
        if key in columns:
            return key
    return columns[0]


def _exact_columns(suite: dict[str, Any]) -> frozenset[str]:
    """Columns compared with each other (kept as exact decimals, see checkpoints._to_pandas)."""
    return frozenset(
        exp["kwargs"][k]
        for exp in suite["expectations"]
        if exp["type"].startswith("expect_column_pair_")
        for k in ("column_A", "column_B")
    )


@contextlib.contextmanager
def read_marts(
    settings: Settings, suites: Sequence[dict[str, Any]], since: date | None, reconcile: Any
) -> Iterator[tuple[list[MartRead], Any]]:
    """``stage_marts`` into a new folder and yield what it read; the folder is removed
    afterwards."""
    folder = new_staging_folder(settings)
    try:
        yield stage_marts(settings, suites, since, reconcile, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_staging_folder(settings: Settings) -> Path:
    """A folder of its own under ``CUSTOMS_HOME/tmp`` for one check's chunk files."""
    return settings.home / "tmp" / f"mart_checks-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def is_staging_folder(settings: Settings, folder: Path) -> bool:
    """Whether ``folder`` is where ``new_staging_folder`` puts a check's files (so that a
    path passed by mistake is never removed as one)."""
    return folder.resolve().parent == new_staging_folder(settings).parent.resolve()


def stage_marts(
    settings: Settings,
    suites: Sequence[dict[str, Any]],
    since: date | None,
    reconcile: Any,
    folder: Path,
) -> tuple[list[MartRead], Any]:
    """Copy what each suite needs to chunk files in ``folder``, run ``reconcile(con, since)``
    in the same connection, and close the build file: what follows reads only the folder."""
    path = settings.warehouse_path
    if not path.exists():
        raise MartReadError(
            f"cannot check marts: the warehouse {path} does not exist (run dbt build first)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    # read-only, bounded; spills to the chunk folder beyond the limit
    con = connect_bounded(path, read_only=True, temp_directory=folder / "spill")
    try:
        reads = [_copy(con, suite, since, folder, path) for suite in suites]
        reconciliation = reconcile(con, since)
    finally:
        con.close()
    return reads, reconciliation


def save_staged(
    folder: Path, reads: Sequence[MartRead], reconciliation: pd.DataFrame, since: date | None
) -> None:
    """Record in ``folder`` what ``stage_marts`` read there (from ``since``), for
    ``load_staged`` in another process: the marts DAG validates in a task of its own, which
    does not hold the build file."""
    manifest = {
        "since": since.isoformat() if since else None,
        "reads": [
            {
                "table": read.table,
                "suite": read.suite,
                "rows": read.rows,
                "chunks": [str(chunk.relative_to(folder)) for chunk in read.chunks],
                "since": read.since.isoformat() if read.since else None,
                "exact_columns": sorted(read.exact_columns),
            }
            for read in reads
        ],
        # one row of counts (the reconciliation): JSON keeps them as integers
        "reconciliation": reconciliation.to_dict(orient="records"),
    }
    (folder / STAGED_MANIFEST).write_text(json.dumps(manifest))


def load_staged(folder: Path) -> tuple[list[MartRead], pd.DataFrame, date | None]:
    """What ``save_staged`` recorded in ``folder``: the reads, the reconciliation, ``since``."""
    import pandas as pd

    manifest_path = folder / STAGED_MANIFEST
    if not manifest_path.exists():
        raise MartReadError(
            f"cannot check marts: nothing staged in {folder} (run the staging step first)"
        )
    manifest = json.loads(manifest_path.read_text())
    reads = [
        MartRead(
            table=read["table"],
            suite=read["suite"],
            rows=read["rows"],
            chunks=[folder / chunk for chunk in read["chunks"]],
            since=date.fromisoformat(read["since"]) if read["since"] else None,
            exact_columns=frozenset(read["exact_columns"]),
        )
        for read in manifest["reads"]
    ]
    since = date.fromisoformat(manifest["since"]) if manifest["since"] else None
    return reads, pd.DataFrame.from_records(manifest["reconciliation"]), since


def table_columns(con: Any, table: str) -> list[str]:
    schema, name = table.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [r[0] for r in rows]


def _copy(
    con: Any, suite: dict[str, Any], since: date | None, folder: Path, path: Path
) -> MartRead:
    table = suite["meta"]["table"]
    columns = table_columns(con, table)
    if not columns:
        raise MartReadError(
            f"cannot check mart {table}: no such table in {path} (has dbt build created it?)"
        )
    expanded = expand_column_templates(suite, columns)
    wanted = suite_columns(expanded)
    selected = [c for c in columns if c in wanted] or columns[:1]
    schema, name = table.split(".", 1)
    filtered = since is not None and INTERVAL_COLUMN in columns
    where = f" where {_quote(INTERVAL_COLUMN)} >= ?" if filtered else ""
    parameters = [since] if filtered else []
    source = f"{_quote(schema)}.{_quote(name)}"
    rows = con.execute(f"select count(*) from {source}{where}", parameters).fetchone()[0]
    count = max(1, math.ceil(rows / MART_CHUNK_ROWS))
    select = ", ".join(_quote(c) for c in selected)
    target = folder / name
    if count == 1:
        target.mkdir()
        con.execute(
            f"copy (select {select} from {source}{where}) to '{target / 'chunk.parquet'}' "
            "(format parquet)",
            parameters,
        )
        chunks = [target]
    else:
        key = _quote(key_column(expanded, selected))
        con.execute(
            f"copy (select {select}, hash({key}) % {count} as {CHUNK} from {source}{where}) "
            f"to '{target}' (format parquet, partition_by ({CHUNK}))",
            parameters,
        )
        chunks = sorted(target.glob(f"{CHUNK}=*"), key=lambda p: int(p.name.split("=", 1)[1]))
    return MartRead(
        table=table,
        suite=expanded,
        rows=int(rows),
        chunks=chunks,
        since=since if filtered else None,
        exact_columns=_exact_columns(expanded),
    )


def read_chunk(folder: Path, to_pandas: Any, exact: frozenset[str]) -> pd.DataFrame:
    import polars as pl

    frame = pl.read_parquet(folder / "*.parquet", hive_partitioning=False)
    return to_pandas(frame, exact=exact)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
