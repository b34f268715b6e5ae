"""The benchmark report's incremental section: every run is a column, the ratios are right."""

from __future__ import annotations

from bench.report import incremental_section

STAGES = ("land", "dbt_build", "publish")


def _run(cpu: float, nodes: dict[str, float] | None = None) -> list[dict]:
    return [
        {
            "stage": s,
            "wall_s": cpu / 2,
            "cpu_s": cpu,
            "peak_rss_mb": 100.0,
            "ok": True,
            "info": {"node_seconds": nodes or {}} if s == "dbt_build" else {},
        }
        for s in STAGES
    ]


def test_incremental_section_compares_day_30_with_day_1() -> None:
    inc = {
        "scale": 5.0,
        "history_days": 30,
        "lead_in_days": 5,
        "source_rows": {"declarations": 1000, "orders": 2000},
        "day_rows": {"2026-09-01": {"declarations": 10, "orders": 50}},
        "lead_in": _run(1.0),
        "first_day": _run(4.0, {"model.customs.fct_risk_scores": 0.5}),
        "history": _run(60.0),
        "last_day": _run(
            5.0, {"model.customs.fct_risk_scores": 1.5, "model.customs.dim_importer": 0.75}
        ),
        "full_refresh_dbt": {"wall_s": 9.0, "cpu_s": 18.0, "peak_rss_mb": 900.0},
    }
    text = "\n".join(incremental_section(inc))
    assert "| stage | lead-in (5 days, no parcels) | day 1 | days 2-29 | day 30 |" in text
    assert "| dbt_build | 0.5 (1.0) | 2.0 (4.0) | 30.0 (60.0) | 2.5 (5.0) |" in text
    # 7.5 / 6 wall, 15 / 12 CPU
    assert "day 30 / day 1 (both at full volume, 29 days of history vs none)" in text
    assert "**1.25x** wall, **1.25x** CPU" in text
    assert "2026-09-01: 10 items, 50 order lines" in text
    # growth: fct_risk_scores +1.0, dim_importer +0.5 (under 0.25 s on day 1: not recorded)
    assert "fct_risk_scores 0.5 → 1.5, dim_importer <0.25 → 0.8" in text


def test_results_of_an_older_bench_ask_for_a_new_run() -> None:
    text = "\n".join(incremental_section({"history_days": 30, "first_day": []}))
    assert "run it again" in text
