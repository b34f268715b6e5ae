"""One small warehouse for every report test, built once, on its own CUSTOMS_HOME.

The pipeline steps run as plain functions (``customs.pipeline``: land, standardise, check each
feed-day; one dbt build; publish), without Airflow, on a temporary home: nothing is shared with
the session's Airflow home, and the run happens once for the whole folder. The days straddle
the end of August so that two months, and so a manifest chain, exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from customs.settings import Settings, load_settings

START, DAYS = date(2026, 8, 30), 4  # 30 Aug - 2 Sep: declarations on 31 Aug, 1 and 2 Sep
AUGUST, SEPTEMBER = "2026-08", "2026-09"


@dataclass(frozen=True)
class ReportHome:
    settings: Settings
    landing: Path
    packages: dict[str, list]  # month -> [PackageResult]


def run_days(settings: Settings, landing: Path, start: date, days: int) -> None:
    """Each day through land, standardise and check, as the daily DAG's tasks do."""
    from customs.assets import FEED_NAMES
    from customs.pipeline import check_feed, land_feed, standardize_feed

    for offset in range(days):
        day = start + timedelta(days=offset)
        for feed in FEED_NAMES:
            land_feed(settings, feed, day, landing)
            standardize_feed(settings, feed, day)
            check_feed(settings, feed, day)


@pytest.fixture(scope="package")
def report_home(tmp_path_factory: pytest.TempPathFactory) -> ReportHome:
    from customs.generator import generate
    from customs.pipeline import build_marts, publish
    from customs.reports import build_month
    from customs.reports.data import connect, jurisdictions

    home = tmp_path_factory.mktemp("reports-home")
    settings = load_settings({"CUSTOMS_HOME": str(home), "CUSTOMS_PSEUDONYM_KEY": "reports-key"})
    generated = generate(home / "sample", START, DAYS, seed=11, scale=0.15)
    run_days(settings, generated.landing_dir, START, DAYS)
    build_marts(settings, full_refresh=True)
    publish(settings)
    # Every September package; August only for one jurisdiction with data in both months,
    # built afterwards: a backfill, which must re-link September's manifest to it.
    september = build_month(settings, SEPTEMBER)
    with connect(settings.published_path) as con:
        in_august = set(jurisdictions(con, AUGUST))
    chained = [p.jurisdiction for p in september if p.jurisdiction in in_august][:1]
    packages = {AUGUST: build_month(settings, AUGUST, chained), SEPTEMBER: september}
    return ReportHome(settings=settings, landing=generated.landing_dir, packages=packages)
