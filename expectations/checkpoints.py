"""Data-quality gates: the suites of ``expectations/suites/`` run on feeds and marts.

``check_feed`` validates one day's standardised partition of a feed; ``check_marts`` validates
the marts after ``dbt build``. Every run records one row per expectation under
``audit/dq_results`` and updates the Data Docs site in ``settings.data_docs_dir``; then a failed
critical expectation raises ``DataQualityError`` (the task fails, downstream stops) while failed
warnings are only logged and returned. Severity is read from the suite files, not from code.

Great Expectations is imported only when a check runs (see ``expectations.gx_run``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Sequence
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
    feed_suite_name,
    load_suite,
    mart_suite_names,
)
from transforms.schemas import FEEDS

if TYPE_CHECKING:
    import pandas as pd

    from expectations.gx_run import ExpectationResult
    from expectations.mart_reads import MartRead

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
        frame=_read_feed(settings, suite, feed, interval),
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


def check_marts(
    settings: Settings, interval: date, run_id: str, *, since: date | None = None
) -> list[CheckOutcome]:
    """Validate every mart that has a ``mart_*`` suite, then reconcile the valuation mart with
    the declarations feed (suite ``reconcile_valuation``); raise once all were checked.

    ``interval`` only files the results (``date=<interval>``). ``since`` None checks the whole
    marts; a date checks only the rows of the marts with a ``data_interval`` from that day on
    (the ones the last build recomputed, see ``customs.warehouse.last_build``), the small marts
    without one whole, and reconciles the valuation rows and declaration items of those days.
    Each mart is read with only the columns its suite names, in chunks of at most
    ``MART_CHUNK_ROWS`` rows validated one after the other (``expectations.mart_reads``).

    The same as ``stage_mart_checks`` then ``validate_staged_marts``, in one call.
    """
    from expectations.mart_reads import MartReadError, read_marts

    since = _as_date(since) if since is not None else None
    try:
        with read_marts(settings, _mart_suites(), since, _reconcile(settings)) as staged:
            return _validate_marts(settings, *staged, _as_date(interval), run_id, since)
    except MartReadError as exc:
        raise DataQualityError(str(exc)) from None


def stage_mart_checks(settings: Settings, *, since: date | None = None) -> Path:
    """The part of ``check_marts`` that reads the build file: copy what the mart suites read,
    and the reconciliation, to a new folder under ``CUSTOMS_HOME/tmp``, and return it.

    The marts DAG runs this in the DuckDB pool and ``validate_staged_marts`` outside it, so
    the risk model can write to the build file while Great Expectations validates."""
    import shutil

    from expectations.mart_reads import (
        MartReadError,
        new_staging_folder,
        save_staged,
        stage_marts,
    )

    since = _as_date(since) if since is not None else None
    folder = new_staging_folder(settings)
    try:
        reads, reconciliation = stage_marts(
            settings, _mart_suites(), since, _reconcile(settings), folder
        )
        save_staged(folder, reads, reconciliation, since)
    except BaseException as exc:  # nothing half-staged is left behind
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, MartReadError):
            raise DataQualityError(str(exc)) from None
        raise
    return folder


def validate_staged_marts(
    settings: Settings, folder: Path, interval: date, run_id: str
) -> list[CheckOutcome]:
    """The rest of ``check_marts``, on what ``stage_mart_checks`` copied to ``folder``: the
    suites and the reconciliation, recorded; raise once all were checked. The folder is
    removed afterwards, whatever the outcome (the staging step makes a new one)."""
    import shutil

    from expectations.mart_reads import MartReadError, is_staging_folder, load_staged

    folder = Path(folder)
    try:
        reads, reconciliation, since = load_staged(folder)
        return _validate_marts(settings, reads, reconciliation, _as_date(interval), run_id, since)
    except MartReadError as exc:
        raise DataQualityError(str(exc)) from None
    finally:
        if is_staging_folder(settings, folder):
            shutil.rmtree(folder, ignore_errors=True)


def _mart_suites() -> list[dict[str, Any]]:
    return [load_suite(name) for name in mart_suite_names()]


def _validate_marts(
    settings: Settings,
    reads: Sequence[MartRead],
    reconciliation: pd.DataFrame,
    interval: date,
    run_id: str,
    since: date | None,
) -> list[CheckOutcome]:
    from expectations.mart_reads import read_chunk

    jobs = [
        _Job(
            suite=read.suite,
            frame=[
                functools.partial(read_chunk, chunk, _to_pandas, read.exact_columns)
                for chunk in read.chunks
            ],
            interval=interval,
            run_id=run_id,
            parameters={},
            label=f"mart {read.table} in {settings.warehouse_path}{read.selection}",
        )
        for read in reads
    ]
    jobs.append(
        _Job(
            suite=load_suite(RECONCILE_SUITE),
            frame=reconciliation,
            interval=interval,
            run_id=run_id,
            parameters={},
            label=f"marts.fct_customs_valuation in {settings.warehouse_path} against "
            f"{settings.standardized_dir / 'declarations'}"
            + (f" (data intervals from {since.isoformat()})" if since else ""),
        )
    )
    return _run_checked(settings, jobs)


@dataclass(frozen=True)
class _Job:
    """One suite to run on one frame (or on chunks, each loaded when its run starts), and how
    a failure names the data."""

    suite: dict[str, Any]
    frame: pd.DataFrame | list[Callable[[], pd.DataFrame]]
    interval: date
    run_id: str
    parameters: dict[str, Any]
    label: str

    @property
    def chunks(self) -> list[pd.DataFrame | Callable[[], pd.DataFrame]]:
        return self.frame if isinstance(self.frame, list) else [self.frame]


def _run_checked(settings: Settings, jobs: Sequence[_Job]) -> list[CheckOutcome]:
    """Run every job (one Data Docs update), record each, then raise on any critical failure."""
    outcomes = _run(settings, jobs)
    _raise_if_critical([(o, job.label) for o, job in zip(outcomes, jobs, strict=True)])
    return outcomes


def _run(settings: Settings, jobs: Sequence[_Job]) -> list[CheckOutcome]:
    from expectations.chunks import merge_chunk_results
    from expectations.gx_run import SuiteRun, run_suites

    names = {job.suite["name"] for job in jobs}
    runs, owners = [], []
    for position, job in enumerate(jobs):
        name = (
            job.run_id
            if job.interval.isoformat() in job.run_id
            else f"{job.interval.isoformat()}__{job.run_id}"
        )
        chunks = job.chunks
        for i, chunk in enumerate(chunks, start=1):
            part = f"__part-{i}-of-{len(chunks)}" if len(chunks) > 1 else ""
            runs.append(SuiteRun(job.suite, chunk, name + part, job.parameters))
            owners.append(position)
    all_results = run_suites(
        runs,
        data_docs_dir=settings.data_docs_dir,
        site_suites=[load_suite(n) for n in all_suite_names() if n not in names],
    )
    per_job: list[list[Any]] = [[] for _ in jobs]
    for position, results in zip(owners, all_results, strict=True):
        per_job[position].append(results)
    return [
        _record(settings, job, merge_chunk_results(results))
        for job, results in zip(jobs, per_job, strict=True)
    ]


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


def _read_feed(
    settings: Settings, suite: dict[str, Any], feed: str, interval: date
) -> pd.DataFrame:
    """The day's partition as pandas (GX has no Polars support), with the suite's derived
    referential columns; empty if nothing arrived."""
    folder = _partition_dir(settings, feed, interval)
    if any(folder.glob("*.parquet")):
        frame = pl.scan_parquet(folder / "*.parquet", hive_partitioning=False)
    else:
        log.warning("%s: no standardised partition at %s; checking an empty table", feed, folder)
        frame = pl.LazyFrame(schema=FEEDS[feed].standardized_schema)
    for ref in suite.get("meta", {}).get("referential", []):
        frame = frame.with_columns(
            _if_unknown(ref, _known_values(settings, ref["sources"], interval))
        )
    return _to_pandas(frame.collect())


def _to_pandas(frame: pl.DataFrame, *, exact: Collection[str] = ()) -> pd.DataFrame:
    """The frame as pandas, in the dtypes GX's pandas metrics compute vectorised.

    GX compares a column with ``min_value``/``max_value`` with numpy only for ``int64``,
    ``float64`` and datetimes; any other dtype goes through a Python call per value (a decimal
    column arrives as Python ``Decimal`` objects, ``Int32`` as a dtype GX does not recognise).
    Decimals are therefore given as ``float64`` and integers as ``int64``. No check changes
    outcome: the suites compare decimals only with whole bounds of at most 100,000 (0, 1, 30,
    100,000), and a float differs from its decimal by less than 1e-16 of it, far less than the
    10^-scale between a decimal of scale <= 10 and a bound it is not equal to. Decimals of a
    larger scale, and the ``exact`` columns (compared with each other, where two large
    amounts could round to the same float), stay exact.
    """
    floats = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Decimal) and (dtype.scale or 0) <= 10 and name not in exact
    ]
    return frame.with_columns(
        pl.col(floats).cast(pl.Float64()),
        pl.col(pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32).cast(pl.Int64()),
    ).to_pandas()


def _if_unknown(ref: dict[str, Any], known: pl.Series) -> pl.Expr:
    """``ref["column"]`` where its value is not among ``known``, else null (null stays null).

    The suite expects this column to be null: the same rows fail as with an
    ``expect_column_values_to_be_in_set`` on the known values, and Data Docs list the unknown
    values themselves, while GX never sees the (large) set of known values.
    """
    column = pl.col(ref["column"])
    return (
        pl.when(column.is_in(known.implode()))
        .then(None)
        .otherwise(column)
        .alias(ref["derived_column"])
    )


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
    return parameters


def _known_values(settings: Settings, sources: list[dict[str, str]], interval: date) -> pl.Series:
    """Distinct values of ``sources`` (feed, column) in the partitions dated up to ``interval``.

    Only what is standardised when the check runs counts: quarantined days are not read, and
    the same day's partition of another feed is read only if it is already there. Only the
    one column is read from each file (Parquet projection).
    """
    scans = []
    for source in sources:
        files = [
            f
            for folder in sorted((settings.standardized_dir / source["feed"]).glob("date=*"))
            if folder.name.removeprefix("date=") <= interval.isoformat()
            for f in sorted(folder.glob("[!._]*.parquet"))
        ]
        if files:
            scans.append(
                pl.scan_parquet(files, hive_partitioning=False).select(
                    pl.col(source["column"]).cast(pl.String()).alias("value")
                )
            )
    if not scans:
        return pl.Series("value", [], dtype=pl.String())
    return pl.concat(scans).select(pl.col("value").drop_nulls().unique()).collect()["value"]


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


def _reconcile(settings: Settings) -> Callable[[Any, date | None], pd.DataFrame]:
    def reconcile(con: Any, since: date | None) -> pd.DataFrame:
        return _valuation_reconciliation(con, settings, settings.warehouse_path, since)

    return reconcile


def _valuation_reconciliation(
    con: Any, settings: Settings, path: Path, since: date | None = None
) -> pd.DataFrame:
    """One row: valuation rows against the declaration items of the standardised feed.

    Items are distinct (declaration_id, item_no) over every standardised partition (a
    re-delivered item counts once, as in dbt's staging); quarantined days are not there. With
    ``since``, both sides from that day on: the partitions dated ``since`` or later, and the
    valuation rows whose ``data_interval`` is (an item's row takes the interval of its latest
    delivery, so the two selections hold the same items).
    """
    from expectations.mart_reads import table_columns

    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'fct_customs_valuation'"
    ).fetchone()
    if not found or not found[0]:
        raise DataQualityError(
            f"cannot reconcile: no table marts.fct_customs_valuation in {path} "
            "(has dbt build created it?)"
        )
    if since is not None and "data_interval" not in table_columns(
        con, "marts.fct_customs_valuation"
    ):
        since = None  # a valuation mart without data intervals: reconcile it whole
    files = [
        f
        for f in sorted((settings.standardized_dir / "declarations").glob("date=*/[!._]*.parquet"))
        if since is None or f.parent.name.removeprefix("date=") >= since.isoformat()
    ]
    items = (
        "select distinct declaration_id, item_no from read_parquet(?, hive_partitioning = false)"
        if files
        else "select cast(null as varchar) as declaration_id, cast(null as integer) as item_no "
        "where false"
    )
    valued_where = "where data_interval >= ?" if since is not None else ""
    sql = f"""
        with items as ({items}),
        valued as (
            select declaration_id, item_no from marts.fct_customs_valuation {valued_where}
        )
        select
            (select count(*) from valued) as valuation_rows,
            (select count(*) from items) as declaration_items,
            (select count(*) from items anti join valued using (declaration_id, item_no))
                as items_not_valued,
            (select count(*) from valued anti join items using (declaration_id, item_no))
                as valuations_without_item
    """
    parameters: list[Any] = [[str(f) for f in files]] if files else []
    if since is not None:
        parameters.append(since)
    return con.execute(sql, parameters).df()
