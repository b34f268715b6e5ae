"""An analyst's open connection on the published snapshot during a build and publish.

The build must succeed (the reader holds the snapshot, never the build file), the publish must
swap the new snapshot in, and the open connection keeps reading the old, consistent data until
it reconnects. Runs the pipeline steps as plain functions on a home of its own (no Airflow).
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import duckdb
import pytest

from customs.assets import FEED_NAMES
from customs.generator import generate
from customs.pipeline import build_marts, land_feed, publish, standardize_feed
from customs.settings import load_settings

START = date(2026, 9, 1)
COUNTS = (
    "select (select count(*) from marts.fct_customs_valuation), "
    "(select count(*) from marts.fct_risk_scores), "
    "(select coalesce(sum(item_count), 0) from marts.rpt_valuation_monthly)"
)


def _run_days(settings, landing, days):
    """Land and standardise (the feed checks are not what this test is about)."""
    for day in days:
        for feed in FEED_NAMES:
            land_feed(settings, feed, day, landing)
            standardize_feed(settings, feed, day)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("readers-home")
    settings = load_settings({"CUSTOMS_HOME": str(root), "CUSTOMS_PSEUDONYM_KEY": "readers"})
    generated = generate(root / "sample", START, 3, seed=3, scale=0.1)
    _run_days(settings, generated.landing_dir, [START, START + timedelta(days=1)])
    build_marts(settings, full_refresh=True)
    publish(settings)
    return settings, generated.landing_dir


def test_open_reader_keeps_its_snapshot_during_build_and_publish(home):
    settings, landing = home
    reader = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        before = reader.execute(COUNTS).fetchone()
        assert before[0] > 0 and before[0] == before[2]  # items valued = items summarised

        _run_days(settings, landing, [START + timedelta(days=2)])
        outcome: dict = {}

        def build_and_publish():
            try:
                outcome["build"] = build_marts(settings)
                outcome["published"] = publish(settings)
            except Exception as exc:  # reported below, with the reader's view
                outcome["error"] = exc

        worker = threading.Thread(target=build_and_publish)
        worker.start()
        seen = set()
        while worker.is_alive():
            seen.add(reader.execute(COUNTS).fetchone())
            worker.join(timeout=0.2)
        seen.add(reader.execute(COUNTS).fetchone())

        assert "error" not in outcome, outcome.get("error")
        assert outcome["published"] == str(settings.published_path)
        assert seen == {before}  # never a half-built mart, never the new data
    finally:
        reader.close()

    with duckdb.connect(str(settings.published_path), read_only=True) as fresh:
        after = fresh.execute(COUNTS).fetchone()
    assert after[0] > before[0] and after[0] == after[2]
