"""Write the measured figures into docs/benchmarks.md, between two markers.

Only the text between ``<!-- bench:begin -->`` and ``<!-- bench:end -->`` is generated; the rest
of the page (where the time goes, what was changed) is written by people and kept.
"""

from __future__ import annotations

import os
import platform
import statistics
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PIPELINE = ("standardise", "feed_checks", "dbt_build")
PACKAGES = ("polars", "duckdb", "dbt-core", "dbt-duckdb", "great-expectations", "pandas", "pyarrow")


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in PACKAGES)
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024**2:.1f} GiB",
        "os": f"{platform.system()} {platform.release()} ({_os_name()})",
        "python": platform.python_version(),
        "versions": versions,
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return "unknown"


def _stats(runs: list[list[dict]], stage: str) -> dict[str, float] | None:
    found = [r for run in runs for r in run if r["stage"] == stage and r["ok"]]
    if not found:
        return None
    walls = [r["wall_s"] for r in found]
    return {
        "n": len(found),
        "wall": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "cpu": statistics.median(r["cpu_s"] for r in found),
        "rss": max(r["peak_rss_mb"] for r in found),
    }


def _failed(runs: list[list[dict]], stage: str) -> list[str]:
    return [r["error"] for run in runs for r in run if r["stage"] == stage and not r["ok"]]


def scale_section(scale: dict[str, Any]) -> list[str]:
    rows = scale["source_rows"]
    items, lines = rows.get("declarations", 0), rows.get("orders", 0)
    out = [
        f"### {scale['label']} declaration items",
        "",
        f"Generated: {items:,} declaration items, {lines:,} order lines, "
        + ", ".join(f"{rows[f]:,} {f}" for f in rows if f not in ("declarations", "orders"))
        + f" over {scale['days']} days ({scale['windows']} window(s) of "
        f"{scale['days'] // scale['windows']} days, generator scale {scale['generator_scale']})"
        + (
            f"; generation took {scale['generate']['wall_s']:.0f} s, peak "
            f"{scale['generate']['peak_rss_mb']:,.0f} MB."
            if scale.get("generate")
            else "."
        ),
        "",
        "| stage | runs | wall median (s) | spread min-max (s) | CPU median (s) | peak RSS (MB) "
        "| rows/s (items + lines) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    stages = [r["stage"] for r in scale["runs"][0]] if scale["runs"] else []
    for stage in stages:
        s = _stats(scale["runs"], stage)
        if s is None:
            out.append(
                f"| {stage} | 0 | failed: {'; '.join(_failed(scale['runs'], stage))} | | | | |"
            )
            continue
        rate = (items + lines) / s["wall"] if stage in (*PIPELINE, "floor", "pandas") else None
        out.append(
            f"| {stage} | {s['n']} | {s['wall']:.1f} | {s['min']:.1f}-{s['max']:.1f} "
            f"| {s['cpu']:.1f} | {s['rss']:,.0f} | {f'{rate:,.0f}' if rate else ''} |"
        )
    stats = {st: _stats(scale["runs"], st) for st in stages}
    out.append("")
    if all(stats.get(st) for st in PIPELINE):
        total = sum(stats[st]["wall"] for st in PIPELINE)
        fastest = sum(stats[st]["min"] for st in PIPELINE)
        cpu = sum(stats[st]["cpu"] for st in PIPELINE)
        out.append(
            f"- standardise + feed checks + dbt build (order lines and declarations standardised; "
            f"all five feeds checked): **{total:.1f} s** (sum of medians; fastest runs "
            f"{fastest:.1f} s; CPU {cpu:.1f} s)."
        )
    if stats.get("standardise") and stats.get("floor"):
        out.append(
            f"- standardisation / floor: **{stats['standardise']['wall'] / stats['floor']['wall']:.2f}x**"
            f" (wall; fastest runs {stats['standardise']['min'] / stats['floor']['min']:.2f}x;"
            f" CPU {stats['standardise']['cpu'] / stats['floor']['cpu']:.2f}x)."
        )
    if stats.get("standardise") and stats.get("pandas"):
        out.append(
            f"- pandas / standardisation: **{stats['pandas']['wall'] / stats['standardise']['wall']:.2f}x**"
            f" (wall; fastest runs {stats['pandas']['min'] / stats['standardise']['min']:.2f}x;"
            f" CPU {stats['pandas']['cpu'] / stats['standardise']['cpu']:.2f}x)."
        )
    peak = max((s["rss"] for s in stats.values() if s), default=0)
    out.append(f"- largest peak RSS of any stage: **{peak:,.0f} MB**.")
    slow = next(
        (
            r["info"].get("slowest_nodes")
            for run in scale["runs"]
            for r in run
            if r["stage"] == "dbt_build" and r["ok"]
        ),
        None,
    )
    if slow:
        out.append(
            "- slowest dbt nodes (first run, `run_results.json`): "
            + ", ".join(f"`{_node(n)}` {t:.1f} s" for n, t in slow[:8])
            + "."
        )
    out.append("")
    return out


def _node(unique_id: str) -> str:
    """``model.customs.x`` → ``x``; a test's id ends in a hash: keep its name instead."""
    parts = unique_id.split(".")
    return f"test {parts[-2]}" if parts[0] == "test" and len(parts) > 3 else parts[-1]


def _total(stages: list[dict], key: str = "wall_s") -> float:
    """A run's total: the sum of its stages' CPU time, or its wall time, where stages run
    side by side (``side_by_side_wall_s``: the time until the last of them ended) count once."""
    if key != "wall_s":
        return sum(s[key] for s in stages)
    alone = sum(s[key] for s in stages if "side_by_side_wall_s" not in s)
    together = max(
        (s["side_by_side_wall_s"] for s in stages if "side_by_side_wall_s" in s), default=0.0
    )
    return alone + together


def _median_totals(runs: list[list[dict]]) -> tuple[float, float]:
    """The median over ``runs`` of each run's total wall and CPU time."""
    return (
        statistics.median(_total(r) for r in runs),
        statistics.median(_total(r, "cpu_s") for r in runs),
    )


def _median_run(runs: list[list[dict]]) -> list[dict]:
    """One run whose every stage holds the median wall and CPU of that stage over ``runs``,
    and the median of each dbt node's time (a run records only nodes over 0.25 s: a node
    missing from a run counts as 0 in the median, and a median under 0.25 s is left out,
    as a run would)."""
    out = []
    for stages in zip(*runs, strict=True):
        stage = dict(stages[0])
        stage["wall_s"] = statistics.median(s["wall_s"] for s in stages)
        stage["cpu_s"] = statistics.median(s["cpu_s"] for s in stages)
        stage["ok"] = all(s["ok"] for s in stages)
        if "side_by_side_wall_s" in stage:
            stage["side_by_side_wall_s"] = statistics.median(
                s["side_by_side_wall_s"] for s in stages
            )
        if stage["stage"] == "dbt_build":
            nodes = [_node_seconds([s]) for s in stages]
            keys = {k for n in nodes for k in n}
            medians = {k: statistics.median(n.get(k, 0.0) for n in nodes) for k in keys}
            stage["info"] = {"node_seconds": {k: v for k, v in medians.items() if v >= 0.25}}
        out.append(stage)
    return out


def incremental_section(inc: dict[str, Any]) -> list[str]:
    if "lead_in" not in inc:  # results of a bench from before the lead-in
        return ["### Incremental", "", "Results of an older bench: run it again.", ""]
    rows, n, lead = inc["source_rows"], inc["history_days"], inc["lead_in_days"]
    # benches before the repeated days ran each day once
    firsts = inc.get("first_days") or [inc["first_day"]]
    lasts = inc.get("last_days") or [inc["last_day"]]
    first, last = _median_run(firsts), _median_run(lasts)
    repeated_days = len(firsts) > 1
    repeats = f"median of {len(firsts)}" if repeated_days else "one run"
    repeated = (
        f"Day 1 and day {n} each ran {len(firsts)} times from a copy of the run home taken "
        f"just before them, alternately (day 1, day {n}, day 1, ...); the table holds each "
        "stage's median."
        if repeated_days
        else f"Day 1 and day {n} ran once each."
    )
    runs = [
        (f"lead-in ({lead} days, no parcels)", inc["lead_in"]),
        (f"day 1 ({repeats})", first),
        (f"days 2-{n - 1}", inc["history"]),
        (f"day {n} ({repeats})", last),
    ]
    per_day = inc.get("day_rows", {})
    volumes = "; ".join(
        f"{day}: {c.get('declarations', 0):,} items, {c.get('orders', 0):,} order lines"
        for day, c in per_day.items()
    )
    out = [
        f"### Incremental: day {n} on top of {n - 1} days",
        "",
        f"{rows.get('declarations', 0):,} declaration items and {rows.get('orders', 0):,} order "
        f"lines over {n} days and a lead-in (generator scale {inc['scale']}). Each daily run, as "
        "the DAGs run it: land, standardise and check all five feeds for the day, `dbt build` "
        "(incremental), the mart checks' copy of what they read (stage_mart_checks), then "
        "side by side the risk model (the blocks from the first rebuilt day) followed by the "
        "snapshot's preparation (prepare_publish: the copy of the build file and the staged "
        "Parquet export), and the mart checks (the rebuilt days; a run's total counts the time "
        "they share once), then publish (the prepared snapshot swapped in). Every stage in its "
        "own process. Declarations "
        f"follow their orders by 1-5 days, so the {lead} days before day 1 are delivered first "
        "with their order lines, warehouse feeds and warehouse entries but no parcels (a "
        "back-filled marketplace feed and the stock already in the warehouses), and day 1 is "
        f"at full volume with no parcel history ({volumes}). {repeated} Wall (CPU) in s.",
        "",
        "| stage | " + " | ".join(label for label, _ in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for stages in zip(*(r for _, r in runs), strict=True):
        flag = "" if all(s["ok"] for s in stages) else " (a run failed, see bench.log)"
        out.append(
            f"| {stages[0]['stage']}{flag} | "
            + " | ".join(f"{s['wall_s']:.1f} ({s['cpu_s']:.1f})" for s in stages)
            + " |"
        )
    totals = [_median_totals(r) for r in ([inc["lead_in"]], firsts, [inc["history"]], lasts)]
    out.append(
        "| **total** (of each run; median) | "
        + " | ".join(f"**{wall:.1f} ({cpu:.1f})**" for wall, cpu in totals)
        + " |"
    )
    (first_wall, first_cpu), (last_wall, last_cpu) = totals[1], totals[3]
    refresh = inc["full_refresh_dbt"]
    dbt_last = next(s for s in last if s["stage"] == "dbt_build")
    out += [
        "",
        f"- day {n} / day 1 (both at full volume, {n - 1} days of history vs none; medians "
        f"of the totals): **{last_wall / first_wall:.2f}x** wall, "
        f"**{last_cpu / first_cpu:.2f}x** CPU.",
    ]
    if repeated_days:
        out.append(
            f"- each run, in the order run (day 1 → day {n}, wall s): "
            + "; ".join(
                f"{_total(a):.1f} → {_total(b):.1f} ({_total(b) / _total(a):.2f}x)"
                for a, b in zip(firsts, lasts, strict=False)
            )
            + "."
        )
    out += [
        f"- `dbt build --full-refresh` over all {n} days: {refresh['wall_s']:.1f} s "
        f"({refresh['cpu_s']:.1f} s CPU, peak {refresh['peak_rss_mb']:,.0f} MB) vs "
        f"{dbt_last['wall_s']:.1f} s ({dbt_last['cpu_s']:.1f} s CPU) incremental on day {n}.",
    ]
    out += node_growth(first, last, n)
    out += path_growth(firsts, lasts, n)
    out.append("")
    return out


def _median_build(runs: list[list[dict]]) -> dict | None:
    """The dbt_build stage of the run whose build took the median wall time."""
    builds = sorted(
        (s for run in runs for s in run if s["stage"] == "dbt_build"), key=lambda s: s["wall_s"]
    )
    return builds[(len(builds) - 1) // 2] if builds else None


def path_growth(
    firsts: list[list[dict]], lasts: list[list[dict]], n: int, top: int = 8
) -> list[str]:
    """The critical path of the dbt build (bench.critical_path) on day 1 and day N, each from
    the run with the median build, and the models on day N's path that took longest."""
    builds = [_median_build(runs) for runs in (firsts, lasts)]
    paths = [((b or {}).get("info") or {}).get("critical_path") for b in builds]
    if not paths[0] or not paths[1]:
        return []

    def summary(path: list) -> str:
        models = [step for step in path if step[0].startswith("model.")]
        tests = [step for step in path if step[0].startswith("test.")]
        span = path[-1][1] + path[-1][2]
        return (
            f"{len(models)} models ({sum(s[2] for s in models):.1f} s) and {len(tests)} data "
            f"tests ({sum(s[2] for s in tests):.1f} s) one after another, the last ending "
            f"{span:.1f} s after the first node started"
        )

    before = {node: seconds for node, _, seconds in paths[0]}
    slowest = sorted((s for s in paths[1] if s[0].startswith("model.")), key=lambda s: -s[2])
    return [
        f"- critical path of the dbt build (the chain of nodes each waiting for the one "
        f"before, from the run with the median build): day 1 {summary(paths[0])}; day {n} "
        f"{summary(paths[1])}. Longest models on day {n}'s path (s, day 1 in brackets, - "
        "when off day 1's path): "
        + ", ".join(
            f"{_node(node)} {seconds:.1f} ({f'{before[node]:.1f}' if node in before else '-'})"
            for node, _, seconds in slowest[:top]
        )
        + "."
    ]


def node_growth(first: list[dict], last: list[dict], n: int, top: int = 10) -> list[str]:
    """The dbt nodes whose time grew most from day 1 to day N (``node_seconds`` keeps nodes
    over 0.25 s: a node missing on day 1 counts as 0.25 and shows as <0.25)."""
    nodes = [_node_seconds(run) for run in (first, last)]
    if not nodes[1]:
        return []
    growth = sorted(
        ((nodes[1][k] - nodes[0].get(k, 0.25), k) for k in nodes[1]),
        reverse=True,
    )[:top]

    def before(k: str) -> str:
        return f"{nodes[0][k]:.1f}" if k in nodes[0] else "<0.25"

    return [
        f"- dbt nodes that grew most, day 1 → day {n} (s; medians): "
        + ", ".join(f"{_node(k)} {before(k)} → {nodes[1][k]:.1f}" for _, k in growth)
        + "."
    ]


def _node_seconds(stages: list[dict]) -> dict[str, float]:
    build = next((s for s in stages if s["stage"] == "dbt_build"), None)
    return ((build or {}).get("info") or {}).get("node_seconds") or {}


def render(results: dict[str, Any]) -> str:
    m = machine()
    lines = [
        BEGIN,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` on: {m['cpu']}, "
        f"{m['cores']} cores, {m['ram']} RAM, {m['os']}, Python {m['python']}; {m['versions']}. "
        f"Load average when the report was written: {m['load']}. Machine otherwise idle: "
        f"{results.get('idle', 'unknown')}.",
        "",
    ]
    for scale in results.get("scales", {}).values():
        lines += scale_section(scale)
    if results.get("incremental"):
        lines += incremental_section(results["incremental"])
    lines.append(END)
    return "\n".join(lines)


def write_report(results: dict[str, Any], path: Path) -> None:
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + render(results) + tail)
