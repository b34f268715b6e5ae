"""`customs run`: every day of a range through the real Airflow DAGs, then the marts.

Each day is one `customs_daily` run (`dag.test()`, in this process, no scheduler needed) for the
data interval `[day, day + 1)`; the marts DAG then builds, checks and publishes once. Airflow's
own console output goes to a log file under CUSTOMS_HOME/logs so the terminal shows progress.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from customs.settings import Settings

DAILY_DAG_ID = "customs_daily"
MARTS_DAG_ID = "customs_marts"


class RunFailed(RuntimeError):
    """A DAG run did not succeed; the message names the run, the failed tasks and the log."""


@dataclass
class RunResult:
    days: list[date]
    seconds: float
    log_path: Path
    dag_runs: list[str] = field(default_factory=list)


def days_between(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def interval_logical_date(day: date) -> datetime:
    """The logical date that gives a manual run the data interval [day, day + 1).

    A manual run of a data-interval timetable covers the last complete period before its
    logical date, so the run for `day` is triggered at the following midnight.
    """
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


@contextlib.contextmanager
def output_to_file(path: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (file descriptors, so Airflow's handlers too) to a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as log_file:
        os.dup2(log_file.fileno(), 1)
        os.dup2(log_file.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _failed_tasks(dag_run) -> list[str]:
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = dag_run.get_task_instances(session=session)
        return [
            f"{ti.task_id}{f'[{ti.map_index}]' if ti.map_index >= 0 else ''}={ti.state}"
            for ti in tis
            if ti.state not in ("success", "skipped")
        ]


def _run_dag(dag, logical_date: datetime, conf: dict, log_path: Path) -> str:
    dag_run = dag.test(logical_date=logical_date, run_after=logical_date, run_conf=conf)
    if dag_run is None or str(dag_run.state) != "success":
        failed = _failed_tasks(dag_run) if dag_run is not None else []
        raise RunFailed(
            f"{dag.dag_id} run for data interval {logical_date - timedelta(days=1):%Y-%m-%d} ended "
            f"{getattr(dag_run, 'state', 'without a run')}; failed tasks: "
            f"{', '.join(failed) or 'none recorded'}. Task logs: {log_path}"
        )
    return dag_run.run_id


def run_range(
    settings: Settings,
    source_dir: Path,
    start: date,
    end: date,
    on_step: Callable[[str], None] | None = None,
    full_refresh: bool = False,
) -> RunResult:
    """Run the daily DAG for each day from start to end (inclusive), then the marts DAG once."""
    from customs import airflow_local

    days = days_between(start, end)
    if not source_dir.is_dir():
        raise FileNotFoundError(f"source folder {source_dir} does not exist")
    step = on_step or (lambda _msg: None)
    started = time.perf_counter()
    log_path = settings.logs_dir / f"run-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.log"
    result = RunResult(days=days, seconds=0.0, log_path=log_path)

    airflow_local.configure_environment(settings)
    with output_to_file(log_path):
        step("preparing Airflow metadata DB")
        airflow_local.ensure_metadata_db(settings)
        dags = airflow_local.load_dags()
        airflow_local.ensure_pools()
        conf = {"source_dir": str(source_dir)}
        for day in days:
            step(f"daily run {day}")
            result.dag_runs.append(
                _run_dag(dags[DAILY_DAG_ID], interval_logical_date(day), conf, log_path)
            )
        step("marts: dbt build, mart checks, publish")
        result.dag_runs.append(
            _run_dag(
                dags[MARTS_DAG_ID],
                interval_logical_date(end),
                {"full_refresh": full_refresh},
                log_path,
            )
        )
    result.seconds = time.perf_counter() - started
    return result
