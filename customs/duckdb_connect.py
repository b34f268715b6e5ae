"""A DuckDB connection to the build file whose memory is bounded.

DuckDB's default memory limit is 80 % of the RAM, and it keeps the pages it has read cached up
to that limit: a task that only reads (the risk model, the mart checks) would otherwise grow
towards the machine's size beside its own Polars frames. Beyond the limit DuckDB spills to
``temp_directory`` (default: ``<file>.tmp`` beside the database).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TASK_MEMORY_LIMIT = "1GB"
"""The limit of the tasks that read the build file beside Python work of their own (the risk
model, the mart checks' copies and reconciliation, publish's fingerprints and export); the
dbt build has its own (``CUSTOMS_DUCKDB_MEMORY_LIMIT``, 3 GB)."""


def connect_bounded(
    path: Path,
    *,
    memory_limit: str = TASK_MEMORY_LIMIT,
    read_only: bool = False,
    temp_directory: Path | None = None,
) -> Any:
    """``duckdb.connect`` with ``memory_limit`` (and ``temp_directory``).

    In a process that already opened the file (e.g. dbt or a test in-process), DuckDB refuses a
    second handle with another configuration; the process's own instance is shared instead.
    """
    import duckdb

    config: dict[str, str] = {"memory_limit": memory_limit}
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.ConnectionException as exc:
        if "different configuration" not in str(exc):
            raise
        return duckdb.connect(str(path))
