"""
### customs_daily

Pulls one UTC day of every feed (orders, declarations, warehouse receipts and dispatches,
inspections) from the source folder, lands the raw files by content hash, standardises them with
Polars into the canonical Parquet (bad rows to rejects, with a reason), and checks each feed with
its Great Expectations suite. Feeds come from the sources configured for them (`CUSTOMS_SOURCES`:
the source folder, HTTP APIs, object stores). `land` and `check` are mapped over the feeds;
standardisation is mapped over the landed files (`standardize_file`: all feeds' files in at
most `FILE_BATCHES` size-balanced batches, in parallel on a real executor), then one `standardize` per feed swaps the feed-day's
partitions in at once and fails naming any file rejected whole. With
`CUSTOMS_STANDARDIZED_URI` set, `check` copies each passing feed-day to that object store.
Each feed's standardised day emits an asset event on
`customs_standardized_<feed>` (extra: day and row counts, through the asset alias
`customs_standardized_feed_day`); when every feed passed its checks, the day emits the
`customs_standardized_feeds` asset, which schedules `customs_marts`.

The data interval is the day: a run for 2026-09-01 covers `[2026-09-01, 2026-09-02)` and replaces
exactly that day's partitions, so rerunning or backfilling a day is safe.
Param `source_dir` overrides the source folder (default: `CUSTOMS_SOURCE_DIR`).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, AssetAlias, CronDataIntervalTimetable, Param, dag, task

from customs.alerts import on_failure
from customs.assets import (
    FEED_NAMES,
    FILE_BATCHES,
    OWNER,
    STANDARDIZED_FEED_DAY_ALIAS,
    STANDARDIZED_FEEDS_ASSET,
    standardized_feed_asset,
)


@dag(
    dag_id="customs_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    default_args={
        "owner": OWNER,
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": on_failure,
    },
    params={"source_dir": Param(None, type=["null", "string"], description="Source folder")},
    doc_md=__doc__,
    tags=["customs", "feeds"],
)
def customs_daily():
    @task
    def land(feed: str, data_interval_start=None, params=None) -> dict:
        from pathlib import Path

        from customs.pipeline import land_feed
        from customs.settings import load_settings

        settings = load_settings()
        source_dir = Path(params["source_dir"]) if params["source_dir"] else settings.source_dir
        return land_feed(settings, feed, data_interval_start.date(), source_dir)

    @task
    def files(landed: list[dict]) -> list[list[dict]]:
        """Every landed file of the day, all feeds, in at most FILE_BATCHES size-balanced batches."""
        from customs.pipeline import batch_landed_files

        return batch_landed_files([ref for feed in landed for ref in feed["load"]], FILE_BATCHES)

    @task(map_index_template="{{ landed_files }}")
    def standardize_file(refs: list[dict]) -> list[dict]:
        from airflow.sdk import get_current_context

        from customs.pipeline import standardize_file as run
        from customs.settings import load_settings

        first = f"{refs[0]['feed']}/{refs[0]['source_file']}"
        get_current_context()["landed_files"] = (
            first if len(refs) == 1 else f"{first} and {len(refs) - 1} more"
        )
        settings = load_settings()
        return [run(settings, ref) for ref in refs]

    # Per feed-day: swap the partitions in from the per-file results (also when the day
    # delivered no file at all, so the feed-day still gets its empty partition and its checks).
    @task(outlets=[AssetAlias(STANDARDIZED_FEED_DAY_ALIAS)], trigger_rule="none_failed")
    def standardize(feed: str, results=None, data_interval_start=None, outlet_events=None) -> dict:
        from customs.pipeline import commit_feed
        from customs.settings import load_settings

        day = data_interval_start.date()
        per_file = [r for batch in results or [] for r in batch]
        result = commit_feed(load_settings(), feed, day, per_file)
        outlet_events[AssetAlias(STANDARDIZED_FEED_DAY_ALIAS)].add(
            Asset(standardized_feed_asset(feed)), extra=result
        )
        return result

    # A failed expectation is a property of the data, not a passing fault: retrying cannot help
    # (the partition is already in quarantine), so the check fails at once.
    @task(retries=0)
    def check(standardized: dict, data_interval_start=None) -> dict:
        from customs.pipeline import check_feed
        from customs.settings import load_settings

        return check_feed(load_settings(), standardized["feed"], data_interval_start.date())

    @task(outlets=[Asset(STANDARDIZED_FEEDS_ASSET)])
    def announce(checks: list[dict], data_interval_start=None) -> str:
        """All feeds of the day passed their critical checks: let the marts DAG build."""
        return data_interval_start.date().isoformat()

    landed = land.expand(feed=list(FEED_NAMES))
    standardized_files = standardize_file.expand(refs=files(landed))
    standardized = standardize.partial(results=standardized_files).expand(feed=list(FEED_NAMES))
    announce(check.expand(standardized=standardized))


customs_daily()
