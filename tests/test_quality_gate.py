"""End to end: a critical feed expectation fails in a real daily run and keeps the day out.

Generated feeds for 2026-10-05..07 go through the real DAGs (``run_range``, Airflow
``dag.test``). One declaration row of 2026-10-06 gets a gross mass of 250,000 kg: standardisation
accepts it (a mass is only required to be non-negative there), the feed suite's critical range
check (0 to 100,000 kg) does not. The run must stop naming the failed task, the day's
declarations partition must be in the quarantine (out of every marts build), the published
snapshot and the build file must be untouched, and a rerun of the day with the fixed source must
restore the partition.

State: Airflow reads its configuration once per process, so this test shares the session's
``CUSTOMS_HOME`` (and Airflow home) with ``tests/test_end_to_end.py``: a second CUSTOMS_HOME
would need a second Airflow home, which ``configure_environment`` refuses in one process (and the
tasks read CUSTOMS_HOME from the environment). It therefore uses its own dates (October, the
end-to-end test uses September), never reaches the marts DAG (the incremental valuation mart
would otherwise move its watermark past September), and removes everything it wrote for its
dates afterwards, so the other test passes before or after it.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from customs import airflow_local, pipeline
from customs.assets import FEED_NAMES
from customs.generator import generate
from customs.runner import RunFailed, run_range
from customs.settings import Settings

pytestmark = pytest.mark.e2e

START, END = date(2026, 10, 5), date(2026, 10, 7)
BAD_DAY = date(2026, 10, 6)
DAYS = [START + timedelta(days=i) for i in range((END - START).days + 1)]
MASS = "250000"


def _fingerprint(path: Path) -> tuple[str, int] | None:
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def _corrupt_mass(path: Path) -> str:
    """Set the gross mass of the first data row to MASS; return the original text."""
    original = path.read_text(encoding="utf-8")
    rows = list(csv.reader(original.splitlines()))
    rows[1][rows[0].index("gross_mass_kg")] = MASS
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return original


def _cleanup(settings: Settings) -> None:
    """Remove every partition this test wrote for its days (the session home is shared)."""
    for day in DAYS:
        part = f"date={day.isoformat()}"
        folders = [settings.audit_dir / "dq_results" / s / part for s in _suites(settings)]
        for feed in FEED_NAMES:
            folders += [
                settings.standardized_dir / feed / part,
                settings.rejects_dir / feed / part,
                settings.audit_dir / "file_loads" / feed / part,
                settings.manifest_dir / feed / part,
                settings.landing_dir / feed / day.isoformat(),
                settings.home / "quarantine" / feed / part,
            ]
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _suites(settings: Settings) -> list[str]:
    root = settings.audit_dir / "dq_results"
    return [p.name for p in root.iterdir() if p.is_dir()] if root.is_dir() else []


@pytest.fixture(scope="module")
def gate_run(session_settings, tmp_path_factory):
    settings = session_settings
    before = {
        "published": _fingerprint(settings.published_path),
        "build": _fingerprint(settings.warehouse_path),
    }
    generated = generate(tmp_path_factory.mktemp("gate-source"), START, len(DAYS), seed=11,
                         scale=0.15)  # fmt: skip
    bad_file = generated.landing_dir / "declarations" / BAD_DAY.isoformat() / "declarations.csv"
    original = _corrupt_mass(bad_file)
    try:
        with pytest.raises(RunFailed) as raised:
            run_range(settings, generated.landing_dir, START, END)
        yield settings, generated, raised.value, before, bad_file, original
    finally:
        _cleanup(settings)


def test_the_run_stops_naming_the_failed_check(gate_run):
    _, _, failure, _, _, _ = gate_run
    message = str(failure)
    assert f"customs_daily run for data interval {BAD_DAY} ended failed" in message, message
    check = f"check[{list(FEED_NAMES).index('declarations')}]=failed"
    assert check in message, message
    # The other feeds' checks passed; only the declarations check failed, announce did not run.
    assert message.count("=failed") == 1, message
    assert "announce=upstream_failed" in message, message


def test_the_failed_feed_day_is_quarantined_and_the_rest_stays(gate_run):
    settings, _, _, _, _, _ = gate_run
    part = f"date={BAD_DAY.isoformat()}"
    quarantined = settings.home / "quarantine" / "declarations" / part
    assert not (settings.standardized_dir / "declarations" / part).exists()
    masses = pl.read_parquet(quarantined / "*.parquet")["gross_mass_kg"]
    assert masses.cast(pl.Float64).max() == float(MASS)
    # Only the feed that failed is held back; the day before passed and stays.
    for feed in FEED_NAMES:
        if feed != "declarations":
            assert (settings.standardized_dir / feed / part).is_dir(), feed
            assert not (settings.home / "quarantine" / feed / part).exists(), feed
    assert any((settings.standardized_dir / "declarations" / f"date={START}").glob("*.parquet"))
    # The failure is recorded in audit/dq_results, naming the expectation and the column.
    results = pl.read_parquet(
        settings.audit_dir / "dq_results/feed_declarations" / part / "*.parquet"
    ).filter(~pl.col("success"))
    assert results.select("expectation_type", "column", "severity", "unexpected_count").rows() == [
        ("expect_column_values_to_be_between", "gross_mass_kg", "critical", 1)
    ]


def test_nothing_was_published_or_built(gate_run):
    settings, _, _, before, _, _ = gate_run
    assert _fingerprint(settings.published_path) == before["published"]
    assert _fingerprint(settings.warehouse_path) == before["build"]


def test_a_rerun_after_fixing_the_source_restores_the_partition(gate_run):
    """The daily DAG's task functions, in order, for the bad day (the marts are not built here:
    see the module docstring)."""
    settings, generated, _, _, bad_file, original = gate_run
    bad_file.write_text(original, encoding="utf-8")
    part = f"date={BAD_DAY.isoformat()}"

    pipeline.land_feed(settings, "declarations", BAD_DAY, generated.landing_dir)
    counts = pipeline.standardize_feed(settings, "declarations", BAD_DAY)
    result = pipeline.check_feed(settings, "declarations", BAD_DAY)

    assert result["suite"] == "feed_declarations"
    assert not (settings.home / "quarantine" / "declarations" / part).exists()
    restored = pl.read_parquet(settings.standardized_dir / "declarations" / part / "*.parquet")
    assert restored.height == counts["rows_standardized"] > 0
    assert restored["gross_mass_kg"].cast(pl.Float64).max() < 100_000


def test_a_failed_mart_check_keeps_the_previous_snapshot():
    """``publish`` (the only task that changes what readers see under ``published/``: the
    snapshot's preparation writes only its ``.next/`` folder) runs only when the mart checks
    passed.

    The mart checks themselves raising on a critical failure is covered with real GX runs in
    ``tests/expectations``; here, that nothing else lets ``publish`` run after a failed check.
    """
    marts = airflow_local.load_dags()["customs_marts"]
    publish = marts.get_task("publish")
    assert publish.upstream_task_ids == {"check", "prepare_publish"}
    assert str(publish.trigger_rule) in ("all_success", "TriggerRule.ALL_SUCCESS")
    assert marts.get_task("prepare_publish").upstream_task_ids == {"risk_model"}
    assert marts.get_task("check").upstream_task_ids == {"stage_checks"}
    assert marts.get_task("risk_model").upstream_task_ids == {"stage_checks"}
    assert marts.get_task("stage_checks").upstream_task_ids == {"build"}
