"""The DuckDB warehouse: build it with dbt, publish a read-only snapshot for analysts.

DuckDB allows one writing process per database file, and any other process holding the file open
(even read-only) makes a build fail with "Could not set lock on file". So the build file is only
ever opened by ``build_marts`` (dbt in a subprocess, then a short connection for row counts) and by
``publish_snapshot``; callers serialise both (the Airflow DAG runs them in the one-slot
``duckdb_writer`` pool). Analysts, reports and checks read the published copy.

dbt runs in a subprocess rather than through ``dbtRunner``: after an in-process run the adapter
keeps the DuckDB file open for the life of the process, which would block the next build from
another process (an Airflow worker is long-lived) and makes later read-only connections fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from customs.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
PUBLISHED_SCHEMAS = ("marts", "audit")
_FAILED_STATUSES = {"error", "fail", "runtime error"}


class DbtBuildError(RuntimeError):
    """``dbt build`` failed; the message lists each failed node with dbt's message for it."""

    def __init__(self, message: str, failures: list[str] | None = None) -> None:
        super().__init__(message)
        self.failures = failures or []


@dataclass(frozen=True)
class BuildResult:
    seconds: float
    models: int
    tests: int
    seeds: int
    unit_tests: int
    failures: list[str]
    row_counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)


def dbt_command() -> list[str]:
    """The dbt executable of this environment (beside the interpreter), else the module."""
    executable = Path(sys.executable).with_name("dbt")
    if executable.exists():
        return [str(executable)]
    return [sys.executable, "-m", "dbt.cli.main"]


def dbt_target() -> str:
    """The profiles.yml output to build: ``build`` (DuckDB) unless CUSTOMS_DBT_TARGET names one."""
    return os.environ.get("CUSTOMS_DBT_TARGET") or "build"


def copy_schema_files_for_spark(settings: Settings) -> None:
    """Copy each zero-row ``_schema.parquet`` to ``CUSTOMS_HOME/spark/schemas/<folder>/``.

    Spark never reads a file whose name starts with ``_``, even when named explicitly; the
    ``spark`` target takes each source's columns from these copies (see the sources' meta).
    """
    schemas = settings.home / "spark" / "schemas"
    for folder in (settings.standardized_dir, settings.rejects_dir, settings.audit_dir):
        for schema_file in folder.rglob("_schema.parquet"):
            target = schemas / schema_file.parent.relative_to(settings.home) / "schema.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(schema_file, target)


def dbt_environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        **settings.dbt_env(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
        "DBT_PRINTER_WIDTH": "100",
    }


def build_marts(
    settings: Settings,
    select: str | None = None,
    *,
    full_refresh: bool = False,
    dbt_vars: dict[str, object] | None = None,
) -> BuildResult:
    """Run ``dbt build`` (seeds, models, data tests, unit tests, contracts) on the build file.

    First makes every input dbt reads exist: the ECB rates export (a no-op when current) and the
    zero-row ``_schema.parquet`` of each globbed folder, so a fresh CUSTOMS_HOME builds empty
    marts. Raises ``DbtBuildError`` when any node errors or fails; warnings (``severity: warn``
    tests) are returned in the result, not raised. ``full_refresh`` rebuilds the incremental
    facts from scratch (same rows as the incremental runs); ``dbt_vars`` override project vars,
    e.g. ``{"hs_nomenclature_path": "/path/to/harmonized-system.csv"}``.
    """
    from expectations.results import ensure_schema_file as ensure_dq_results_schema_file
    from transforms.reference_data import export_fx_rates, export_vat_rates
    from transforms.storage import ensure_schema_files

    export_fx_rates(settings)
    export_vat_rates(settings)
    ensure_schema_files(settings)
    ensure_dq_results_schema_file(settings)
    duckdb_target = dbt_target() == "build"
    if not duckdb_target:
        copy_schema_files_for_spark(settings)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    run_results = settings.dbt_target_dir / "run_results.json"
    run_results.unlink(missing_ok=True)  # a parse error must not leave the last run's results

    command = [
        *dbt_command(),
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    if select:
        command += ["--select", select]
    if full_refresh:
        command.append("--full-refresh")
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    started = time.monotonic()
    completed = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        env=dbt_environment(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started

    output = completed.stdout + completed.stderr
    if not run_results.exists():
        raise DbtBuildError(
            f"dbt build did not run (exit code {completed.returncode}):\n" + _error_summary(output)
        )
    results = json.loads(run_results.read_text())["results"]
    counts = {"model": 0, "test": 0, "seed": 0, "unit_test": 0}
    failures: list[str] = []
    warnings: list[str] = []
    for result in results:
        resource_type = result["unique_id"].split(".", 1)[0]
        if resource_type in counts:
            counts[resource_type] += 1
        line = f"{result['unique_id']} [{result['status']}]: {_one_line(result.get('message'))}"
        if result["status"] in _FAILED_STATUSES:
            failures.append(line)
        elif result["status"] == "warn":
            warnings.append(line)

    if failures or completed.returncode != 0:
        if not failures:
            failures = [f"dbt exited with code {completed.returncode}: {_error_summary(output)}"]
        raise DbtBuildError(
            f"dbt build failed ({len(failures)} node(s)); logs in {settings.dbt_log_dir}:\n"
            + "\n".join(f"  - {failure}" for failure in failures),
            failures,
        )

    return BuildResult(
        seconds=seconds,
        models=counts["model"],
        tests=counts["test"],
        seeds=counts["seed"],
        unit_tests=counts["unit_test"],
        failures=failures,
        row_counts=_row_counts(settings.warehouse_path) if duckdb_target else {},
        warnings=warnings,
    )


def _error_summary(output: str) -> str:
    """dbt's error lines without the Python tracebacks around them, with a hint for known ones."""
    lines = [line for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line and not line[:1].isspace()]
    summary = list(dict.fromkeys(errors))[:10] or lines[-20:]
    if "Could not set lock on file" in output:
        summary.append(
            "hint: another process has the build file open. Builds must run one at a time and "
            "readers must use the published snapshot, never the build file."
        )
    return "\n".join(summary)


def _one_line(message: str | None) -> str:
    return " ".join((message or "").split())


def _published_tables(con) -> list[tuple[str, str]]:
    return con.execute(
        """
        select table_schema, table_name
        from information_schema.tables
        where table_catalog = current_database()
            and table_type = 'BASE TABLE'
            and table_schema in (?, ?)
        order by table_schema, table_name
        """,
        list(PUBLISHED_SCHEMAS),
    ).fetchall()


def _row_counts(database: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        return {
            f"{schema}.{table}": con.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
            for schema, table in _published_tables(con)
        }


def publish_snapshot(settings: Settings) -> Path:
    """Copy the build file to ``published/warehouse.duckdb`` and export marts and audit to Parquet.

    The copy is written beside the target and renamed onto it (``os.replace`` is atomic on one
    file system), so a reader sees either the previous snapshot or the new one, never half a file;
    a reader that has the previous snapshot open keeps reading it. Call only while no build runs.
    """
    import duckdb

    source = settings.warehouse_path
    if not source.exists():
        raise FileNotFoundError(f"no warehouse to publish at {source}: run build_marts first")
    published = settings.published_path
    parquet_dir = settings.published_dir / "parquet"
    published.parent.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()

    # Fold any write-ahead log into the file before copying it, and export the tables, in one
    # short-lived connection to the build file.
    with duckdb.connect(str(source)) as con:
        con.execute("checkpoint")
        tables = _published_tables(con)
        for schema, table in tables:
            target = parquet_dir / schema / f"{table}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp-{pid}")
            path = str(tmp).replace("'", "''")
            con.execute(f'copy "{schema}"."{table}" to \'{path}\' (format parquet)')
            os.replace(tmp, target)
    exported = {parquet_dir / schema / f"{table}.parquet" for schema, table in tables}
    for stale in parquet_dir.glob("*/*.parquet"):
        if stale not in exported:
            stale.unlink()

    tmp = published.with_name(f"{published.name}.tmp-{pid}")
    try:
        shutil.copyfile(source, tmp)
        with open(tmp, "rb+") as copied:
            os.fsync(copied.fileno())
        os.replace(tmp, published)
    finally:
        tmp.unlink(missing_ok=True)
    return published
