"""The benchmark's stages, each run in its own process: ``python -m bench.stages <stage> <json>``.

Every stage works on the bench's CUSTOMS_HOME (set by the parent) and prints one JSON line
with what it processed. The pipeline stages call the same functions as the Airflow tasks
(``customs.pipeline``), one call per feed and day, in order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH_FEEDS = ("orders", "declarations")
"""The feeds the floor and the pandas baseline are compared on (order lines, declaration items)."""


def _days(args: dict[str, Any]) -> list[date]:
    start = date.fromisoformat(args["start"])
    return [start + timedelta(days=i) for i in range(int(args["days"]))]


def _settings():
    from customs.settings import load_settings

    return load_settings()


def generate(args: dict[str, Any]) -> dict[str, Any]:
    """``customs generate --scale`` in windows of ``chunk_days`` (bounded generator memory)."""
    start = date.fromisoformat(args["start"])
    days, chunk = int(args["days"]), int(args.get("chunk_days") or args["days"])
    customs = Path(sys.executable).with_name("customs")
    for first in range(0, days, chunk):
        window = min(chunk, days - first)
        subprocess.run(
            [
                str(customs),
                "generate",
                "--out",
                args["out"],
                "--start",
                (start + timedelta(days=first)).isoformat(),
                "--days",
                str(window),
                "--seed",
                str(args.get("seed", 42)),
                "--scale",
                str(args["scale"]),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return {"rows": count_source_rows(Path(args["out"]) / "landing")}


def count_source_rows(landing: Path) -> dict[str, int]:
    """Rows per feed in the generated files (CSV or JSON lines)."""
    import polars as pl

    rows = {}
    for feed_dir in sorted(p for p in landing.iterdir() if p.is_dir()):
        csv, jsonl = sorted(feed_dir.glob("*/*.csv")), sorted(feed_dir.glob("*/*.jsonl"))
        count = 0
        if csv:
            count += pl.scan_csv(csv, infer_schema=False).select(pl.len()).collect().item()
        if jsonl:
            count += sum(sum(1 for line in p.open() if line.strip()) for p in jsonl)
        rows[feed_dir.name] = int(count)
    return rows


def day_rows(landing: Path, days: list[date]) -> dict[str, dict[str, int]]:
    """Declaration items and order lines in the generated files of each of ``days``."""
    import polars as pl

    counts: dict[str, dict[str, int]] = {}
    for day in days:
        counts[day.isoformat()] = {
            feed: pl.scan_csv(files, infer_schema=False).select(pl.len()).collect().item()
            if (files := sorted((landing / feed / day.isoformat()).glob("*.csv")))
            else 0
            for feed in BENCH_FEEDS
        }
    return counts


def land(args: dict[str, Any]) -> dict[str, Any]:
    from customs.pipeline import land_feed

    settings, files = _settings(), 0
    for day in _days(args):
        for feed in args["feeds"]:
            files += land_feed(settings, feed, day, Path(args["source"]))["files"]
    return {"files": files}


def standardise(args: dict[str, Any]) -> dict[str, Any]:
    from customs.pipeline import standardize_feed

    settings = _settings()
    totals = {"rows_read": 0, "rows_standardized": 0, "rows_rejected": 0}
    for day in _days(args):
        for feed in args["feeds"]:
            result = standardize_feed(settings, feed, day)
            for k in totals:
                totals[k] += result[k]
    return totals


def _landed_csv(settings, feed: str, day: date) -> list[Path]:
    from transforms.storage import landing_day_dir

    return sorted(landing_day_dir(settings, feed, day).glob("*.csv"))


def floor(args: dict[str, Any]) -> dict[str, Any]:
    """A plain Polars scan → sink_parquet copy of the same landed files, no transformation."""
    import polars as pl

    settings, out, rows = _settings(), Path(args["out"]), 0
    out.mkdir(parents=True, exist_ok=True)
    for day in _days(args):
        for feed in args["feeds"]:
            for path in _landed_csv(settings, feed, day):
                target = out / f"{feed}-{day}-{path.stem[:16]}.parquet"
                pl.scan_csv(path).sink_parquet(target)
                rows += pl.scan_parquet(target).select(pl.len()).collect().item()
    return {"rows_read": rows}


def pandas_baseline(args: dict[str, Any]) -> dict[str, Any]:
    from bench.pandas_baseline import standardize_file

    settings, out = _settings(), Path(args["out"])
    good = bad = 0
    for day in _days(args):
        for feed in args["feeds"]:
            for path in _landed_csv(settings, feed, day):
                g, b = standardize_file(path, feed, day, settings.pseudonym_key, out / feed)
                good, bad = good + g, bad + b
    return {"rows_read": good + bad, "rows_standardized": good, "rows_rejected": bad}


FEED_CHECK_WORKERS = 2
"""Feed-days checked at once. The daily DAG checks each feed in its own task and the executor
runs them side by side; Great Expectations validates on one core, so the bench runs the checks
as two worker processes (one per core of the benchmark machine)."""


def _check_feed_day(feed: str, day: date) -> int:
    from customs.pipeline import check_feed

    return check_feed(_settings(), feed, day)["evaluated"]


def feed_checks(args: dict[str, Any]) -> dict[str, Any]:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    jobs = [(feed, day) for day in _days(args) for feed in args["feeds"]]
    workers = int(args.get("workers", FEED_CHECK_WORKERS))
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        evaluated = sum(pool.map(_check_feed_day, *zip(*jobs, strict=True)))
    return {"expectations_evaluated": evaluated, "workers": workers}


def dbt_build(args: dict[str, Any]) -> dict[str, Any]:
    from bench.critical_path import critical_path
    from customs.pipeline import build_marts

    settings = _settings()
    result = build_marts(settings, full_refresh=bool(args.get("full_refresh")))
    run_results = json.loads((settings.dbt_target_dir / "run_results.json").read_text())
    parent_map = json.loads((settings.dbt_target_dir / "manifest.json").read_text())["parent_map"]
    timings = run_results["results"]
    slowest = sorted(timings, key=lambda r: r.get("execution_time") or 0, reverse=True)
    by_kind: dict[str, float] = {}
    for r in timings:  # node time by resource type (model, test, seed, unit_test)
        kind = r["unique_id"].split(".")[0]
        by_kind[kind] = round(by_kind.get(kind, 0.0) + (r.get("execution_time") or 0), 2)
    return {
        "dbt_seconds": result["seconds"],
        "rebuilt_from": result["rebuilt_from"],  # None: a full refresh
        "fct_customs_valuation": result["row_counts"].get("marts.fct_customs_valuation"),
        "slowest_nodes": [[r["unique_id"], round(r["execution_time"], 2)] for r in slowest[:8]],
        # every node over 0.25 s, to compare days node by node
        "node_seconds": {
            r["unique_id"]: round(r["execution_time"], 2)
            for r in slowest
            if (r.get("execution_time") or 0) > 0.25
        },
        "node_seconds_by_kind": by_kind,
        # the chain of nodes that set the build's length (bench.critical_path)
        "critical_path": [
            [node, round(start, 2), round(seconds, 2)]
            for node, start, seconds in critical_path(run_results, parent_map)
        ],
        "nodes": len(timings),
    }


def risk_model(args: dict[str, Any]) -> dict[str, Any]:
    from customs.pipeline import rebuilt_since, score_risk_model

    settings = _settings()
    return score_risk_model(settings, since=rebuilt_since(settings))


def stage_mart_checks(args: dict[str, Any]) -> dict[str, Any]:
    """The mart checks' read of the build file, as the marts DAG's ``stage_checks`` task."""
    from customs.pipeline import rebuilt_since
    from customs.pipeline import stage_mart_checks as stage

    settings = _settings()
    since = rebuilt_since(settings)
    return {"staged": stage(settings, since=since), "since": since.isoformat() if since else None}


def mart_checks(args: dict[str, Any]) -> dict[str, Any]:
    """The mart suites: on the copies ``stage_mart_checks`` made (``staged``), as the marts
    DAG's ``check`` task, or reading the build file first (without it)."""
    from customs.pipeline import check_marts, rebuilt_since, validate_marts

    settings = _settings()
    interval = date.fromisoformat(args["interval"])
    run_id = f"bench__{interval.isoformat()}"
    if "staged" in args:  # never the build file then: the risk model may be writing it
        if not args["staged"]:
            raise RuntimeError("nothing staged to check: stage_mart_checks failed")
        return {"suites": len(validate_marts(settings, args["staged"], interval, run_id)["suites"])}
    since = rebuilt_since(settings)
    result = check_marts(settings, interval, run_id, since=since)
    return {"suites": len(result["suites"]), "since": since.isoformat() if since else None}


def prepare_publish(args: dict[str, Any]) -> dict[str, Any]:
    """The marts DAG's ``prepare_publish``: the copy and the staged export, beside the checks."""
    from customs.pipeline import prepare_publish as prepare

    return {"prepared": prepare(_settings())}


def publish(args: dict[str, Any]) -> dict[str, Any]:
    """Swap the prepared snapshot in (or, with none prepared, prepare and swap: the scale
    benches publish in one stage)."""
    from customs.pipeline import publish as publish_snapshot

    return {"published": publish_snapshot(_settings())}


STAGES = {
    f.__name__: f
    for f in (
        generate,
        land,
        standardise,
        floor,
        pandas_baseline,
        feed_checks,
        dbt_build,
        risk_model,
        stage_mart_checks,
        mart_checks,
        prepare_publish,
        publish,
    )
}


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``), or that of the
    largest process it waited for (dbt), whichever is larger.

    ``ru_maxrss`` of the process itself is not used: Linux carries it over ``exec`` from the
    forked parent, so it would report the benchmark driver's size.
    """
    import resource

    hwm_kb = next(
        int(line.split()[1])
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(hwm_kb, children_kb) / 1024


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # the build's and the snapshot's breakdowns (publish: checkpoint, export, copy)
    for name in ("customs.warehouse", "customs.snapshot"):
        logging.getLogger(name).setLevel(logging.INFO)
    stage, args = sys.argv[1], json.loads(sys.argv[2])
    if not os.environ.get("CUSTOMS_HOME"):
        sys.exit("bench stages need CUSTOMS_HOME (the bench sets it): refusing the default home")
    began = time.perf_counter()
    info = STAGES[stage](args)
    info["inner_s"] = round(time.perf_counter() - began, 3)
    info["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(info, default=str))


if __name__ == "__main__":
    main()
