"""DAG integrity: every DAG file imports cleanly, quickly, and without heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

from customs.airflow_local import DAGS_FOLDER, load_dags
from customs.assets import FEED_NAMES

# Checks whose failure is a property of the data: they fail at once, without retries.
DATA_QUALITY_GATES = {("customs_daily", "check"), ("customs_marts", "check")}

HEAVY = ("polars", "duckdb", "great_expectations", "dbt", "pandas", "pyarrow")


def test_every_dag_file_imports_without_errors():
    dags = load_dags()
    assert set(dags) == {"customs_daily", "customs_marts", "customs_monthly"}
    files = {p.stem for p in DAGS_FOLDER.glob("*.py")}
    assert files == set(dags), "DAG id must equal its file name"


def test_dags_have_docs_owner_and_retries():
    for dag in load_dags().values():
        assert dag.doc_md and len(dag.doc_md) > 100
        for task in dag.tasks:
            assert task.owner == "customs-data"
            if (dag.dag_id, task.task_id) in DATA_QUALITY_GATES:
                assert task.retries == 0  # the data will not change on a retry
            else:
                assert task.retries >= 1


def test_duckdb_writers_share_the_one_slot_pool():
    """Every task that opens the build file holds the pool; the mart checks' validation reads
    only the copies staged before it, so it runs beside the risk model, which writes."""
    marts = load_dags()["customs_marts"]
    in_pool = {t.task_id for t in marts.tasks if t.pool == "duckdb_writer"}
    assert in_pool == {"build", "stage_checks", "risk_model", "prepare_publish", "publish"}
    assert marts.get_task("check").pool != "duckdb_writer"
    assert marts.get_task("stage_checks").upstream_task_ids == {"build"}
    assert marts.get_task("check").upstream_task_ids == {"stage_checks"}
    assert marts.get_task("risk_model").upstream_task_ids == {"stage_checks"}
    assert marts.get_task("prepare_publish").upstream_task_ids == {"risk_model"}
    assert marts.get_task("publish").upstream_task_ids == {"check", "prepare_publish"}


def test_daily_dag_covers_every_feed_and_emits_the_asset():
    daily = load_dags()["customs_daily"]
    assert daily.get_task("announce").outlets
    outlets = daily.get_task("standardize").outlets
    assert [getattr(o, "name", None) for o in outlets] == ["customs_standardized_feed_day"]
    assert daily.get_task("land").retries >= 1 and daily.get_task("standardize").retries >= 1
    # One standardisation task per landed file, then one partition swap per feed-day (which
    # also runs when the day delivered no file at all, so its checks still run).
    per_file = daily.get_task("standardize_file")
    assert per_file.retries >= 1 and "files" in per_file.upstream_task_ids
    commit = daily.get_task("standardize")
    assert "standardize_file" in commit.upstream_task_ids
    assert commit.trigger_rule == "none_failed"
    assert daily.get_task("check").upstream_task_ids == {"standardize"}
    from transforms.schemas import FEED_NAMES as CONTRACT_FEEDS

    assert tuple(FEED_NAMES) == tuple(CONTRACT_FEEDS)


def test_dag_files_do_not_import_heavy_libraries_at_top_level():
    probe = (
        "import json, runpy, sys\n"
        f"for path in {[str(p) for p in sorted(DAGS_FOLDER.glob('*.py'))]!r}:\n"
        "    runpy.run_path(path)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_landed_files_are_batched_by_size_without_losing_any(tmp_path):
    """The daily DAG maps standardisation over at most FILE_BATCHES batches, balanced by size."""
    from customs.assets import FILE_BATCHES
    from customs.pipeline import batch_landed_files

    refs = []
    for i, size in enumerate([900, 10, 500, 400, 20, 30, 600, 5]):
        path = tmp_path / f"f{i}"
        path.write_bytes(b"x" * size)
        refs.append(
            {"feed": "orders", "source_file": f"f{i}", "sha256": f"h{i}", "landed_path": str(path)}
        )

    batches = batch_landed_files(refs, FILE_BATCHES)
    assert len(batches) == FILE_BATCHES
    assert sorted(r["sha256"] for b in batches for r in b) == sorted(r["sha256"] for r in refs)
    totals = sorted(
        sum(int(r["landed_path"] and (tmp_path / r["source_file"]).stat().st_size) for r in b)
        for b in batches
    )
    assert totals[-1] == 900  # the largest file alone; the others share the rest
    assert batch_landed_files(refs[:2], FILE_BATCHES) == [[refs[0]], [refs[1]]]
    assert batch_landed_files([], FILE_BATCHES) == []
