"""Run one benchmark stage in a fresh child process and measure it.

Wall time from the parent; CPU time (user + system) from the child's resource usage
(``os.wait4``), which includes the processes it started and waited for (dbt runs as such a
grandchild). Peak memory is reported by the child itself (``bench.stages.peak_rss_mb``): the
largest resident set of the child or of any process it waited for, not a sum.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Measurement:
    stage: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    ok: bool
    info: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def run_stage(stage: str, args: dict[str, Any], env: dict[str, str], log: Path) -> Measurement:
    """``python -m bench.stages <stage> <json args>``; its last stdout line is a JSON result."""
    command = [sys.executable, "-m", "bench.stages", stage, json.dumps(args)]
    log.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with log.open("ab") as err:
        err.write(f"\n== {stage} {json.dumps(args)}\n".encode())
        err.flush()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=err)
        assert process.stdout is not None
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = out.decode().strip().splitlines()
    info: dict[str, Any] = {}
    if lines:
        try:
            info = json.loads(lines[-1])
        except json.JSONDecodeError:
            info = {}
    ok = process.returncode == 0
    return Measurement(
        stage=stage,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        # the child's own account (see bench.stages.peak_rss_mb); ru_maxrss as a fallback
        peak_rss_mb=float(info.get("peak_rss_mb") or usage.ru_maxrss / 1024),
        ok=ok,
        info=info,
        error="" if ok else f"exit code {process.returncode}; see {log}",
    )


def run_side_by_side(
    chains: list[list[tuple[str, dict[str, Any]]]],
    env: dict[str, str],
    log: Path,
    run: Callable[..., Measurement] = run_stage,
) -> tuple[list[Measurement], float]:
    """Start every chain at once, each stage in its own process and a chain's stages one after
    another (as the marts DAG runs the risk model, then the snapshot's preparation, beside the
    mart checks), and wait for all; returns each stage's measurement (its own wall and CPU
    time), in the order given, and the wall time until the last one ended."""

    def one_after_another(chain: list[tuple[str, dict[str, Any]]]) -> list[Measurement]:
        return [run(stage, args, env, log) for stage, args in chain]

    began = time.perf_counter()
    with ThreadPoolExecutor(len(chains)) as pool:
        futures = [pool.submit(one_after_another, chain) for chain in chains]
        measured = [m for future in futures for m in future.result()]
    return measured, time.perf_counter() - began


def child_env(home: Path) -> dict[str, str]:
    """The environment of every stage: the bench's own CUSTOMS_HOME and a fixed key."""
    env = dict(os.environ)
    env["CUSTOMS_HOME"] = str(home)
    env.setdefault("CUSTOMS_PSEUDONYM_KEY", "benchmark-only-key")
    env["PYTHONWARNINGS"] = "ignore"
    return env
