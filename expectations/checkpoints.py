"""Data-quality gates: the suites of ``expectations/suites/`` run on feeds and marts.

``check_feed`` validates one day's standardised partition of a feed; ``check_marts`` validates
the marts after ``dbt build``. Every run records one row per expectation under
``audit/dq_results`` and updates the Data Docs site in ``settings.data_docs_dir``; then a failed
critical expectation raises ``DataQualityError`` (the task fails, downstream stops) while failed
warnings are only logged and returned. Severity is read from the suite files, not from code.

Great Expectations is imported only when a check runs (see ``expectations.gx_run``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from customs.settings import Settings
from expectations import build_suites as spec
from expectations.results import describe, write_results
from expectations.suite_files import (
    all_suite_names,
    expand_column_templates,
    feed_suite_name,
    load_suite,
    mart_suite_names,
)
from transforms.schemas import FEEDS

if TYPE_CHECKING:
    import pandas as pd

    from expectations.gx_run import ExpectationResult

log = logging.getLogger(__name__)

FILE_LOADS_SUITE = "audit_file_loads"
RECONCILE_SUITE = "reconcile_valuation"


class DataQualityError(RuntimeError):
    """A critical expectation failed (or the data to check is missing).

    The message names the suite, the data (feed or mart, data interval) and each failed critical
    expectation with its column and observed value; ``outcomes`` holds the full outcomes.
    """

    def __init__(self, message: str, outcomes: Sequence[CheckOutcome] = ()) -> None:
        super().__init__(message)
        self.outcomes = list(outcomes)


@dataclass(frozen=True)
class CheckOutcome:
    suite: str
    interval: date
    run_id: str
    evaluated: int
    failed_critical: list[str]
    failed_warning: list[str]
    results_path: Path

    @property
    def passed(self) -> bool:
        return not self.failed_critical

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, e.g. for an Airflow XCom."""
        return {
            "suite": self.suite,
            "interval": self.interval.isoformat(),
            "run_id": self.run_id,
            "evaluated": self.evaluated,
            "failed_critical": list(self.failed_critical),
            "failed_warning": list(self.failed_warning),
            "results_path": str(self.results_path),
        }


def check_feed(
    settings: Settings, feed: str, interval: date, *, run_id: str | None = None
) -> CheckOutcome:
    """Validate the standardised partition of ``feed`` for the day ``interval``.

    The default run id is ``<feed>__<YYYY-MM-DD>``: rechecking a day replaces its results, like
    restandardising it replaces its partition. An absent partition is checked as an empty table
    (the volume warning reports it).
    """
    (outcome,) = _run_checked(settings, [_feed_job(settings, feed, _as_date(interval), run_id)])
    return outcome


def _feed_job(settings: Settings, feed: str, interval: date, run_id: str | None) -> _Job:
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r}; expected one of {sorted(FEEDS)}")
    suite = load_suite(feed_suite_name(feed))
    return _Job(
        suite=suite,
        frame=_read_feed(settings, feed, interval),
        interval=interval,
        run_id=run_id or f"{feed}__{interval.isoformat()}",
        parameters=_feed_parameters(settings, suite, feed, interval),
        label=f"feed '{feed}' ({_partition_dir(settings, feed, interval)})",
    )


def check_feed_loads(
    settings: Settings, feed: str, interval: date, *, run_id: str | None = None
) -> CheckOutcome:
    """Check the day's ``audit/file_loads`` rows of ``feed`` (suite ``audit_file_loads``).

    The suite runs on a derived frame, one row per file: the counts, ``rows_accounted``
    (standardised + rejected, to reconcile with ``rows_read``) and the feed-day rejected share.
    Results are filed under run id ``<feed>__<YYYY-MM-DD>`` (a recheck replaces them).
    """
    (outcome,) = _run_checked(
        settings, [_file_loads_job(settings, feed, _as_date(interval), run_id)]
    )
    return outcome


def _file_loads_job(settings: Settings, feed: str, interval: date, run_id: str | None) -> _Job:
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r}; expected one of {sorted(FEEDS)}")
    folder = _file_loads_dir(settings, feed, interval)
    return _Job(
        suite=load_suite(FILE_LOADS_SUITE),
        frame=_file_loads_frame(folder),
        interval=interval,
        run_id=run_id or f"{feed}__{interval.isoformat()}",
        parameters={},
        label=f"audit file_loads of feed '{feed}' ({folder})",
    )


def check_feed_day(settings: Settings, feed: str, interval: date) -> list[CheckOutcome]:
    """Everything the daily run checks for one feed-day: the feed suite on the partition and
    the file_loads suite (reconciliation, rejected share). Both are recorded before either
    raises ``DataQualityError`` (one Data Docs update for both)."""
    interval = _as_date(interval)
    return _run_checked(
        settings,
        [
            _feed_job(settings, feed, interval, None),
            _file_loads_job(settings, feed, interval, None),
        ],
    )


def check_marts(settings: Settings, interval: date, run_id: str) -> list[CheckOutcome]:
    """Validate every mart that has a ``mart_*`` suite, then reconcile the valuation mart with
    the declarations feed (suite ``reconcile_valuation``); raise once all were checked.

    ``interval`` only files the results (``date=<interval>``): the whole mart is checked.
    """
    interval = _as_date(interval)
    suites = [load_suite(name) for name in mart_suite_names()]
    frames, reconciliation = _read_marts(settings, [s["meta"]["table"] for s in suites])
    jobs = [
        _Job(
            suite=expand_column_templates(suite, list(frames[suite["meta"]["table"]].columns)),
            frame=frames[suite["meta"]["table"]],
            interval=interval,
            run_id=run_id,
            parameters={},
            label=f"mart {suite['meta']['table']} in {settings.warehouse_path}",
        )
        for suite in suites
    ]
    jobs.append(
        _Job(
            suite=load_suite(RECONCILE_SUITE),
            frame=reconciliation,
            interval=interval,
            run_id=run_id,
            parameters={},
            label=f"marts.fct_customs_valuation in {settings.warehouse_path} against "
            f"{settings.standardized_dir / 'declarations'}",
        )
    )
    return _run_checked(settings, jobs)


@dataclass(frozen=True)
class _Job:
    """One suite to run on one frame, and how a failure names the data."""

    suite: dict[str, Any]
    frame: pd.DataFrame
    interval: date
    run_id: str
    parameters: dict[str, Any]
    label: str


def _run_checked(settings: Settings, jobs: Sequence[_Job]) -> list[CheckOutcome]:
    """Run every job (one Data Docs update), record each, then raise on any critical failure."""
    outcomes = _run(settings, jobs)
    _raise_if_critical([(o, job.label) for o, job in zip(outcomes, jobs, strict=True)])
    return outcomes


def _run(settings: Settings, jobs: Sequence[_Job]) -> list[CheckOutcome]:
    from expectations.gx_run import SuiteRun, run_suites

    names = {job.suite["name"] for job in jobs}
    all_results = run_suites(
        [
            SuiteRun(
                suite=job.suite,
                frame=job.frame,
                run_name=job.run_id
                if job.interval.isoformat() in job.run_id
                else f"{job.interval.isoformat()}__{job.run_id}",
                parameters=job.parameters,
            )
            for job in jobs
        ],
        data_docs_dir=settings.data_docs_dir,
        site_suites=[load_suite(n) for n in all_suite_names() if n not in names],
    )
    return [_record(settings, job, results) for job, results in zip(jobs, all_results, strict=True)]


def _record(settings: Settings, job: _Job, results: Sequence[ExpectationResult]) -> CheckOutcome:
    name, interval, run_id = job.suite["name"], job.interval, job.run_id
    path = write_results(
        settings,
        suite=name,
        interval=interval,
        run_id=run_id,
        results=results,
        checked_at=datetime.now(UTC),
    )
    outcome = CheckOutcome(
        suite=name,
        interval=interval,
        run_id=run_id,
        evaluated=len(results),
        failed_critical=_failed(results, "critical"),
        failed_warning=_failed(results, "warning"),
        results_path=path,
    )
    for warning in outcome.failed_warning:
        log.warning("%s %s: warning: %s", name, interval, warning)
    log.info(
        "%s %s: %d expectations, %d critical and %d warning failures; results in %s",
        name,
        interval,
        outcome.evaluated,
        len(outcome.failed_critical),
        len(outcome.failed_warning),
        path,
    )
    return outcome


def _failed(results: Sequence[ExpectationResult], severity: str) -> list[str]:
    return [describe(r) for r in results if not r.success and r.severity == severity]


def _raise_if_critical(checked: Sequence[tuple[CheckOutcome, str]]) -> None:
    failed = [(o, label) for o, label in checked if o.failed_critical]
    if not failed:
        return
    parts = []
    for outcome, label in failed:
        lines = "\n".join(f"  - {f}" for f in outcome.failed_critical)
        parts.append(
            f"suite {outcome.suite} on {label}, data interval {outcome.interval.isoformat()}, "
            f"run {outcome.run_id}: {len(outcome.failed_critical)} critical expectation(s) "
            f"failed:\n{lines}\n  results: {outcome.results_path}"
        )
    raise DataQualityError(
        "Data quality check failed: " + "\n".join(parts), [o for o, _ in checked]
    )


def _as_date(value: date) -> date:
    """A plain date (a datetime, e.g. a data interval start, is also a date: take its day)."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date() if value.tzinfo else value.date()
    return date(value.year, value.month, value.day)


def _partition_dir(settings: Settings, feed: str, day: date) -> Path:
    return settings.standardized_dir / feed / f"date={day.isoformat()}"


def _read_feed(settings: Settings, feed: str, interval: date) -> pd.DataFrame:
    """The day's partition as pandas (GX has no Polars support); empty if nothing arrived."""
    folder = _partition_dir(settings, feed, interval)
    if any(folder.glob("*.parquet")):
        frame = pl.scan_parquet(folder / "*.parquet", hive_partitioning=False).collect()
    else:
        log.warning("%s: no standardised partition at %s; checking an empty table", feed, folder)
        frame = pl.DataFrame(schema=FEEDS[feed].standardized_schema)
    return frame.to_pandas()


def _feed_parameters(
    settings: Settings, suite: dict[str, Any], feed: str, interval: date
) -> dict[str, Any]:
    """Values of the suite's ``$PARAMETER`` kwargs for this run, from the suite's meta."""
    meta = suite.get("meta", {})
    lookback = int(meta.get("freshness", {}).get("lookback_days", spec.FRESHNESS_LOOKBACK_DAYS))
    start = datetime.combine(interval, time(), tzinfo=UTC)
    low, high = _volume_band(settings, feed, interval, meta.get("volume_band", spec.VOLUME_BAND))
    parameters: dict[str, Any] = {
        spec.P_EVENT_MIN: start - timedelta(days=lookback),
        spec.P_EVENT_MAX: start + timedelta(days=1),
        spec.P_VOLUME_MIN: low,
        spec.P_VOLUME_MAX: high,
    }
    for ref in meta.get("referential", []):
        parameters[ref["parameter"]] = _known_values(settings, ref["sources"], interval)
    return parameters


def _known_values(settings: Settings, sources: list[dict[str, str]], interval: date) -> list[str]:
    """Distinct values of ``sources`` (feed, column) in the partitions dated up to ``interval``.

    Only what is standardised when the check runs counts: quarantined days are not read, and
    the same day's partition of another feed is read only if it is already there.
    """
    values: set[str] = set()
    for source in sources:
        files = [
            f
            for folder in sorted((settings.standardized_dir / source["feed"]).glob("date=*"))
            if folder.name.removeprefix("date=") <= interval.isoformat()
            for f in sorted(folder.glob("[!._]*.parquet"))
        ]
        if files:
            column = source["column"]
            found = (
                pl.scan_parquet(files, hive_partitioning=False)
                .select(pl.col(column).drop_nulls().unique())
                .collect()
            )
            values.update(found[column].to_list())
    return sorted(values)


def _file_loads_dir(settings: Settings, feed: str, day: date) -> Path:
    return settings.audit_dir / "file_loads" / feed / f"date={day.isoformat()}"


def _file_loads_frame(folder: Path) -> pd.DataFrame:
    """One row per file load of the feed-day, with the sums the suite checks."""
    files = sorted(folder.glob("[!._]*.parquet"))
    columns = ["load_id", "source_file", "rows_read", "rows_standardized", "rows_rejected"]
    if files:
        loads = pl.scan_parquet(files, hive_partitioning=False).select(columns).collect()
    else:
        loads = pl.DataFrame(
            schema={c: pl.String() if c in columns[:2] else pl.Int64() for c in columns}
        )
    read, rejected = loads["rows_read"].sum(), loads["rows_rejected"].sum()
    return loads.with_columns(
        rows_accounted=pl.col("rows_standardized") + pl.col("rows_rejected"),
        feed_day_rejected_share=pl.lit(rejected / read if read else 0.0, pl.Float64()),
    ).to_pandas()


def _volume_band(
    settings: Settings, feed: str, interval: date, band: dict[str, Any]
) -> tuple[int, int | None]:
    """Row-count band around the mean of earlier delivered days; (0, None) without history.

    Counts come from the earlier standardised partitions themselves (Parquet metadata only),
    the same rows this suite checked on those days.
    """
    counts = []
    for days_back in range(1, int(band["lookback_days"]) + 1):
        folder = _partition_dir(settings, feed, interval - timedelta(days=days_back))
        files = sorted(folder.glob("*.parquet"))
        if files:
            rows = pl.scan_parquet(files, hive_partitioning=False).select(pl.len()).collect()
            if rows.item():
                counts.append(int(rows.item()))
    if len(counts) < int(band["min_history_days"]):
        return 0, None
    mean = sum(counts) / len(counts)
    return int(mean * float(band["lower_ratio"])), int(-(-mean * float(band["upper_ratio"]) // 1))


def _read_marts(
    settings: Settings, tables: Sequence[str]
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Read whole mart tables and the valuation reconciliation, then close the build file.

    DuckDB allows one writer per file and any open handle blocks ``dbt build``, so the
    connection lives only for these reads.
    """
    import duckdb

    path = settings.warehouse_path
    if not path.exists():
        raise DataQualityError(
            f"cannot check marts: the warehouse {path} does not exist (run dbt build first)"
        )
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException as exc:
        # In a process that already opened the file (e.g. dbt in-process), DuckDB refuses a
        # second handle with another configuration; share the process's own instance instead.
        if "different configuration" not in str(exc):
            raise
        con = duckdb.connect(str(path))
    try:
        frames = {}
        for table in tables:
            schema, name = table.split(".", 1)
            found = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()
            if not found or not found[0]:
                raise DataQualityError(
                    f"cannot check mart {table}: no such table in {path} "
                    "(has dbt build created it?)"
                )
            frames[table] = con.execute(f'select * from "{schema}"."{name}"').df()
        reconciliation = _valuation_reconciliation(con, settings, path)
    finally:
        con.close()
    return frames, reconciliation


def _valuation_reconciliation(con: Any, settings: Settings, path: Path) -> pd.DataFrame:
    """One row: valuation rows against the declaration items of the standardised feed.

    Items are distinct (declaration_id, item_no) over every standardised partition (a
    re-delivered item counts once, as in dbt's staging); quarantined days are not there.
    """
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'fct_customs_valuation'"
    ).fetchone()
    if not found or not found[0]:
        raise DataQualityError(
            f"cannot reconcile: no table marts.fct_customs_valuation in {path} "
            "(has dbt build created it?)"
        )
    files = sorted((settings.standardized_dir / "declarations").glob("date=*/[!._]*.parquet"))
    items = (
        "select distinct declaration_id, item_no from read_parquet(?, hive_partitioning = false)"
        if files
        else "select cast(null as varchar) as declaration_id, cast(null as integer) as item_no "
        "where false"
    )
    sql = f"""
        with items as ({items}),
        valued as (select declaration_id, item_no from marts.fct_customs_valuation)
        select
            (select count(*) from valued) as valuation_rows,
            (select count(*) from items) as declaration_items,
            (select count(*) from items anti join valued using (declaration_id, item_no))
                as items_not_valued,
            (select count(*) from valued anti join items using (declaration_id, item_no))
                as valuations_without_item
    """
    return con.execute(sql, [[str(f) for f in files]] if files else []).df()
