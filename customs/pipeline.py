"""The body of every Airflow task, as plain functions of (settings, arguments).

DAG files only wire these together; keeping the work here means each step can be called from a
test, a notebook or another orchestrator without Airflow, and DAG parsing imports nothing heavy.
Every function is idempotent for its data interval: it replaces what it wrote before.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from customs.settings import Settings

log = logging.getLogger(__name__)


class FeedLoadError(RuntimeError):
    """One or more files of a feed could not be loaded at all (the rest of the feed was)."""


def land_feed(settings: Settings, feed: str, interval: date, source_dir: Path) -> dict:
    """Pull the day from every source of the feed and land it (``customs.sources``).

    A failing source does not stop the others; the task then fails, naming it, so that
    Airflow retries it (an HTTP pull resumes from its last cursor) and the feed's day is not
    standardised from a partial delivery.
    """
    from customs.sources import SourcePullError, pull_interval
    from transforms.standardize_file import landed_files
    from transforms.storage import ensure_schema_files

    ensure_schema_files(settings)
    pulled = pull_interval(settings, feed, interval, source_dir)
    duplicates = [f.source_file for f in pulled.landed if f.is_duplicate]
    if duplicates:
        log.warning("%s %s: already loaded before, skipped: %s", feed, interval, duplicates)
    if pulled.errors:
        raise SourcePullError(
            f"{feed} {interval}: {len(pulled.errors)} source(s) failed (the others were "
            "landed): " + " | ".join(pulled.errors)
        )
    return {
        "feed": feed,
        "interval": interval.isoformat(),
        "files": len(pulled.landed),
        "duplicates": len(duplicates),
        "by_source": pulled.by_source,
        "load": landed_files(settings, feed, interval),
    }


def standardize_feed(settings: Settings, feed: str, interval: date) -> dict:
    from customs.settings import DEV_KEY_WARNING
    from transforms.standardize import standardize_interval

    if settings.pseudonym_key_is_default:
        log.warning(DEV_KEY_WARNING)
    return _summary_or_raise(standardize_interval(settings, feed, interval))


def standardize_file(settings: Settings, ref: dict) -> dict:
    """Standardise one landed file (a reference from ``land_feed``'s ``load``) into staging."""
    from transforms.standardize_file import standardize_landed_file

    return standardize_landed_file(settings, ref)


def batch_landed_files(refs: list[dict], batches: int) -> list[list[dict]]:
    """Split the day's landed files into at most ``batches`` groups of about equal size.

    Largest file first, each to the lightest group so far; groups keep no empty members.
    """
    import os

    sizes = {r["sha256"]: os.path.getsize(r["landed_path"]) for r in refs}
    groups: list[list[dict]] = [[] for _ in range(max(1, min(batches, len(refs))))]
    totals = [0] * len(groups)
    for ref in sorted(refs, key=lambda r: (-sizes[r["sha256"]], r["feed"], r["source_file"])):
        lightest = totals.index(min(totals))
        groups[lightest].append(ref)
        totals[lightest] += sizes[ref["sha256"]]
    return [g for g in groups if g]


def commit_feed(settings: Settings, feed: str, interval: date, results: list[dict]) -> dict:
    """Swap the feed-day's partitions in from its per-file results; fail naming rejected files.

    Same answer (and failure) as :func:`standardize_feed`, which does both steps in one call.
    """
    from customs.settings import DEV_KEY_WARNING
    from transforms.standardize_file import commit_feed_day

    if settings.pseudonym_key_is_default:
        log.warning(DEV_KEY_WARNING)
    return _summary_or_raise(commit_feed_day(settings, feed, interval, results))


def _summary_or_raise(summary) -> dict:
    result = {
        "feed": summary.feed,
        "interval": summary.interval.isoformat(),
        "files": summary.files,
        "rows_read": summary.rows_read,
        "rows_standardized": summary.rows_standardized,
        "rows_rejected": summary.rows_rejected,
    }
    log.info("standardised %s", result)
    if summary.file_errors:
        raise FeedLoadError(
            f"{summary.feed} {summary.interval}: {len(summary.file_errors)} file(s) rejected "
            "whole (the other files of the feed were loaded): " + " | ".join(summary.file_errors)
        )
    return result


def check_feed(settings: Settings, feed: str, interval: date) -> dict:
    """The feed-day's checks; on a critical failure, quarantine the day's partition and re-raise.

    A partition that passed is copied to the object store when ``CUSTOMS_STANDARDIZED_URI`` is
    set (so other engines only ever read checked days); a quarantined one is removed from it.

    The partition moves to ``quarantine/<feed>/date=<day>`` so that no later marts build reads
    it. A check of a day whose partition is quarantined and not restandardised (a task retry)
    fails again instead of passing on an empty partition. A passing rerun drops the old copy.
    """
    from expectations.checkpoints import DataQualityError, check_feed_day
    from transforms.storage import (
        publish_partition,
        quarantine_partition,
        quarantined_partition,
        release_quarantine,
        standardized_feed_dir,
        unpublish_partition,
    )

    held = quarantined_partition(settings, feed, interval)
    if held and not (standardized_feed_dir(settings, feed) / f"date={interval}").is_dir():
        raise DataQualityError(
            f"{feed} {interval}: the day's standardised partition is in quarantine ({held}) "
            "after a failed critical expectation; fix the source and rerun the day"
        )
    try:
        outcomes = check_feed_day(settings, feed, interval)
    except DataQualityError as exc:
        moved = quarantine_partition(settings, feed, interval)
        if moved:
            log.error("%s %s: partition moved to quarantine: %s", feed, interval, moved)
            exc.add_note(f"The day's partition was moved to quarantine: {moved}")
        if unpublish_partition(settings, feed, interval):
            log.error("%s %s: partition removed from the object store", feed, interval)
        raise
    if release_quarantine(settings, feed, interval):
        log.info("%s %s: checks passed; the earlier quarantined copy was removed", feed, interval)
    published = publish_partition(settings, feed, interval)
    if published:
        log.info("%s %s: checked partition copied to %s", feed, interval, published)
    return {
        "published": published,
        "suite": outcomes[0].suite,
        "evaluated": sum(o.evaluated for o in outcomes),
        "failed_warning": [w for o in outcomes for w in o.failed_warning],
    }


def build_marts(settings: Settings, full_refresh: bool = False) -> dict:
    from customs.warehouse import build_marts as dbt_build

    dbt_vars = (
        {"hs_nomenclature_path": str(settings.hs_nomenclature)}
        if settings.hs_nomenclature
        else None
    )
    result = dbt_build(settings, full_refresh=full_refresh, dbt_vars=dbt_vars)
    return {
        "seconds": round(result.seconds, 1),
        "row_counts": dict(result.row_counts),
        # None: a full refresh; else the first data_interval recomputed (last_build has it too).
        "rebuilt_from": result.rebuilt_from.isoformat() if result.rebuilt_from else None,
    }


def rebuilt_since(settings: Settings) -> date | None:
    """The first data interval the steps after ``dbt build`` must redo (risk model, mart
    checks): every day the builds since the last publish recomputed; None = every day."""
    from customs.warehouse import last_build

    return last_build(settings).unpublished_from


def score_risk_model(settings: Settings, since: date | None = None) -> dict:
    """Score the declarations with the risk model; with ``since`` (the first data interval the
    build recomputed) only the declared days from the earliest of those intervals on are
    rescored (``customs.risk_model.task``)."""
    from customs.risk_model.task import score_risk_model as score

    return score(settings.warehouse_path, since=since)


def check_marts(settings: Settings, interval: date, run_id: str, since: date | None = None) -> dict:
    """The mart suites; with ``since``, the large facts only from that data interval on."""
    from expectations.checkpoints import check_marts as run_mart_suites

    return _check_summary(run_mart_suites(settings, interval, run_id, since=since))


def stage_mart_checks(settings: Settings, since: date | None = None) -> str:
    """``check_marts``' read of the build file alone: copies what the mart suites read to a
    folder (returned) and closes the file. The marts DAG runs it in the DuckDB pool, then the
    risk model (which writes) beside ``validate_marts`` (which reads only the folder)."""
    from expectations.checkpoints import stage_mart_checks as stage

    return str(stage(settings, since=since))


def validate_marts(settings: Settings, staged: str, interval: date, run_id: str) -> dict:
    """The mart suites on what ``stage_mart_checks`` copied to ``staged`` (then removed)."""
    from expectations.checkpoints import validate_staged_marts

    return _check_summary(validate_staged_marts(settings, Path(staged), interval, run_id))


def _check_summary(outcomes: list) -> dict:
    return {
        "suites": [o.suite for o in outcomes],
        "failed_warning": [w for o in outcomes for w in o.failed_warning],
    }


def prepare_publish(settings: Settings) -> str:
    """The snapshot's slow part (copy of the build file, Parquet export), staged beside the
    published files while the mart checks run; ``publish`` then only swaps it in
    (``customs.snapshot``)."""
    from customs.snapshot import prepare_snapshot

    return str(prepare_snapshot(settings))


def publish(settings: Settings) -> str:
    from customs.snapshot import publish_snapshot

    return str(publish_snapshot(settings))
