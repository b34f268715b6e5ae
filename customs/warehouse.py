"""The DuckDB warehouse: build it with dbt, publish a read-only snapshot for analysts.

DuckDB allows one writing process per database file, and any other process holding the file open
(even read-only) makes a build fail with "Could not set lock on file". So the build file is
opened only by the marts DAG's tasks, one at a time in the one-slot ``duckdb_writer`` pool:
``build_marts`` (dbt in a subprocess, then a short connection for row counts), the risk model,
the mart checks' copy of what they read, and the snapshot's preparation
(``customs.snapshot``). Analysts and reports read the published copy.

dbt runs in a subprocess rather than through ``dbtRunner``: after an in-process run the adapter
keeps the DuckDB file open for the life of the process, which would block the next build from
another process (an Airflow worker is long-lived) and makes later read-only connections fail.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from customs.settings import Settings

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
PUBLISHED_SCHEMAS = ("marts", "audit")
BUILD_RECORD_NAME = "last_build.json"
# Feeds whose changed day D means: every mart row with data_interval >= D is recomputed
# (orders precede the declarations they match; inspections only weigh on later declarations).
DAY_FEEDS = ("declarations", "orders", "inspections")
# Feeds that only move the deductive value of warehouse lots: their marts are full tables, and
# warehouse entries inside the sales window are revalued by every build; a change older than
# the window asks for a full refresh.
LOT_FEEDS = ("warehouse_receipts", "warehouse_dispatches")
_FAILED_STATUSES = {"error", "fail", "runtime error"}
# The shape of the stored incremental models. Raise it when a change adds, drops or redefines a
# column of an incremental model (or what its stored rows mean): the next build of a warehouse
# built before it is then a full refresh, instead of failing on the changed schema
# (on_schema_change='fail') or mixing rows of both definitions.
# 2: fct_risk_scores.inspection_queue (ranks within jurisdiction, day and queue); the entity
# dimensions with last_event_date, history_as_of_date and their decayed sums (dim_importer
# incremental).
WAREHOUSE_LAYOUT = 2


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
    # None: every day was rebuilt (full refresh); else the first data_interval recomputed.
    rebuilt_from: date | None = None


@dataclass(frozen=True)
class BuildRecord:
    """What the last successful ``dbt build`` recomputed.

    ``rebuilt_from`` None: a full refresh, every day was rebuilt. A date D: every mart row whose
    ``data_interval`` is D or later was recomputed and none before (warehouse entries inside
    the deductive sales window, from ``lots_revalued_from``, are revalued too). Steps after the
    build use ``unpublished_from`` as their ``since``: the earliest day rebuilt by any build
    since the last successful publish, so a marts run that failed after its build (a risk model
    or mart check error) leaves its days to be redone by the next run, not skipped.
    """

    rebuilt_from: date | None
    built_at: datetime | None
    full_refresh: bool
    reason: str
    lots_revalued_from: date | None = None
    unpublished_from: date | None = None


@dataclass(frozen=True)
class BuildPlan:
    rebuilt_from: date | None
    lots_revalued_from: date | None
    reason: str
    partitions: dict[str, dict[str, str]]

    @property
    def full_refresh(self) -> bool:
        return self.rebuilt_from is None


def build_record_path(settings: Settings) -> Path:
    return settings.warehouse_path.parent / BUILD_RECORD_NAME


def last_build(settings: Settings) -> BuildRecord:
    """The record of the last successful build; without one, "everything" (rebuilt_from None)."""
    stored = _read_build_record(settings)
    if stored is None:
        return BuildRecord(None, None, True, "no build recorded")
    return BuildRecord(
        rebuilt_from=_date_or_none(stored["rebuilt_from"]),
        built_at=datetime.fromisoformat(stored["built_at"]),
        full_refresh=stored["rebuilt_from"] is None,
        reason=stored["reason"],
        lots_revalued_from=_date_or_none(stored.get("lots_revalued_from")),
        unpublished_from=_date_or_none(stored.get("unpublished_from")),
    )


def _date_or_none(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _read_build_record(settings: Settings) -> dict | None:
    path = build_record_path(settings)
    if not path.exists() or not settings.warehouse_path.exists():
        return None
    return json.loads(path.read_text())


def standardized_partitions(settings: Settings) -> dict[str, dict[str, str]]:
    """Per feed and day, a fingerprint of the standardised partition's files (name, size, mtime):
    a file loaded again, added or replaced changes it. Quarantined days are gone from here."""
    partitions: dict[str, dict[str, str]] = {}
    for feed in (*DAY_FEEDS, *LOT_FEEDS):
        days: dict[str, str] = {}
        for folder in sorted((settings.standardized_dir / feed).glob("date=*")):
            files = sorted(
                f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}"
                for f in folder.glob("*.parquet")
            )
            if files:
                days[folder.name.removeprefix("date=")] = hashlib.sha256(
                    "\n".join(files).encode()
                ).hexdigest()[:16]
        partitions[feed] = days
    return partitions


def plan_build(settings: Settings, *, full_refresh: bool = False) -> BuildPlan:
    """Which days the next build must recompute: the earliest feed day whose standardised
    partition changed since the last successful build, or the latest day when none did (a
    cheap, idempotent re-run). Everything (a full refresh) when asked, on the first build, or
    when a change cannot be confined to later days: a partition that was built is gone
    (quarantined or deleted), or a warehouse feed changed before the deductive sales window."""
    partitions = standardized_partitions(settings)
    all_days = sorted({day for days in partitions.values() for day in days})
    latest = date.fromisoformat(all_days[-1]) if all_days else None
    window = _project_var("deductive_sales_window_days")
    lots_from = latest - timedelta(days=int(window) + 1) if latest else None

    def everything(reason: str) -> BuildPlan:
        return BuildPlan(None, None, reason, partitions)

    if full_refresh:
        return everything("full refresh requested")
    previous = _read_build_record(settings)
    if previous is None or latest is None:
        return everything("no earlier build recorded")
    if dbt_target() == "build" and not settings.intermediate_warehouse_path.exists():
        return everything(f"no intermediate models at {settings.intermediate_warehouse_path}")
    if previous.get("layout", 1) != WAREHOUSE_LAYOUT:
        return everything(
            f"the models' layout changed since the last build "
            f"({previous.get('layout', 1)} -> {WAREHOUSE_LAYOUT})"
        )
    before = previous.get("partitions", {})
    changed: list[date] = []
    for feed, days in partitions.items():
        gone = set(before.get(feed, {})) - set(days)
        if gone:
            return everything(
                f"{feed} partition(s) {', '.join(sorted(gone))} built before are gone"
            )
        for day, fingerprint in days.items():
            if before.get(feed, {}).get(day) == fingerprint:
                continue
            if feed in DAY_FEEDS:
                changed.append(date.fromisoformat(day))
            elif lots_from is not None and date.fromisoformat(day) < lots_from:
                return everything(f"{feed} {day} changed before the deductive sales window")
    rebuilt_from = min([*changed, latest])
    reason = "changed feed days" if changed else "no feed day changed: latest day only"
    return BuildPlan(rebuilt_from, lots_from, reason, partitions)


def _project_var(name: str) -> object:
    """A var of dbt_project.yml (the one place its value is set)."""
    import yaml

    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"][name]


def _write_build_record(settings: Settings, plan: BuildPlan) -> None:
    previous = _read_build_record(settings)
    unpublished_from = plan.rebuilt_from
    if previous is not None and not previous.get("published", False):
        # The previous build's days were never published: the steps after this build redo them.
        earlier = _date_or_none(previous.get("unpublished_from"))
        unpublished_from = (
            None
            if earlier is None or plan.rebuilt_from is None
            else min(earlier, plan.rebuilt_from)
        )
    record = {
        "layout": WAREHOUSE_LAYOUT,
        "unpublished_from": unpublished_from.isoformat() if unpublished_from else None,
        "published": False,
        "rebuilt_from": plan.rebuilt_from.isoformat() if plan.rebuilt_from else None,
        "lots_revalued_from": (
            plan.lots_revalued_from.isoformat() if plan.lots_revalued_from else None
        ),
        "built_at": datetime.now(UTC).isoformat(),
        "reason": plan.reason,
        "partitions": plan.partitions,
    }
    _store_build_record(settings, record)


def _store_build_record(settings: Settings, record: dict) -> None:
    path = build_record_path(settings)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=1))
    os.replace(tmp, path)


def mark_published(settings: Settings) -> None:
    """The last build's days are published: the next build's steps start from its own days."""
    record = _read_build_record(settings)
    if record is not None:
        _store_build_record(settings, {**record, "published": True})


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
    skip_tests: bool = False,
    unit_tests: bool | None = None,
) -> BuildResult:
    """Run ``dbt build`` (seeds, models, data tests, contracts; unit tests when asked) on the
    build file.

    First makes every input dbt reads exist: the ECB rates export (a no-op when current) and the
    zero-row ``_schema.parquet`` of each globbed folder, so a fresh CUSTOMS_HOME builds empty
    marts. Raises ``DbtBuildError`` when any node errors or fails; warnings (``severity: warn``
    tests) are returned in the result, not raised. ``full_refresh`` rebuilds the incremental
    facts from scratch (same rows as the incremental runs); ``dbt_vars`` override project vars,
    e.g. ``{"hs_nomenclature_path": "/path/to/harmonized-system.csv"}``.

    Otherwise the build is incremental (``plan_build``): the models recompute the days from the
    earliest feed day changed since the last successful build (dbt vars ``rebuild_from`` and
    ``lots_revalued_from``), and a successful build of the whole project is recorded for
    ``last_build``. A build that needs everything (first build, a quarantined partition) runs
    as a full refresh on its own.

    ``skip_tests`` leaves out data and unit tests (seeds and models only). ``unit_tests``
    (default: environment ``CUSTOMS_DBT_UNIT_TESTS``, off) runs dbt's unit tests too. They test
    the models' logic on fixed inputs, so they belong to development and CI (the test suite runs
    them: ``tests/dbt/test_dbt_build.py``), not to every daily build, where they cost about 10 s
    of CPU and can only fail after a code change.
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
    plan = plan_build(settings, full_refresh=full_refresh)
    if select:
        command += ["--select", select]
    if unit_tests is None:
        unit_tests = os.environ.get("CUSTOMS_DBT_UNIT_TESTS", "").lower() in {"1", "true", "yes"}
    if skip_tests:
        command += ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    elif not unit_tests:
        command += ["--exclude-resource-type", "unit_test"]
    if plan.full_refresh:
        command.append("--full-refresh")
        if not select:
            # A half-done full refresh must not pass for a base that later days build on.
            build_record_path(settings).unlink(missing_ok=True)
            if duckdb_target:
                _drop_intermediate_schema_of_the_build_file(settings)
    build_vars = dict(dbt_vars or {})
    if not plan.full_refresh:
        build_vars["rebuild_from"] = plan.rebuilt_from.isoformat()
        build_vars["lots_revalued_from"] = plan.lots_revalued_from.isoformat()
    if build_vars:
        command += ["--vars", json.dumps(build_vars)]
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

    if not select:
        _write_build_record(settings, plan)
    return BuildResult(
        seconds=seconds,
        models=counts["model"],
        tests=counts["test"],
        seeds=counts["seed"],
        unit_tests=counts["unit_test"],
        failures=failures,
        row_counts=_row_counts(settings.warehouse_path) if duckdb_target else {},
        warnings=warnings,
        rebuilt_from=plan.rebuilt_from,
    )


def _drop_intermediate_schema_of_the_build_file(settings: Settings) -> None:
    """Builds before the intermediate models moved to their own file kept them in the build
    file, which publish copies whole: a full refresh drops them there (a no-op afterwards)."""
    import duckdb

    if not settings.warehouse_path.exists():
        return
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("drop schema if exists intermediate cascade")


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


def published_tables(con) -> list[tuple[str, str]]:
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
            for schema, table in published_tables(con)
        }
