"""
### customs_monthly

Builds the regulator report packages of the month: for every jurisdiction with declarations in
the month (and every member state that identified an IOSS number with a return for it), one
folder `CUSTOMS_HOME/reports/<jurisdiction>/<YYYY-MM>/` with report.html, report.pdf,
extracts.xlsx, CSV extracts, IOSS returns (JSON) and a manifest.json chained to the previous
month's manifest; then verifies every package and the chain (`customs verify`).

The data interval is the calendar month (`0 0 1 * *`, UTC): the run of 1 October covers
`[2026-09-01, 2026-10-01)`. Tasks are idempotent: a rerun (or a backfill of an older month)
replaces the month's folders whole and re-links the later months' manifests, so the chain stays
valid. Clear a month's run to rebuild it after late data was published.

The tasks only **read the published snapshot** (`published/warehouse.duckdb`, swapped in
atomically by `customs_marts`), never the build file, so they need no slot in the one-slot
`duckdb_writer` pool: they can run while a build holds the writer, and a publish during a
report build cannot change the figures half-way (the reader keeps the snapshot it opened).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

from customs.assets import OWNER


@dag(
    dag_id="customs_monthly",
    schedule=CronDataIntervalTimetable("0 0 1 * *", timezone="UTC"),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": OWNER, "retries": 2, "retry_delay": timedelta(minutes=10)},
    doc_md=__doc__,
    tags=["customs", "reports"],
)
def customs_monthly():
    @task
    def jurisdictions(data_interval_start=None) -> list[str]:
        from customs.reports import data
        from customs.settings import load_settings

        month = data_interval_start.strftime("%Y-%m")
        with data.connect(load_settings().published_path) as con:
            return data.jurisdictions(con, month)

    @task
    def package(jurisdiction: str, data_interval_start=None, run_id=None) -> str:
        from customs.reports import build_month
        from customs.settings import load_settings

        month = data_interval_start.strftime("%Y-%m")
        (result,) = build_month(load_settings(), month, [jurisdiction], run_id=run_id)
        return str(result.path)

    @task
    def verify(paths: list[str]) -> int:
        from customs.reports import verify as verify_packages
        from customs.settings import load_settings

        checked, problems = verify_packages(load_settings())
        if problems:
            raise RuntimeError("report packages altered:\n" + "\n".join(problems))
        return checked

    verify(package.expand(jurisdiction=jurisdictions()))


customs_monthly()
