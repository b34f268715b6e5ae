"""Daily incremental builds give the same marts as a full refresh, row for row.

A generated sample is landed and standardised day by day with the pipeline's own functions,
then built incrementally after each delivery, including a restated earlier day: a re-delivered
declarations file with other values, and an order line that arrives after its declaration was
built. Every mart and audit table is then compared with a ``--full-refresh`` build of the same
standardised data (EXCEPT ALL both ways)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from customs.generator import generate
from customs.pipeline import land_feed, standardize_feed
from customs.settings import Settings, load_settings
from customs.warehouse import (
    DBT_PROJECT_DIR,
    build_marts,
    dbt_command,
    dbt_environment,
    last_build,
)

START = date(2026, 9, 1)
DAYS = [START + timedelta(days=n) for n in range(4)]
FEEDS = ("orders", "declarations", "inspections", "warehouse_receipts", "warehouse_dispatches")
COMPARED_SCHEMAS = ("marts", "audit")


def _deliver(settings: Settings, source: Path, day: date, feeds=FEEDS) -> None:
    for feed in feeds:
        land_feed(settings, feed, day, source)
        standardize_feed(settings, feed, day)


def _csv(source: Path, feed: str, day: date) -> Path:
    (path,) = (source / feed / day.isoformat()).glob("*.csv")
    return path


def _late_order_line(source: Path) -> tuple[Path, pl.DataFrame, str]:
    """An order line of day 2 whose parcel is declared on day 3: held back from day 2's file."""
    orders_path = _csv(source, "orders", DAYS[1])
    orders = pl.read_csv(orders_path, infer_schema=False)
    declared = pl.read_csv(_csv(source, "declarations", DAYS[2]), infer_schema=False)
    parcels = set(declared["parcel_id"].drop_nulls().to_list())
    held = orders.filter(pl.col("parcel_id").is_in(parcels)).head(1)
    assert held.height == 1
    orders.join(held, on=["marketplace", "order_id", "line_id"], how="anti").write_csv(orders_path)
    return orders_path, orders, held["parcel_id"][0]


def _without_parcels(path: Path, count: int) -> None:
    """Blank the parcel of ``count`` declarations (not warehouse entries) in a source file:
    their parcels are then undeclared and their items matched by the fallback (seller, HS6
    and quantity inside the window) alone."""
    rows = pl.read_csv(path, infer_schema=False)
    chosen = (
        rows.filter(pl.col("procedure") != "WH")["declaration_id"]
        .unique(maintain_order=True)
        .head(count)
    )
    rows.with_columns(
        parcel_id=pl.when(pl.col("declaration_id").is_in(chosen.implode()))
        .then(None)
        .otherwise(pl.col("parcel_id"))
    ).write_csv(path)


def _table_names(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and table_type = 'BASE TABLE' and table_schema in (?, ?) "
        "order by 1, 2",
        [catalog, *COMPARED_SCHEMAS],
    ).fetchall()


def _columns(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    catalog: str = "build",
    decimals: int = 9,
) -> str:
    """Every column; doubles rounded to 9 decimals (sums of doubles depend on the order in
    which DuckDB's threads add them up, in a full refresh as much as in a daily build)."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    return ", ".join(
        f'round("{name}", {decimals}) as "{name}"' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
        for name, kind in rows
    )


def _assert_same_rows(con: duckdb.DuckDBPyConnection, full: str, inc: str, columns: str) -> None:
    rows = con.execute(f"select count(*) from {full}").fetchone()[0]
    assert con.execute(f"select count(*) from {inc}").fetchone()[0] == rows, full
    for left, right in ((full, inc), (inc, full)):
        extra = con.execute(
            f"select count(*) from (select {columns} from {left} "
            f"except all select {columns} from {right})"
        ).fetchone()[0]
        assert extra == 0, f"{extra} rows of {left} not in {right}"


def _matched(settings: Settings, parcel_id: str) -> list[bool]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return [
            row[0]
            for row in con.execute(
                "select has_order_match from marts.fct_customs_valuation where parcel_id = ?",
                [parcel_id],
            ).fetchall()
        ]


def _border_ranks_before(path: Path, day: date) -> list[tuple]:
    """The parcels' ranks (border queue) of the days before ``day``."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select declaration_id, rank_in_jurisdiction_day from marts.fct_risk_scores "
            "where inspection_queue = 'border' and declared_date < ? order by 1",
            [day],
        ).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("incremental_days")
    generate(root / "sample", START, len(DAYS), seed=11, scale=0.15)
    source = root / "sample" / "landing"
    settings = load_settings({"CUSTOMS_HOME": str(root / "home")})
    orders_path, full_orders, late_parcel = _late_order_line(source)
    records = {}

    for day in DAYS[:2]:
        _deliver(settings, source, day)
    build_marts(settings, skip_tests=True)
    records["first"] = last_build(settings)
    _deliver(settings, source, DAYS[2])
    build_marts(settings, skip_tests=True)
    records["day3"] = last_build(settings)
    unmatched = _matched(settings, late_parcel)

    # Day 2 restated: declarations re-delivered with other values, and the held-back order line
    # in a new orders file (the first one stays landed).
    declarations_path = _csv(source, "declarations", DAYS[1])
    restated = pl.read_csv(declarations_path, infer_schema=False).head(40)
    restated = restated.with_columns(
        (pl.col("declared_value").cast(pl.Float64) * 0.5).round(2).cast(pl.String)
    )
    restated.write_csv(declarations_path.with_name("declarations-restated.csv"))
    full_orders.write_csv(orders_path.with_name("orders-complete.csv"))
    _deliver(settings, source, DAYS[1], feeds=("declarations", "orders"))
    build_marts(settings, skip_tests=True)
    records["restated"] = last_build(settings)
    matched = _matched(settings, late_parcel)

    # Day 4 last, alone: its build rescores the warehouse entries of days 2-3 (revalued in the
    # sales window) beside parcels it does not rescore, so those days must be ranked again.
    _without_parcels(_csv(source, "declarations", DAYS[3]), count=15)
    border_ranks_before = _border_ranks_before(settings.warehouse_path, DAYS[3])
    _deliver(settings, source, DAYS[3])
    build_marts(settings, skip_tests=True)
    records["day4"] = last_build(settings)

    incremental = root / "incremental.duckdb"
    shutil.copyfile(settings.warehouse_path, incremental)
    incremental_work = root / "incremental_intermediate.duckdb"
    shutil.copyfile(settings.intermediate_warehouse_path, incremental_work)
    build_marts(settings, full_refresh=True, skip_tests=True)
    records["full"] = last_build(settings)
    return {
        "settings": settings,
        "incremental": incremental,
        "incremental_intermediate": incremental_work,
        "records": records,
        "border_ranks_before": border_ranks_before,
        "unmatched": unmatched,
        "matched": matched,
    }


def test_a_daily_build_matches_items_by_the_fallback(built: dict) -> None:
    """Day 4's items without a parcel are matched by the fallback in the daily build (which
    reads only the order lines that can be candidates); the comparison with the full refresh
    below covers them too."""
    with duckdb.connect(str(built["incremental_intermediate"]), read_only=True) as con:
        rules = dict(
            con.execute(
                "select match_rule, count(*) "
                "from intermediate.int_declaration_items_matched_to_order_lines "
                "where data_interval = ? group by 1",
                [DAYS[3]],
            ).fetchall()
        )
    assert rules.get("seller_hs6_quantity_window", 0) >= 5
    assert rules.get("parcel_position", 0) > rules["seller_hs6_quantity_window"]


def test_each_build_records_the_days_it_rebuilt(built: dict) -> None:
    records = built["records"]
    assert records["first"].rebuilt_from is None  # no earlier build: everything
    assert records["day3"].rebuilt_from == DAYS[2]
    assert records["restated"].rebuilt_from == DAYS[1]
    assert records["day4"].rebuilt_from == DAYS[3]
    assert records["full"].rebuilt_from is None and records["full"].full_refresh
    assert records["restated"].built_at > records["day3"].built_at


def test_the_late_order_line_is_matched_once_it_arrives(built: dict) -> None:
    assert built["unmatched"].count(True) < len(built["unmatched"])
    assert built["matched"] and all(built["matched"])


def test_incremental_builds_equal_a_full_refresh_row_for_row(built: dict) -> None:
    settings = built["settings"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        con.execute(f"attach '{built['incremental']}' as incremental (read_only)")
        full_tables = _table_names(con, "build")
        assert _table_names(con, "incremental") == full_tables
        assert ("marts", "fct_customs_valuation") in full_tables
        for schema, table in full_tables:
            _assert_same_rows(
                con,
                f'build."{schema}"."{table}"',
                f'incremental."{schema}"."{table}"',
                _columns(con, schema, table),
            )


# The incremental intermediate models, compared too (the marts above read them only in part).
# The entity days carry sums of doubles over from earlier builds, added in another order than a
# full refresh adds them: compared to 6 decimals.
INCREMENTAL_INTERMEDIATE = (
    "int_consignments_split_flagged",
    "int_declarations_entity_history_scored",
    "int_entity_days_accumulated",
    "int_declaration_items_matched_to_order_lines",
)


def test_incremental_intermediate_models_equal_a_full_refresh(built: dict) -> None:
    settings = built["settings"]
    with duckdb.connect(str(settings.intermediate_warehouse_path), read_only=True) as con:
        con.execute(f"attach '{built['incremental_intermediate']}' as incremental (read_only)")
        for table in INCREMENTAL_INTERMEDIATE:
            columns = _columns(con, "intermediate", table, "build_intermediate", decimals=6)
            assert columns, table
            _assert_same_rows(
                con,
                f'build_intermediate.intermediate."{table}"',
                f'incremental.intermediate."{table}"',
                columns,
            )


def test_the_last_build_rescored_part_of_an_earlier_day(built: dict) -> None:
    """Day 4's build rescored the warehouse entries of earlier days (revalued in the sales
    window) and not their parcels: the comparison above covers the warehouse entries' queue of
    those days, ranked again whole, and the parcels of those days kept their ranks (a
    revalued warehouse entry no longer moves the border queue of its day)."""
    with duckdb.connect(str(built["incremental"]), read_only=True) as con:
        mixed_days = con.execute(
            "select count(*) from (select declared_date from marts.fct_risk_scores "
            "where declared_date < ? group by declared_date "
            "having bool_or(inspection_queue = 'post_clearance') "
            "and bool_or(inspection_queue = 'border'))",
            [DAYS[3]],
        ).fetchone()[0]
    assert mixed_days >= 1
    assert built["border_ranks_before"]
    assert _border_ranks_before(built["incremental"], DAYS[3]) == built["border_ranks_before"]


def test_a_daily_build_closes_the_rank_gap_of_a_dropped_declaration(
    built: dict, tmp_path: Path
) -> None:
    """A declaration gone from a day the build does not rescore (dropped by a re-delivery
    of a later file) leaves a gap in its queue's ranks: the next daily build ranks that queue
    again (fct_risk_scores' post_hook), keeping the order of the others."""
    home = tmp_path / "home"
    shutil.copytree(built["settings"].home, home)  # after the full refresh
    settings = load_settings({"CUSTOMS_HOME": str(home)})
    queue = "jurisdiction = ? and declared_date = ? and inspection_queue = 'border'"
    with duckdb.connect(str(settings.warehouse_path)) as con:
        jurisdiction, day = con.execute(
            "select jurisdiction, declared_date from marts.fct_risk_scores "
            "where declared_date < ? and inspection_queue = 'border' "
            "group by all having count(*) >= 3 order by count(*) desc limit 1",
            [DAYS[2]],
        ).fetchone()
        before = con.execute(
            f"select declaration_id from marts.fct_risk_scores where {queue} "
            "order by rank_in_jurisdiction_day",
            [jurisdiction, day],
        ).fetchall()
        con.execute("delete from marts.fct_risk_scores where declaration_id = ?", [before[1][0]])
    build_marts(settings, skip_tests=True)
    with duckdb.connect(str(settings.intermediate_warehouse_path), read_only=True) as con:
        (rescored_from,) = con.execute(
            "select rescored_from from intermediate.int_declarations_rescored_from"
        ).fetchone()
    assert day < rescored_from  # the gap's day was not rescored
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        after = con.execute(
            f"select declaration_id, rank_in_jurisdiction_day from marts.fct_risk_scores "
            f"where {queue} order by rank_in_jurisdiction_day",
            [jurisdiction, day],
        ).fetchall()
    assert [rank for _, rank in after] == list(range(1, len(before)))
    assert [declaration for declaration, _ in after] == [d for (d,) in before[:1] + before[2:]]


def test_a_daily_build_deletes_a_touched_importer_left_without_declarations(
    built: dict, tmp_path: Path
) -> None:
    """dim_importer's post_hook (delete_vanished_entities): an importer the daily build touches
    (a stored last event on or after the first rescored day) and whose declarations are all
    gone from fct_risk_scores loses its row; one the build does not touch keeps it (a daily
    build computes touched entities only)."""
    home = tmp_path / "home"
    shutil.copytree(built["settings"].home, home)  # after the full refresh
    settings = load_settings({"CUSTOMS_HOME": str(home)})
    with duckdb.connect(str(settings.warehouse_path)) as con:
        touched, untouched = (
            row[0]
            for row in con.execute(
                # importers of parcels only (warehouse entries are revalued by every build),
                # all delivered and declared before the days a daily build rescores
                "select importer_id from marts.fct_customs_valuation group by importer_id "
                "having max(data_interval) < ? and max(declared_date) < ? "
                "and bool_and(procedure != 'WH') order by count(*) desc, importer_id limit 2",
                [DAYS[2], DAYS[2]],
            ).fetchall()
        )
        con.execute(
            "delete from marts.fct_risk_scores where importer_id in (?, ?)", [touched, untouched]
        )
        con.execute(
            "update marts.dim_importer set last_event_date = ? where importer_id = ?",
            [DAYS[3], touched],
        )
    build_marts(settings, skip_tests=True)
    with duckdb.connect(str(settings.intermediate_warehouse_path), read_only=True) as con:
        (rescored_from,) = con.execute(
            "select rescored_from from intermediate.int_declarations_rescored_from"
        ).fetchone()
    assert DAYS[2] <= rescored_from <= DAYS[3]  # their declarations were not rescored
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        kept = {
            row[0]
            for row in con.execute(
                "select importer_id from marts.dim_importer where importer_id in (?, ?)",
                [touched, untouched],
            ).fetchall()
        }
        scored = con.execute(
            "select count(*) from marts.fct_risk_scores where importer_id in (?, ?)",
            [touched, untouched],
        ).fetchone()[0]
    assert scored == 0
    assert kept == {untouched}


RISK_TESTS = {
    # test: (model, the column broken, the value that breaks it, the model's day column)
    "fct_risk_scores_composite_between_0_and_1": (
        "marts.fct_risk_scores",
        "composite_score",
        "2",
        "declared_date",
    ),
    "not_null_int_consignments_split_flagged_is_split_consignment": (
        "intermediate.int_consignments_split_flagged",
        "is_split_consignment",
        "null",
        "declared_date",
    ),
    "not_null_int_entity_days_accumulated_entity_id": (
        "intermediate.int_entity_days_accumulated",
        "entity_id",
        "null",
        "event_date",
    ),
}


SPLIT_SCORED = (
    "declaration_id in (select split.declaration_id "
    "from build_intermediate.intermediate.int_consignments_split_flagged as split)"
)


def _failures_of_risk_tests(settings: Settings, daily_vars: dict | None) -> dict[str, int]:
    """``dbt test`` of RISK_TESTS, with a daily build's vars or (None) as a full refresh runs
    them; the failing rows of each."""
    command = [*dbt_command(), "test", "--select", *RISK_TESTS]
    if daily_vars:
        command += ["--vars", json.dumps(daily_vars)]
    subprocess.run(
        [*command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR,
        env=dbt_environment(settings),
        capture_output=True,
        check=False,
    )
    results = json.loads((settings.dbt_target_dir / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: r["failures"]
        for r in results
        if r["unique_id"].startswith("test.")
    }


def test_a_daily_build_tests_the_rows_the_risk_models_rescored(built: dict, tmp_path: Path) -> None:
    """The risk models' data tests in a daily build read the declarations it rescored
    (fct_risk_scores: every queue holding one), found through int_declarations_rescored_from
    (macros/rebuilt_rows_tests.sql): a row broken on an earlier day, in a queue the build did
    not rescore, is not read; one broken on a rescored day is. Run as a full refresh runs them
    (no daily vars), the tests read both."""
    home = tmp_path / "home"
    shutil.copytree(built["settings"].home, home)  # after the full refresh
    settings = load_settings({"CUSTOMS_HOME": str(home)})
    build_marts(settings, skip_tests=True)  # a daily build: rescores from a day on
    record = last_build(settings)
    daily_vars = {
        "rebuild_from": record.rebuilt_from.isoformat(),
        "lots_revalued_from": record.lots_revalued_from.isoformat(),
    }
    with duckdb.connect(str(settings.intermediate_warehouse_path), read_only=True) as con:
        (rescored_from,) = con.execute(
            "select rescored_from from intermediate.int_declarations_rescored_from"
        ).fetchone()
    assert DAYS[0] < rescored_from

    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(f"attach '{settings.intermediate_warehouse_path}' as build_intermediate")
        # a parcel of a border queue with no rescored declaration, and one rescored
        earlier, later = (
            con.execute(
                "select min(declaration_id) from marts.fct_risk_scores where declaration_id in ("
                "  select declaration_id from marts.fct_risk_scores"
                "  qualify bool_and(declared_date < ? and data_interval < ?) over ("
                "    partition by jurisdiction, declared_date, inspection_queue)"
                "  and inspection_queue = 'border') "
                f"and {SPLIT_SCORED}",
                [rescored_from, record.rebuilt_from],
            ).fetchone()[0],
            con.execute(
                "select min(declaration_id) from marts.fct_risk_scores "
                f"where declared_date >= ? and inspection_queue = 'border' and {SPLIT_SCORED}",
                [rescored_from],
            ).fetchone()[0],
        )
        assert earlier and later
        for table, column, broken, day in RISK_TESTS.values():
            keys = "declaration_id in (?, ?)"
            if day == "event_date":  # the entity days of the two declarations' sellers
                keys = (
                    "entity_type = 'seller_id' and (entity_id, event_date) in ("
                    "select seller_id, declared_date from marts.fct_risk_scores "
                    "where declaration_id in (?, ?))"
                )
            updated = con.execute(
                f"update build_intermediate.{table} set {column} = {broken} where {keys}"
                if table.startswith("intermediate")
                else f"update {table} set {column} = {broken} where {keys}",
                [earlier, later],
            ).fetchone()[0]
            assert updated == 2, table

    daily = _failures_of_risk_tests(settings, daily_vars)
    whole = _failures_of_risk_tests(settings, None)
    assert daily == dict.fromkeys(RISK_TESTS, 1)  # the rescored row only
    assert whole == dict.fromkeys(RISK_TESTS, 2)
