"""The benchmark report's incremental section: every run is a column, the ratios are right."""

from __future__ import annotations

from bench.report import incremental_section

STAGES = ("land", "dbt_build", "publish")


def _run(cpu: float) -> list[dict]:
    return [
        {"stage": s, "wall_s": cpu / 2, "cpu_s": cpu, "peak_rss_mb": 100.0, "ok": True}
        for s in STAGES
    ]


def test_incremental_section_compares_day_30_with_day_1_and_the_first_full_day() -> None:
    inc = {
        "scale": 5.0,
        "history_days": 30,
        "full_day": 6,
        "source_rows": {"declarations": 1000, "orders": 2000},
        "day_rows": {"2026-09-01": {"declarations": 10, "orders": 50}},
        "first_day": _run(2.0),
        "ramp_up": _run(8.0),
        "full_volume_day": _run(4.0),
        "history": _run(60.0),
        "last_day": _run(5.0),
        "full_refresh_dbt": {"wall_s": 9.0, "cpu_s": 18.0, "peak_rss_mb": 900.0},
    }
    text = "\n".join(incremental_section(inc))
    assert "| stage | day 1 | days 2-5 | day 6 | days 7-29 | day 30 |" in text
    assert "| dbt_build | 1.0 (2.0) | 4.0 (8.0) | 2.0 (4.0) | 30.0 (60.0) | 2.5 (5.0) |" in text
    assert "day 30 / day 1: **2.50x** wall, **2.50x** CPU" in text  # 15 / 6
    assert "day 30 / day 6 (both at full volume, 5 vs 29 days of history)" in text
    assert "**1.25x** CPU" in text  # 15 / 12
    assert "2026-09-01: 10 items, 50 order lines" in text
