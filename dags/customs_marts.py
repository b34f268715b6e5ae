"""
### customs_marts

Builds the warehouse with `dbt build` (staging, intermediate, marts, audit; dbt tests, unit tests
and contracts), scores the declarations with the risk model trained on earlier inspection
outcomes (`risk_model`: marts.fct_risk_model_scores, audit.risk_model_runs), checks the marts
with their Great Expectations suites, then publishes a read-only snapshot for analysts. Param
`full_refresh` rebuilds the incremental models from every partition (needed once after a
model's columns change). Scheduled on the `customs_standardized_feeds` asset, so it runs after any
day's feeds were standardised and checked.

Every task that opens the DuckDB build file runs in the one-slot `duckdb_writer` pool: DuckDB
takes one writing process per file, and no reader while it writes. The mart checks are two
tasks: `stage_checks` copies what the suites read (in the pool, about a tenth of the checks'
time), then `check` validates the copies outside the pool while `risk_model` writes its scores
(the suites read none of the risk model's tables) and `prepare_publish` copies the build file
and stages the Parquet export beside the published files. Analysts never open the build file;
they read the snapshot, which `publish` swaps in (renames only) after the checks passed.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param, dag, task

from customs.alerts import on_failure
from customs.assets import (
    DUCKDB_WRITER_POOL,
    OWNER,
    PUBLISHED_WAREHOUSE_ASSET,
    STANDARDIZED_FEEDS_ASSET,
)


@dag(
    dag_id="customs_marts",
    schedule=[Asset(STANDARDIZED_FEEDS_ASSET)],
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": OWNER,
        "retries": 1,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": on_failure,
    },
    params={
        "full_refresh": Param(
            False, type="boolean", description="Rebuild incremental models from all partitions"
        )
    },
    doc_md=__doc__,
    tags=["customs", "marts"],
)
def customs_marts():
    @task(pool=DUCKDB_WRITER_POOL)
    def build(params=None) -> dict:
        from customs.pipeline import build_marts
        from customs.settings import load_settings

        return build_marts(load_settings(), full_refresh=bool(params["full_refresh"]))

    @task(pool=DUCKDB_WRITER_POOL)
    def stage_checks(built: dict) -> str:
        from customs.pipeline import rebuilt_since, stage_mart_checks
        from customs.settings import load_settings

        settings = load_settings()
        return stage_mart_checks(settings, since=rebuilt_since(settings))

    @task(pool=DUCKDB_WRITER_POOL)
    def risk_model(staged: str) -> dict:
        from customs.pipeline import rebuilt_since, score_risk_model
        from customs.settings import load_settings

        settings = load_settings()
        return score_risk_model(settings, since=rebuilt_since(settings))

    # Outside the pool: reads only the staged copies. A data-quality gate, not retried: the
    # copies would fail the same way (and are removed after each attempt).
    @task(retries=0)
    def check(staged: str, run_id=None, dag_run=None) -> dict:
        from customs.pipeline import validate_marts
        from customs.settings import load_settings

        return validate_marts(load_settings(), staged, dag_run.run_after.date(), run_id)

    # After the last writer of the build file, beside the checks: what readers see changes only
    # when publish swaps it in (a failed check leaves it unpublished; the next run prepares anew).
    @task(pool=DUCKDB_WRITER_POOL)
    def prepare_publish(scored: dict) -> str:
        from customs.pipeline import prepare_publish
        from customs.settings import load_settings

        return prepare_publish(load_settings())

    @task(pool=DUCKDB_WRITER_POOL, outlets=[Asset(PUBLISHED_WAREHOUSE_ASSET)])
    def publish(checked: dict, prepared: str) -> str:
        from customs.pipeline import publish
        from customs.settings import load_settings

        return publish(load_settings())

    staged = stage_checks(build())
    publish(check(staged), prepare_publish(risk_model(staged)))


customs_marts()
