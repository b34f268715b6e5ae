"""``python -m bench``: generate scale data, time every stage, write docs/benchmarks.md.

    python -m bench --scales 1M,10M --runs 3 [--home /tmp/customs-bench] [--window-days 5]

For each scale (declaration items), a window of ``--window-days`` days is generated (larger
scales in several windows of the same size, so the generator never holds more than about 1M
items); each run then works in a fresh CUSTOMS_HOME under the bench home and times, each in its
own process: land, standardise (order lines and declarations; the other feeds), the floor
(a plain Polars CSV → Parquet copy of the same files), the pandas baseline, feed checks, dbt
build, mart checks and publish. The incremental experiment runs a 30-day history once, with
day 1 and day 30 repeated from copies of the run home (``--incremental-repeats``).
Data stays under the bench home (default /tmp/customs-bench; never in the repository).
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

from bench.measure import Measurement, child_env, run_side_by_side, run_stage
from bench.report import write_report
from bench.stages import BENCH_FEEDS, count_source_rows, day_rows

ALL_FEEDS = ("orders", "declarations", "warehouse_receipts", "warehouse_dispatches", "inspections")
OTHER_FEEDS = tuple(f for f in ALL_FEEDS if f not in BENCH_FEEDS)
START = date(2026, 9, 1)
LEAD_IN_DAYS = 5
"""Days of order lines delivered before the incremental experiment's day 1 (declarations follow
their orders by 1-5 days, so a sample's first days hold few declarations)."""
REPO = Path(__file__).resolve().parent.parent


def parse_scale(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * factor)


def calibrate(home: Path, window_days: int, seed: int) -> float:
    """Declaration items per unit of generator scale in one window (measured at scale 1)."""
    out = home / "calibration"
    if not out.exists():
        m = run_stage(
            "generate",
            {
                "out": str(out),
                "start": START.isoformat(),
                "days": window_days,
                "scale": 1.0,
                "seed": seed,
            },
            child_env(home / "calibration-home"),
            home / "bench.log",
        )
        if not m.ok:
            raise RuntimeError(f"calibration failed: {m.error}")
    return count_source_rows(out / "landing")["declarations"]


def stage_plan(
    source: Path, days: int, floor_out: Path, pandas_out: Path
) -> list[tuple[str, str, dict]]:
    span = {"start": START.isoformat(), "days": days}
    last = (START + timedelta(days=days - 1)).isoformat()
    return [
        ("land", "land", {**span, "feeds": ALL_FEEDS, "source": str(source / "landing")}),
        ("standardise", "standardise", {**span, "feeds": BENCH_FEEDS}),
        ("standardise_other_feeds", "standardise", {**span, "feeds": OTHER_FEEDS}),
        ("floor", "floor", {**span, "feeds": BENCH_FEEDS, "out": str(floor_out)}),
        ("pandas", "pandas_baseline", {**span, "feeds": BENCH_FEEDS, "out": str(pandas_out)}),
        ("feed_checks", "feed_checks", {**span, "feeds": ALL_FEEDS}),
        ("dbt_build", "dbt_build", {"full_refresh": True}),
        ("risk_model", "risk_model", {}),
        ("mart_checks", "mart_checks", {"interval": last}),
        ("publish", "publish", {}),
    ]


def run_scale(
    home: Path,
    items: int,
    per_scale: float,
    window_days: int,
    runs: int,
    seed: int,
    only: set[str] | None = None,
    on_run: Callable[[dict], None] | None = None,
) -> dict:
    label = f"{items / 1e6:g}M"
    root = home / label
    source = root / "sample"
    per_window = min(items, 1_000_000)
    windows = max(1, round(items / per_window))
    scale = round(per_window / per_scale, 3)
    days = window_days * windows
    log = root / "bench.log"
    generated = None
    if not (source / "landing").is_dir():
        generated = run_stage(
            "generate",
            {
                "out": str(source),
                "start": START.isoformat(),
                "days": days,
                "chunk_days": window_days,
                "scale": scale,
                "seed": seed,
            },
            child_env(root / "gen-home"),
            log,
        )
        if not generated.ok:
            raise RuntimeError(f"generate {label} failed: {generated.error}")
    rows = count_source_rows(source / "landing")
    all_runs: list[list[dict]] = []
    summary = {
        "label": label,
        "items_target": items,
        "generator_scale": scale,
        "windows": windows,
        "days": days,
        "source_rows": rows,
        "generate": asdict(generated) if generated else None,
        "runs": all_runs,
    }
    for run in range(runs):
        run_home = root / f"run-{run + 1}"
        shutil.rmtree(run_home, ignore_errors=True)
        env = child_env(run_home)
        results = []
        for name, stage, args in stage_plan(source, days, run_home / "floor", run_home / "pandas"):
            if only and name not in only:
                continue
            m = run_stage(stage, args, env, log)
            results.append({**asdict(m), "stage": name})
            print(
                f"{label} run {run + 1} {name}: {m.wall_s:.1f}s wall, {m.cpu_s:.1f}s cpu, "
                f"{m.peak_rss_mb:.0f} MB{'' if m.ok else ' FAILED ' + m.error}",
                flush=True,
            )
        all_runs.append(results)
        if on_run:
            on_run(summary)
        if run_home.exists() and run + 1 < runs:
            shutil.rmtree(run_home, ignore_errors=True)
    return summary


def run_incremental(
    home: Path, scale: float, seed: int, history_days: int = 30, repeats: int = 3
) -> dict:
    """A lead-in of order lines, then day 1 alone, days 2..N-1 as history, day N alone, then a
    full refresh.

    Day 1 and day N are each run ``repeats`` times from a copy of the run home taken just
    before them, alternately (day 1, day N, day 1, day N, ...), so that each day-1 run has a
    day-N run next to it in time: this shared machine's speed moves by 10-40 % within the hour,
    and one run of each day cannot decide a ratio of 1.3. The full refresh runs last, on the
    state the last day-N run left.
    """
    root = home / "incremental"
    source = root / "sample"
    log = root / "bench.log"
    first_generated = START - timedelta(days=LEAD_IN_DAYS)
    wanted = {
        "start": first_generated.isoformat(),
        "days": LEAD_IN_DAYS + history_days,
        "scale": scale,
        "seed": seed,
        "lead_in": "declarations: warehouse entries only",
    }
    marker = source / "generated.json"
    if not marker.exists() or json.loads(marker.read_text()) != wanted:
        shutil.rmtree(source, ignore_errors=True)
        m = run_stage("generate", {"out": str(source), **wanted}, child_env(root / "gen-home"), log)
        if not m.ok:
            raise RuntimeError(f"generate incremental failed: {m.error}")
        keep_warehouse_entries_only(source / "landing", first_generated, LEAD_IN_DAYS)
        marker.write_text(json.dumps(wanted))
    run_home = root / "run"
    shutil.rmtree(run_home, ignore_errors=True)
    env = child_env(run_home)

    def day_run(first: date, days: int, feeds: tuple[str, ...] = ALL_FEEDS) -> list[dict]:
        """The stages of one daily run, in the order of the DAGs: after the checks' staging,
        the risk model then the snapshot's preparation, side by side with the mart checks'
        validation, as customs_marts runs them (a run's total counts the time they share once:
        ``side_by_side_wall_s``), then publish, which swaps the prepared snapshot in."""
        span = {"start": first.isoformat(), "days": days, "feeds": feeds}
        last = (first + timedelta(days=days - 1)).isoformat()
        out: list[dict] = []

        def record(m: Measurement, **extra: float) -> Measurement:
            out.append({**asdict(m), **extra})
            print(
                f"incremental {first}+{days}d {m.stage}: {m.wall_s:.1f}s"
                f"{'' if m.ok else ' FAILED'}",
                flush=True,
            )
            return m

        for stage, args in (
            ("land", {**span, "source": str(source / "landing")}),
            ("standardise", span),
            ("feed_checks", span),
            ("dbt_build", {"full_refresh": False}),
        ):
            record(run_stage(stage, args, env, log))
        staged = record(run_stage("stage_mart_checks", {}, env, log)).info.get("staged")
        side_by_side, together = run_side_by_side(
            [
                [("risk_model", {}), ("prepare_publish", {})],
                [("mart_checks", {"interval": last, "staged": staged})],
            ],
            env,
            log,
            run=run_stage,
        )
        for m in side_by_side:
            record(m, side_by_side_wall_s=together)
        record(run_stage("publish", {}, env, log))
        return out

    def one_day(day: date) -> list[dict]:
        run = day_run(day, 1)
        rebuilt_only(run, day)
        return run

    # Declarations follow their orders by 1-5 days: the days before day 1 are delivered first
    # with their order lines, warehouse feeds and warehouse entries but no parcels, as when a
    # team starts with a back-filled marketplace feed and the stock already in its overseas
    # warehouses. Day 1 is then at full volume with no parcel history.
    last = START + timedelta(days=history_days - 1)
    before_first, before_last = root / "before-day-1", root / f"before-day-{history_days}"
    lead_in = day_run(first_generated, LEAD_IN_DAYS)
    copy_home(run_home, before_first)
    first_days = [one_day(START)]
    history = day_run(START + timedelta(days=1), history_days - 2)
    copy_home(run_home, before_last)
    last_days = [one_day(last)]
    for _ in range(repeats - 1):
        copy_home(before_first, run_home)
        first_days.append(one_day(START))
        copy_home(before_last, run_home)
        last_days.append(one_day(last))
    for snapshot in (before_first, before_last):
        shutil.rmtree(snapshot, ignore_errors=True)
    refresh = run_stage("dbt_build", {"full_refresh": True}, env, log)
    return {
        "scale": scale,
        "history_days": history_days,
        "lead_in_days": LEAD_IN_DAYS,
        "source_rows": count_source_rows(source / "landing"),
        "day_rows": day_rows(source / "landing", [START, START + timedelta(days=history_days - 1)]),
        "lead_in": lead_in,
        "first_days": first_days,
        "history": history,
        "last_days": last_days,
        "full_refresh_dbt": {**asdict(refresh), "stage": "dbt_build_full_refresh"},
    }


def copy_home(source: Path, target: Path) -> None:
    """Replace ``target`` by a full copy of the run home ``source`` (DuckDB files, Parquet and
    the build record are rewritten in place by a daily run, so no file is shared). The copy
    keeps each file's modification time (``copy2``), which the build plan compares with the
    build record to find the days to rebuild: ``rebuilt_only`` checks that it did."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)


def rebuilt_only(run: list[dict], day: date) -> None:
    """A run of one day must have rebuilt that day only: a build from an earlier day (a copy
    that changed what the build plan compares) would time more than the day's work."""
    build = next(s for s in run if s["stage"] == "dbt_build")
    rebuilt = (build.get("info") or {}).get("rebuilt_from")
    if build["ok"] and rebuilt != day.isoformat():
        raise RuntimeError(f"the run of {day} rebuilt from {rebuilt}, not from its own day")


def keep_warehouse_entries_only(landing: Path, first: date, days: int) -> None:
    """The lead-in days' declarations files keep only the warehouse entries (procedure WH):
    the lots they import are sold from day 1 on, while the parcels of those days would be a
    ramp-up of history before day 1."""
    import polars as pl

    for offset in range(days):
        folder = landing / "declarations" / (first + timedelta(days=offset)).isoformat()
        files = list(folder.glob("*"))
        if not files or any(path.suffix != ".csv" for path in files):
            raise RuntimeError(f"expected the generator's declarations CSV files in {folder}")
        for path in files:
            rows = pl.read_csv(path, infer_schema=False)
            rows.filter(pl.col("procedure") == "WH").write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1M,10M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runs-large", type=int, default=1, help="runs at scales above 1M")
    parser.add_argument("--window-days", type=int, default=5)
    parser.add_argument(
        "--large-stages",
        default="",
        help="above 1M, run only these stages (comma-separated; default: all)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--home", type=Path, default=Path("/tmp/customs-bench"))
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument(
        "--incremental-repeats",
        type=int,
        default=3,
        help="runs of day 1 and of day 30 in the incremental experiment (medians reported)",
    )
    parser.add_argument("--report", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument(
        "--merge", type=Path, nargs="*", default=[], help="other results.json files to report"
    )
    parser.add_argument("--idle", help="was the machine otherwise idle? (noted in the report)")
    args = parser.parse_args()
    home: Path = args.home.resolve()
    if REPO in home.parents or home == REPO:
        parser.error("the bench home must be outside the repository")
    home.mkdir(parents=True, exist_ok=True)
    results_path = home / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results.setdefault("scales", {})
    if args.idle:
        results["idle"] = args.idle
    per_scale = calibrate(home, args.window_days, args.seed)
    results["items_per_scale_unit"] = per_scale
    for other in args.merge:
        merged = json.loads(other.read_text())
        results["scales"].update(merged.get("scales", {}))
        if merged.get("incremental"):
            results["incremental"] = merged["incremental"]

    def save(scale: dict | None = None, text: str = "") -> None:
        if scale is not None:
            results["scales"][text] = scale
        results_path.write_text(json.dumps(results, indent=1, default=str))
        write_report(results, args.report)

    for text in filter(None, args.scales.split(",")):
        items = parse_scale(text)
        large = items > 1_000_000
        runs = args.runs_large if large else args.runs
        only = set(args.large_stages.split(",")) if large and args.large_stages else None
        scale = run_scale(
            home,
            items,
            per_scale,
            args.window_days,
            runs,
            args.seed,
            only,
            on_run=lambda summary, text=text: save(summary, text),
        )
        save(scale, text)
    if not args.skip_incremental:
        # the 1M window's scale / 6 over 30 days (about 1.8M items, 60k a day)
        results["incremental"] = run_incremental(
            home,
            round(1_000_000 / per_scale * args.window_days / 30, 3),
            args.seed,
            repeats=args.incremental_repeats,
        )
    save()
    print(f"results: {results_path}\nreport: {args.report}")


if __name__ == "__main__":
    main()
