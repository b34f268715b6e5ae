"""The benchmark's incremental experiment: day 1 and day 30 repeated from the same starting
state; the report's columns, medians and ratios."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import bench.__main__ as bench_main
from bench.measure import Measurement
from bench.report import _total, incremental_section

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


def _incremental(**days: Any) -> dict:
    """Results of an incremental experiment: a lead-in of cost 1, the history of cost 60, and
    ``days`` (day_rows and the day-1 and day-30 runs)."""
    return {
        "scale": 5.0,
        "history_days": 30,
        "lead_in_days": 5,
        "source_rows": {"declarations": 1000, "orders": 2000},
        "lead_in": _run(1.0),
        "history": _run(60.0),
        "full_refresh_dbt": {"wall_s": 9.0, "cpu_s": 18.0, "peak_rss_mb": 900.0},
        **days,
    }


def test_incremental_section_reports_medians_of_the_repeated_days() -> None:
    inc = _incremental(
        day_rows={},
        # totals (wall = cpu / 2 per stage, 3 stages): 6, 12, 7.5 on day 1; 9, 15, 9 on day 30
        first_days=[
            _run(4.0, {"model.customs.fct_risk_scores": 0.5}),
            _run(8.0, {"model.customs.fct_risk_scores": 0.9}),
            _run(5.0, {}),
        ],
        last_days=[
            _run(6.0, {"model.customs.fct_risk_scores": 1.5}),
            _run(10.0, {"model.customs.fct_risk_scores": 2.5}),
            _run(6.0, {"model.customs.fct_risk_scores": 1.0}),
        ],
    )
    text = "\n".join(incremental_section(inc))
    assert (
        "| stage | lead-in (5 days, no parcels) | day 1 (median of 3) | days 2-29 "
        "| day 30 (median of 3) |" in text
    )
    # each stage's median: day 1 wall 2.5 (of 2, 4, 2.5), day 30 wall 3.0 (of 3, 5, 3)
    assert "| dbt_build | 0.5 (1.0) | 2.5 (5.0) | 30.0 (60.0) | 3.0 (6.0) |" in text
    # medians of the totals: 7.5 and 9.0 wall, 15 and 18 CPU
    assert "**1.20x** wall, **1.20x** CPU" in text
    assert "6.0 → 9.0 (1.50x); 12.0 → 15.0 (1.25x); 7.5 → 9.0 (1.20x)" in text
    # node medians: 0.5 on day 1 (0.5, 0.9, missing), 1.5 on day 30 (1.5, 2.5, 1.0)
    assert "fct_risk_scores 0.5 → 1.5" in text


@dataclass
class FakeStages:
    """``run_stage`` without the pipeline: ``land`` appends its first day to ``days.txt`` in
    the run home, and every ``dbt_build`` records what the home held when it ran."""

    builds: list[tuple[str, bool]] = field(default_factory=list)
    rebuilt_from: str | None = None  # a build plan that always starts on this day
    checked: list[Any] = field(default_factory=list)  # the folder each mart check validated
    # the risk model and the mart checks each wait here for the other: run one after the
    # other, they would time out
    side_by_side: threading.Barrier = field(
        default_factory=lambda: threading.Barrier(2, timeout=10)
    )
    risk_model_done: int = 0
    # at each snapshot preparation, the risk model runs that had ended
    prepared_after: list[int] = field(default_factory=list)

    def __call__(self, stage: str, args: dict[str, Any], env: dict, log: Path) -> Any:
        if stage == "prepare_publish":
            self.prepared_after.append(self.risk_model_done)
        home = Path(env["CUSTOMS_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        days = home / "days.txt"
        if stage == "land":
            with days.open("a") as out:
                out.write(f"{args['start']}+{args['days']}\n")
        info: dict[str, Any] = {}
        if stage == "stage_mart_checks":
            info["staged"] = str(home / "staged")
        if stage in ("risk_model", "mart_checks"):
            self.side_by_side.wait()
        if stage == "risk_model":
            self.risk_model_done += 1
        if stage == "mart_checks":
            self.checked.append(args.get("staged"))
        if stage == "dbt_build":
            self.builds.append((days.read_text(), args["full_refresh"]))
            # as the build plan does: from the first day landed since the last build
            info["rebuilt_from"] = self.rebuilt_from or days.read_text().split()[-1][:10]
        return Measurement(stage, 1.0, 1.0, 10.0, True, info)


def _sample(home: Path) -> None:
    """A generated sample as run_incremental expects it (marker only: the stages are fake)."""
    landing = home / "incremental" / "sample" / "landing"
    landing.mkdir(parents=True)
    wanted = {
        "start": "2026-08-27",
        "days": 35,
        "scale": 1.0,
        "seed": 7,
        "lead_in": "declarations: warehouse entries only",
    }
    (landing.parent / "generated.json").write_text(json.dumps(wanted))


def test_day_1_and_day_30_rerun_from_the_state_before_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sample(tmp_path)
    fake = FakeStages()
    monkeypatch.setattr(bench_main, "run_stage", fake)

    result = bench_main.run_incremental(tmp_path, 1.0, 7, history_days=30, repeats=3)

    lead_in, day_1 = "2026-08-27+5\n", "2026-09-01+1\n"
    before_30 = lead_in + day_1 + "2026-09-02+28\n"
    day_30 = before_30 + "2026-09-30+1\n"
    assert fake.builds == [
        (lead_in, False),
        (lead_in + day_1, False),
        (before_30, False),
        (day_30, False),
        (lead_in + day_1, False),  # day 1 again, from the copy taken before it
        (day_30, False),  # day 30 again: its first run's effects are gone
        (lead_in + day_1, False),
        (day_30, False),
        (day_30, True),  # the full refresh, on the last day-30 state
    ]
    assert len(result["first_days"]) == len(result["last_days"]) == 3
    # as customs_marts runs them: the checks' copy, then the risk model and the snapshot's
    # preparation after it, beside the checks
    assert [s["stage"] for s in result["last_days"][0]] == [
        "land",
        "standardise",
        "feed_checks",
        "dbt_build",
        "stage_mart_checks",
        "risk_model",
        "prepare_publish",
        "mart_checks",
        "publish",
    ]
    assert fake.prepared_after == list(range(1, 9))  # each after its own run's risk model
    run_homes = {str(tmp_path / "incremental" / "run" / "staged")}
    assert set(fake.checked) == run_homes and len(fake.checked) == 8  # every daily run
    assert not (tmp_path / "incremental" / "before-day-1").exists()
    assert not (tmp_path / "incremental" / "before-day-30").exists()


def test_incremental_section_compares_day_30_with_day_1() -> None:
    inc = _incremental(
        day_rows={"2026-09-01": {"declarations": 10, "orders": 50}},
        first_day=_run(4.0, {"model.customs.fct_risk_scores": 0.5}),
        last_day=_run(
            5.0, {"model.customs.fct_risk_scores": 1.5, "model.customs.dim_importer": 0.75}
        ),
    )
    text = "\n".join(incremental_section(inc))
    # a bench from before the repeated days: one run of each
    assert (
        "| stage | lead-in (5 days, no parcels) | day 1 (one run) | days 2-29 "
        "| day 30 (one run) |" in text
    )
    assert "| dbt_build | 0.5 (1.0) | 2.0 (4.0) | 30.0 (60.0) | 2.5 (5.0) |" in text
    # 7.5 / 6 wall, 15 / 12 CPU
    assert "day 30 / day 1 (both at full volume, 29 days of history vs none; medians" in text
    assert "Day 1 and day 30 ran once each." in text
    assert "**1.25x** wall, **1.25x** CPU" in text
    assert "2026-09-01: 10 items, 50 order lines" in text
    # growth: fct_risk_scores +1.0, dim_importer +0.5 (under 0.25 s on day 1: not recorded)
    assert "fct_risk_scores 0.5 → 1.5, dim_importer <0.25 → 0.8" in text


def test_results_of_an_older_bench_ask_for_a_new_run() -> None:
    text = "\n".join(incremental_section({"history_days": 30, "first_day": []}))
    assert "run it again" in text


def test_a_run_that_rebuilt_more_than_its_day_stops_the_bench(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sample(tmp_path)
    monkeypatch.setattr(bench_main, "run_stage", FakeStages(rebuilt_from="2026-08-27"))
    with pytest.raises(RuntimeError, match="rebuilt from 2026-08-27, not from its own day"):
        bench_main.run_incremental(tmp_path, 1.0, 7, history_days=30, repeats=2)


def test_a_runs_total_counts_the_stages_side_by_side_once() -> None:
    def stage(name: str, wall: float, together: float | None = None) -> dict:
        extra = {"side_by_side_wall_s": together} if together else {}
        return {"stage": name, "wall_s": wall, "cpu_s": wall, "ok": True, "info": {}, **extra}

    run = [
        stage("dbt_build", 10.0),
        stage("risk_model", 3.0, together=4.5),
        stage("mart_checks", 4.0, together=4.5),
        stage("publish", 1.0),
    ]
    assert _total(run) == 15.5  # 10 + 4.5 (until the later of the two ended) + 1
    assert _total(run, "cpu_s") == 18.0  # CPU adds up whatever ran at once
