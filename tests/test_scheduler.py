"""A real scheduler: `customs airflow start` on a temporary CUSTOMS_HOME runs customs_daily for
one day, triggered and watched through the Airflow 3 REST API (/api/v2 with a JWT).

Bounded in time (start-up 25-50 s and the run 90-150 s on a busy 2-core machine; the test
fails after DEADLINE seconds) and always stops every process it started (task processes
included) and removes its folder, even on failure.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from customs import airflow_server
from customs.generator import generate
from customs.settings import load_settings

pytestmark = pytest.mark.e2e

DAY = date(2026, 9, 1)
DEADLINE = 240.0
DAG_ID = "customs_daily"


class Api:
    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        token = self.call("POST", "/auth/token", {"username": username, "password": password})
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **getattr(self, "headers", {})},
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())


def _wait(what: str, until: float, probe):
    while time.monotonic() < until:
        try:
            value = probe()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def airflow_home():
    home = Path(tempfile.mkdtemp(prefix="customs-scheduler-"))
    settings = load_settings({"CUSTOMS_HOME": str(home), "CUSTOMS_PSEUDONYM_KEY": "test-key"})
    try:
        yield settings
    finally:
        airflow_server.stop(settings, timeout=15)
        shutil.rmtree(home, ignore_errors=True)


def test_scheduler_runs_the_daily_dag_for_one_day(airflow_home):
    settings = airflow_home
    until = time.monotonic() + DEADLINE
    generate(settings.home / "sample", DAY, 1, seed=7, scale=0.1)
    source_dir = settings.home / "sample" / "landing"

    info = airflow_server.start(
        settings, port=airflow_server.free_port(), timeout=120, schedule=False
    )
    assert set(airflow_server.running(settings)) == set(airflow_server.COMPONENTS)
    assert info.password, f"no generated password in {info.passwords_file}"
    api = Api(info.url, info.username, info.password)

    _wait("the DAG processor to parse customs_daily", until, lambda: _dag_exists(api))
    api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    run = api.call(
        "POST",
        f"/api/v2/dags/{DAG_ID}/dagRuns",
        {
            "dag_run_id": f"test_{DAY}",
            "logical_date": f"{DAY}T00:00:00Z",
            "data_interval_start": f"{DAY}T00:00:00Z",
            "data_interval_end": f"{DAY + timedelta(days=1)}T00:00:00Z",
            "conf": {"source_dir": str(source_dir)},
        },
    )
    run_path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}"

    def finished():
        state = api.call("GET", run_path)["state"]
        return state if state in ("success", "failed") else None

    state = _wait("the daily run to finish", until, finished)
    tasks = api.call("GET", f"{run_path}/taskInstances?limit=100")["task_instances"]
    assert state == "success", [(t["task_id"], t["map_index"], t["state"]) for t in tasks]
    assert {t["task_id"] for t in tasks} >= {"land", "standardize", "check", "announce"}
    assert all(t["state"] == "success" for t in tasks)

    orders = settings.standardized_dir / "orders" / f"date={DAY}"
    assert pl.scan_parquet(orders / "*.parquet").select(pl.len()).collect().item() > 0

    assert set(airflow_server.stop(settings)) == set(airflow_server.COMPONENTS)
    assert airflow_server.running(settings) == {}
    assert _processes_using(settings.home) == []  # task processes too


def _processes_using(home: Path) -> list[str]:
    """Processes (other than this one) whose CUSTOMS_HOME is ``home``."""
    import psutil

    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get("CUSTOMS_HOME") == str(home):
                found.append(f"{proc.pid} {' '.join(proc.cmdline())}")
        except psutil.Error:
            continue
    return found


def _dag_exists(api: Api) -> bool:
    try:
        return api.call("GET", f"/api/v2/dags/{DAG_ID}")["dag_id"] == DAG_ID
    except urllib.error.HTTPError:
        return False
