"""The build record's `unpublished_from`: days rebuilt since the last publish are not skipped
by the steps after the build when a marts run failed after its build."""

from __future__ import annotations

from datetime import date

from customs.settings import load_settings
from customs.warehouse import BuildPlan, _write_build_record, last_build, mark_published

D1, D2, D3 = date(2026, 9, 10), date(2026, 9, 12), date(2026, 9, 14)


def _plan(day: date | None) -> BuildPlan:
    return BuildPlan(rebuilt_from=day, lots_revalued_from=None, reason="test", partitions={})


def test_unpublished_days_accumulate_until_a_publish(tmp_path) -> None:
    settings = load_settings({"CUSTOMS_HOME": str(tmp_path)})
    settings.warehouse_path.parent.mkdir(parents=True)
    settings.warehouse_path.touch()
    assert last_build(settings).unpublished_from is None  # nothing recorded: everything

    _write_build_record(settings, _plan(D2))
    assert last_build(settings).unpublished_from == D2
    _write_build_record(settings, _plan(D3))  # the D2 run failed before publishing
    record = last_build(settings)
    assert (record.rebuilt_from, record.unpublished_from) == (D3, D2)
    _write_build_record(settings, _plan(D1))  # a restated earlier day
    assert last_build(settings).unpublished_from == D1

    mark_published(settings)
    _write_build_record(settings, _plan(D3))
    assert last_build(settings).unpublished_from == D3

    _write_build_record(settings, _plan(None))  # a full refresh, not yet published
    _write_build_record(settings, _plan(D3))
    assert last_build(settings).unpublished_from is None


def _home_with_one_partition(tmp_path, monkeypatch):
    """A CUSTOMS_HOME on the DuckDB target with one standardised declarations day (D1)."""
    monkeypatch.delenv("CUSTOMS_DBT_TARGET", raising=False)
    settings = load_settings({"CUSTOMS_HOME": str(tmp_path)})
    partition = settings.standardized_dir / "declarations" / "date=2026-09-10"
    partition.mkdir(parents=True)
    (partition / "part.parquet").write_bytes(b"x")
    settings.warehouse_path.parent.mkdir(parents=True)
    return settings


def test_a_build_without_its_intermediate_file_is_a_full_refresh(tmp_path, monkeypatch) -> None:
    """The intermediate models live in a second DuckDB file beside the build file: when it is
    missing (deleted, or a build file from before the split) the next build recomputes all."""
    import duckdb

    from customs import warehouse

    settings = _home_with_one_partition(tmp_path, monkeypatch)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema intermediate; create table intermediate.t as select 1 as x")
    plan = warehouse.plan_build(settings)
    _write_build_record(settings, plan)

    missing = warehouse.plan_build(settings)
    assert missing.full_refresh and "no intermediate models" in missing.reason
    settings.intermediate_warehouse_path.touch()
    assert warehouse.plan_build(settings).rebuilt_from == D1

    # A full refresh drops the intermediate schema an older build left in the build file.
    warehouse._drop_intermediate_schema_of_the_build_file(settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    assert "intermediate" not in schemas


def test_a_build_recorded_with_another_model_layout_is_a_full_refresh(
    tmp_path, monkeypatch
) -> None:
    """A warehouse built before a change of an incremental model's columns is rebuilt whole,
    not built on (which would fail on the changed schema or mix both definitions)."""
    import json

    from customs import warehouse

    settings = _home_with_one_partition(tmp_path, monkeypatch)
    settings.warehouse_path.touch()
    settings.intermediate_warehouse_path.touch()
    _write_build_record(settings, warehouse.plan_build(settings))
    assert warehouse.plan_build(settings).rebuilt_from == D1

    path = warehouse.build_record_path(settings)
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "layout": warehouse.WAREHOUSE_LAYOUT - 1}))
    plan = warehouse.plan_build(settings)
    assert plan.full_refresh and "layout changed" in plan.reason
    del record["layout"]  # a record written before the layout was recorded
    path.write_text(json.dumps(record))
    assert warehouse.plan_build(settings).full_refresh
