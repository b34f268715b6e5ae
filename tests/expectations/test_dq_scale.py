"""What the checks do to stay fast and small at scale, and that they still flag the same rows:
the known-seller membership column, decimals given to GX as floats, mart chunks and ``since``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from customs.settings import Settings
from expectations import checkpoints, mart_reads
from expectations.checkpoints import CheckOutcome, DataQualityError, check_feed, check_marts
from expectations.gx_run import run_suite
from expectations.suite_files import load_suite
from transforms.schemas import FEEDS

DAY = date(2026, 9, 1)
LATER = DAY + timedelta(days=1)
Rows = Callable[..., pl.DataFrame]
Write = Callable[..., Path]


def _results(outcome: CheckOutcome) -> pl.DataFrame:
    return pl.read_parquet(outcome.results_path)


def _by_suite(outcomes: list[CheckOutcome]) -> dict[str, CheckOutcome]:
    return {o.suite: o for o in outcomes}


# --- referential membership column --------------------------------------------------------

SELLERS = ["S-1", "S-NEW", None, "S-2", "S-NEW", "S-WH", "S-GONE"]
PROCEDURES = ["H7", "H7", "H7", "H1", "H1", "WH", "H7"]


def test_the_membership_column_flags_the_rows_the_value_set_flagged(
    settings: Settings, rows: Rows, tmp_path: Path
) -> None:
    """The old expectation (seller_id in the set of known sellers) and the new one (the derived
    column is null) on the same partition: the same count and the same unexpected values."""
    declarations = rows("declarations", len(SELLERS)).with_columns(
        seller_id=pl.Series(SELLERS, dtype=pl.String()),
        procedure=pl.Series(PROCEDURES, dtype=pl.String()),
    )
    known = pl.Series(["S-1", "S-2", "S-OTHER"], dtype=pl.String())
    ref = load_suite("feed_declarations")["meta"]["referential"][0]
    frame = checkpoints._to_pandas(declarations.with_columns(checkpoints._if_unknown(ref, known)))
    (new,) = [
        e
        for e in load_suite("feed_declarations")["expectations"]
        if e["meta"]["description"].startswith("referential:")
    ]
    old = {
        **new,
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {
            "column": ref["column"],
            "value_set": known.to_list(),
            "row_condition": ref["row_condition"],
        },
    }
    outcomes = [
        run_suite(
            {"name": f"referential_{name}", "expectations": [exp], "meta": {}},
            frame,
            data_docs_dir=tmp_path / "docs",
            run_name=name,
            parameters={},
        )[0]
        for name, exp in (("old", old), ("new", new))
    ]
    counts = [
        (o.success, o.result["element_count"], o.result["unexpected_count"]) for o in outcomes
    ]
    assert counts[0] == counts[1] == (False, 6, 3)  # S-NEW twice, S-GONE; not the WH, not null
    assert outcomes[0].result["partial_unexpected_list"] == ["S-NEW", "S-NEW", "S-GONE"]
    assert outcomes[1].result["partial_unexpected_list"] == ["S-NEW", "S-NEW", "S-GONE"]


def test_known_values_read_only_up_to_the_day(
    settings: Settings, rows: Rows, write_partition: Write
) -> None:
    write_partition("orders", rows("orders", 1).with_columns(seller_id=pl.lit("S-ORD")))
    write_partition(
        "orders", rows("orders", 1, LATER).with_columns(seller_id=pl.lit("S-LATE")), LATER
    )
    write_partition(
        "warehouse_receipts", rows("warehouse_receipts", 1).with_columns(seller_id=pl.lit("S-WH"))
    )
    sources = load_suite("feed_declarations")["meta"]["referential"][0]["sources"]
    known = checkpoints._known_values(settings, sources, DAY)
    assert sorted(known.to_list()) == ["S-ORD", "S-WH"]


# --- decimals as floats: the bounds decide exactly as on decimals ---------------------------


def test_decimal_bounds_are_decided_exactly(
    settings: Settings, rows: Rows, write_partition: Write
) -> None:
    masses = ["100000", "100000.001", "0", "99999.999", "0.001"]
    money = ["0", "0.0001", "-0.0001", "99999999999999.9999", "1"]
    columns = FEEDS["declarations"].columns
    frame = rows("declarations", len(masses)).with_columns(
        gross_mass_kg=pl.Series([Decimal(m) for m in masses], dtype=columns["gross_mass_kg"]),
        declared_value=pl.Series([Decimal(m) for m in money], dtype=columns["declared_value"]),
    )
    write_partition("declarations", frame)
    write_partition("orders", rows("orders"))

    with pytest.raises(DataQualityError) as raised:
        check_feed(settings, "declarations", DAY)

    failed = _results(raised.value.outcomes[0]).filter(~pl.col("success"))
    assert failed.select("column", "unexpected_count").sort("column").rows() == [
        ("declared_value", 1),
        ("gross_mass_kg", 1),
    ]
    observed = dict(failed.select("column", "observed_value").rows())
    assert "100000.001" in observed["gross_mass_kg"]
    assert "-0.0001" in observed["declared_value"]


def test_gx_does_not_fingerprint_batches() -> None:
    from expectations.gx_run import _import_gx

    _import_gx()
    from great_expectations.execution_engine import pandas_execution_engine

    assert pandas_execution_engine.HASH_THRESHOLD == 0


# --- marts in chunks -------------------------------------------------------------------------

ITEMS = [("D1", 1), ("D1", 2), *((f"D{i}", 1) for i in range(2, 20))]


def _more_items(methods: dict[str, str] | None = None, value: str = "10") -> str:
    values = ", ".join(
        f"('{d}', {n}, 'DE', '{(methods or {}).get(d, 'transaction')}', {value}, 'EUR', 'EUR', "
        f"'P{d}')"
        for d, n in ITEMS[2:]
    )
    return f"insert into marts.fct_customs_valuation values {values}"


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mart_reads, "MART_CHUNK_ROWS", 4)


@pytest.mark.parametrize("bad", ["D3", "D19"])
def test_a_bad_row_is_found_in_any_chunk(
    bad: str, settings: Settings, build_marts: Callable[..., None], small_chunks: None
) -> None:
    build_marts(
        _more_items(),
        f"update marts.fct_customs_valuation set customs_value = -1 where declaration_id = '{bad}'",
        items=ITEMS,
    )
    with pytest.raises(DataQualityError) as raised:
        check_marts(settings, DAY, "r")
    assert re.search(r"20 rows in [2-5] chunks", str(raised.value))
    outcome = _by_suite(raised.value.outcomes)["mart_fct_customs_valuation"]
    (failed,) = outcome.failed_critical
    assert failed.startswith("expect_column_values_to_be_between(column=customs_value")
    assert "1 of 20 rows unexpected, e.g. [-1.0]" in failed
    recorded = _results(outcome)
    assert recorded.height == outcome.evaluated  # one row per expectation, not per chunk
    rows = recorded.filter(pl.col("expectation_type") == "expect_table_row_count_to_be_between")
    assert rows["observed_value"].to_list() == ["20"]


def test_chunks_keep_whole_table_uniqueness_and_shares(
    settings: Settings, build_marts: Callable[..., None], small_chunks: None
) -> None:
    # A duplicate key is in the same chunk as its twin; 2 of 20 declared is decided on the
    # whole table (10% > 5%), though most chunks hold no declared item at all.
    build_marts(
        _more_items({"D5": "declared", "D16": "declared"}),
        "insert into marts.fct_customs_valuation values "
        "('D9', 1, 'DE', 'transaction', 10, 'EUR', 'EUR', 'PD9')",
        items=ITEMS,
    )
    with pytest.raises(DataQualityError) as raised:
        check_marts(settings, DAY, "r")
    outcome = _by_suite(raised.value.outcomes)["mart_fct_customs_valuation"]
    assert [f.split(":")[0] for f in outcome.failed_critical] == [
        "expect_compound_columns_to_be_unique(column=declaration_id,item_no)"
    ]
    assert "2 of 21 rows unexpected" in outcome.failed_critical[0]
    (share,) = [w for w in outcome.failed_warning if "valuation_method" in w]
    assert "2 of 21 rows unexpected" in share


# --- since: only the rows the last build recomputed ------------------------------------------


def _late_item(settings: Settings, write_partition: Write, rows: Rows, *keys: str) -> None:
    declarations = rows("declarations", len(keys)).with_columns(
        declaration_id=pl.Series(keys, dtype=pl.String()), item_no=pl.lit(1, pl.Int32())
    )
    write_partition("declarations", declarations, LATER)


def test_since_checks_only_the_later_rows(
    settings: Settings, build_marts: Callable[..., None], write_partition: Write, rows: Rows
) -> None:
    build_marts(
        "alter table marts.fct_customs_valuation add column data_interval date "
        "default date '2026-09-01'",
        "update marts.fct_customs_valuation set valuation_method = 'guess' "
        "where declaration_id = 'D1' and item_no = 2",  # bad, before since
        "insert into marts.fct_customs_valuation values "
        "('D7', 1, 'DE', 'transaction', 10, 'EUR', 'EUR', 'P7', date '2026-09-02')",
    )
    _late_item(settings, write_partition, rows, "D7")

    outcomes = _by_suite(check_marts(settings, DAY, "r", since=LATER))

    assert all(o.passed for o in outcomes.values())
    counts = _results(outcomes["mart_fct_customs_valuation"]).filter(
        pl.col("expectation_type") == "expect_table_row_count_to_be_between"
    )
    assert counts["observed_value"].to_list() == ["1"]
    assert _results(outcomes["reconcile_valuation"])["success"].all()

    # A bad row after since is reported; the whole table (since None) reports both.
    build_marts(
        "alter table marts.fct_customs_valuation add column data_interval date "
        "default date '2026-09-01'",
        "update marts.fct_customs_valuation set valuation_method = 'guess' "
        "where declaration_id = 'D1' and item_no = 2",
        "insert into marts.fct_customs_valuation values "
        "('D7', 1, 'DE', 'guess', 10, 'EUR', 'EUR', 'P7', date '2026-09-02')",
    )
    for since, observed in ((LATER, "1 of 1 rows"), (None, "2 of 3 rows")):
        with pytest.raises(DataQualityError) as raised:
            check_marts(settings, DAY, "r", since=since)
        outcome = _by_suite(raised.value.outcomes)["mart_fct_customs_valuation"]
        (failed,) = outcome.failed_critical
        assert failed.startswith("expect_column_values_to_be_in_set(column=valuation_method")
        assert f"observed {observed} unexpected" in failed
        label = "(rows with data_interval >= 2026-09-02)"
        assert (label in str(raised.value)) == (since is not None)


def test_since_restricts_the_reconciliation_to_the_same_days(
    settings: Settings, build_marts: Callable[..., None], write_partition: Write, rows: Rows
) -> None:
    build_marts(
        "alter table marts.fct_customs_valuation add column data_interval date "
        "default date '2026-09-01'",
        "delete from marts.fct_customs_valuation where declaration_id = 'D1' and item_no = 2",
    )  # an earlier item not valued: not this build's concern with since
    _late_item(settings, write_partition, rows, "D7")  # a later item not valued: reported

    with pytest.raises(DataQualityError) as raised:
        check_marts(settings, DAY, "r", since=LATER)
    outcome = _by_suite(raised.value.outcomes)["reconcile_valuation"]
    assert "data intervals from 2026-09-02" in str(raised.value)
    recorded = {c: (ok, o) for c, ok, o in _results(outcome).select(
        "column", "success", "observed_value").rows()}  # fmt: skip
    assert recorded["items_not_valued"] == (False, "1 of 1 rows unexpected, e.g. [1]")
    assert recorded["valuations_without_item"][0]
    assert recorded["valuation_rows,declaration_items"][0] is False  # 0 rows against 1 item


def test_since_on_marts_without_data_intervals_checks_them_whole(
    settings: Settings, build_marts: Callable[..., None]
) -> None:
    build_marts("update marts.fct_warehouse_lot_valuation set sku = null where lot_id = 'L1'")
    with pytest.raises(DataQualityError) as raised:
        check_marts(settings, DAY, "r", since=LATER)
    outcomes = _by_suite(raised.value.outcomes)
    assert [s for s, o in outcomes.items() if o.failed_critical] == [
        "mart_fct_warehouse_lot_valuation"
    ]
    assert outcomes["reconcile_valuation"].passed  # no data_interval: reconciled whole
