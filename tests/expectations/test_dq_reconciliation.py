"""The referential, distribution and reconciliation checks, the new mart suites, and the
quarantine gate: for each kind a corrupted input that fails it and a clean one that passes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from customs import pipeline
from customs.settings import Settings
from expectations.checkpoints import (
    CheckOutcome,
    DataQualityError,
    check_feed,
    check_feed_day,
    check_feed_loads,
    check_marts,
)
from transforms.schemas import FILE_LOADS_SCHEMA
from transforms.storage import quarantine_partition, write_parquet_atomic

DAY = date(2026, 9, 1)
Rows = Callable[..., pl.DataFrame]
Write = Callable[..., Path]


def _results(outcome: CheckOutcome) -> pl.DataFrame:
    return pl.read_parquet(outcome.results_path)


def _by_suite(outcomes: list[CheckOutcome]) -> dict[str, CheckOutcome]:
    return {o.suite: o for o in outcomes}


# --- referential: declaration items to known sellers (warning) -------------------------------


def _sellers(frame: pl.DataFrame, *sellers: str) -> pl.DataFrame:
    return frame.with_columns(seller_id=pl.Series(sellers[: frame.height], dtype=pl.String()))


def test_sellers_known_from_orders_or_receipts_up_to_the_day_pass(
    settings: Settings, rows: Rows, write_partition: Write
) -> None:
    write_partition("declarations", _sellers(rows("declarations", 2), "S-ORD", "S-WH"))
    earlier = DAY - timedelta(days=2)
    write_partition("orders", _sellers(rows("orders", 1, earlier), "S-ORD"), earlier)
    write_partition("warehouse_receipts", _sellers(rows("warehouse_receipts", 1), "S-WH"))

    outcome = check_feed(settings, "declarations", DAY)

    assert outcome.failed_warning == [] and outcome.failed_critical == []
    referential = _results(outcome).filter(pl.col("details").str.contains("referential"))
    assert referential.select("column", "severity", "success").rows() == [
        ("seller_id_if_unknown", "warning", True)
    ]


def test_an_unknown_seller_is_a_recorded_warning(
    settings: Settings, rows: Rows, write_partition: Write
) -> None:
    declarations = _sellers(rows("declarations", 3), "S-ORD", "S-LATER", "S-WH-ENTRY")
    declarations = declarations.with_columns(  # a warehouse entry's seller is not checked
        procedure=pl.Series(["H7", "H7", "WH"], dtype=declarations["procedure"].dtype)
    )
    write_partition("declarations", declarations)
    write_partition("orders", _sellers(rows("orders", 1), "S-ORD"))
    later = DAY + timedelta(days=1)  # seen only after the day: not known on the day
    write_partition("orders", _sellers(rows("orders", 1, later), "S-LATER"), later)

    outcome = check_feed(settings, "declarations", DAY)  # a warning: does not raise

    (warning,) = outcome.failed_warning
    assert warning.startswith("expect_column_values_to_be_null(column=seller_id_if_unknown")
    assert 'observed 1 of 2 rows unexpected, e.g. ["S-LATER"]' in warning
    failed = _results(outcome).filter(~pl.col("success"))
    assert failed.select("column", "severity", "unexpected_count").rows() == [
        ("seller_id_if_unknown", "warning", 1)
    ]
    assert "referential: seller_id was seen in orders.seller_id" in failed["details"][0]


# --- file_loads: reconciliation (critical) and rejected share (warning) ----------------------


def _file_loads(settings: Settings, feed: str, *counts: tuple[int, int, int]) -> None:
    rows = [
        {
            "load_id": f"{feed}:{DAY}:{i:016x}",
            "feed": feed,
            "source_file": f"{feed}/{DAY}/f{i}.csv",
            "sha256": f"{i:064x}",
            "data_interval": DAY,
            "rows_read": read,
            "rows_standardized": standardized,
            "rows_rejected": rejected,
            "loaded_at": datetime(2026, 9, 2, tzinfo=UTC),
            "status": "loaded",
            "message": None,
        }
        for i, (read, standardized, rejected) in enumerate(counts)
    ]
    folder = settings.audit_dir / "file_loads" / feed / f"date={DAY}"
    write_parquet_atomic(
        pl.DataFrame(rows, schema=FILE_LOADS_SCHEMA), folder / "0123456789abcdef.parquet"
    )


def test_file_loads_that_reconcile_pass(settings: Settings) -> None:
    _file_loads(settings, "orders", (100, 98, 2), (50, 50, 0))
    outcome = check_feed_loads(settings, "orders", DAY)
    assert outcome.passed and outcome.failed_warning == []
    assert outcome.results_path.parent.parent.name == "audit_file_loads"
    assert outcome.results_path.name == "orders__2026-09-01.parquet"
    share = _results(outcome).filter(pl.col("column") == "feed_day_rejected_share")
    assert share["success"].to_list() == [True]


def test_a_file_that_does_not_reconcile_is_critical(settings: Settings) -> None:
    _file_loads(settings, "orders", (100, 98, 2), (10, 8, 1))
    with pytest.raises(DataQualityError) as raised:
        check_feed_loads(settings, "orders", DAY)
    message = str(raised.value)
    assert "suite audit_file_loads on audit file_loads of feed 'orders'" in message
    assert "expect_column_pair_values_to_be_equal(column=rows_read,rows_accounted" in message
    assert "1 of 2 rows unexpected" in message


def test_a_high_rejected_share_is_a_warning(settings: Settings) -> None:
    _file_loads(settings, "orders", (100, 90, 10), (100, 100, 0))  # 10 of 200 = 5%: fine
    assert check_feed_loads(settings, "orders", DAY).failed_warning == []
    _file_loads(settings, "orders", (100, 88, 12), (100, 100, 0))  # 12 of 200 = 6%
    (warning,) = check_feed_loads(settings, "orders", DAY).failed_warning
    assert warning.startswith("expect_column_values_to_be_between(column=feed_day_rejected_share")
    assert "max_value=0.05" in warning and "0.06" in warning


def test_the_daily_check_records_both_suites_before_raising(
    settings: Settings, rows: Rows, write_partition: Write
) -> None:
    write_partition("orders", rows("orders").with_columns(currency=pl.lit("EURO")))
    _file_loads(settings, "orders", (10, 8, 1))
    with pytest.raises(DataQualityError) as raised:
        check_feed_day(settings, "orders", DAY)
    outcomes = _by_suite(raised.value.outcomes)
    assert sorted(outcomes) == ["audit_file_loads", "feed_orders"]
    assert all(o.failed_critical and o.results_path.exists() for o in outcomes.values())
    _file_loads(settings, "orders", (5, 5, 0))
    write_partition("orders", rows("orders"))
    assert [o.suite for o in check_feed_day(settings, "orders", DAY)] == [
        "feed_orders",
        "audit_file_loads",
    ]


# --- marts: distribution, reconciliations and the new suites ---------------------------------

PARCEL_ITEMS = [("D1", 1), ("D1", 2), *((f"D{i}", 1) for i in range(2, 20))]


def _parcel_items(methods: dict[str, str]) -> str:
    values = ", ".join(
        f"('{d}', {n}, 'DE', '{methods.get(d, 'transaction')}', 10, 'EUR', 'EUR', 'P{d}')"
        for d, n in PARCEL_ITEMS[2:]
    )
    return f"insert into marts.fct_customs_valuation values {values}"


def test_unmatched_parcel_items_within_the_band_pass(
    settings: Settings, build_marts: Callable[..., None]
) -> None:
    build_marts(_parcel_items({"D5": "declared"}), items=PARCEL_ITEMS)  # 1 of 20 = 5%
    outcome = _by_suite(check_marts(settings, DAY, "r"))["mart_fct_customs_valuation"]
    assert not any("valuation_method" in w for w in outcome.failed_warning)


def test_too_many_unmatched_parcel_items_is_a_warning(
    settings: Settings, build_marts: Callable[..., None]
) -> None:
    # 2 of 20 parcel items declared (10%); warehouse entries (no parcel) do not count.
    build_marts(
        _parcel_items({"D5": "declared", "D6": "declared"}),
        "insert into marts.fct_customs_valuation values "
        "('W1', 1, 'DE', 'declared', 10, 'EUR', 'EUR', null)",
        items=[*PARCEL_ITEMS, ("W1", 1)],
    )
    outcomes = _by_suite(check_marts(settings, DAY, "r"))
    (warning,) = [
        w for w in outcomes["mart_fct_customs_valuation"].failed_warning if "valuation_method" in w
    ]
    assert warning.startswith("expect_column_values_to_not_be_in_set(column=valuation_method")
    assert "2 of 20 rows unexpected" in warning


def test_dispatches_above_receipts_of_a_lot_are_critical(
    settings: Settings, build_marts: Callable[..., None]
) -> None:
    build_marts("update marts.fct_warehouse_lot_valuation set dispatched_quantity = 11 "
                "where lot_id = 'L2'")  # fmt: skip
    with pytest.raises(DataQualityError) as raised:
        check_marts(settings, DAY, "r")
    outcome = _by_suite(raised.value.outcomes)["mart_fct_warehouse_lot_valuation"]
    (failed,) = outcome.failed_critical
    assert failed.startswith(
        "expect_column_pair_values_a_to_be_greater_than_b(column=quantity,dispatched_quantity"
    )
    assert "1 of 2 rows unexpected" in failed
    assert "marts.fct_warehouse_lot_valuation" in str(raised.value)


def test_valuation_rows_must_equal_declaration_items(
    settings: Settings, build_marts: Callable[..., None]
) -> None:
    # Same count (2 = 2), but one item is not valued and one valuation has no item.
    build_marts(items=[("D1", 1), ("D9", 1)])
    with pytest.raises(DataQualityError) as raised:
        check_marts(settings, DAY, "r")
    outcome = _by_suite(raised.value.outcomes)["reconcile_valuation"]
    assert [f.split("(")[0] + ":" + f.split("column=")[1].split(",")[0] for f in
            outcome.failed_critical] == [
        "expect_column_values_to_be_between:items_not_valued",
        "expect_column_values_to_be_between:valuations_without_item",
    ]  # fmt: skip
    recorded = _results(outcome)
    assert recorded.filter(pl.col("column") == "valuation_rows,declaration_items")[
        "success"
    ].to_list() == [True]
    assert "against" in str(raised.value) and "standardized" in str(raised.value)


MART_CORRUPTIONS = {
    "fct_warehouse_lot_valuation": (
        "insert into marts.fct_warehouse_lot_valuation values "
        "('L1', 'W1', 'XX', 'S1', null, 'CN', 0, 0, 0, -1, 1, 1, 'CNY')",
        {
            "expect_column_values_to_be_unique(column=lot_id)",
            "expect_column_values_to_not_be_null(column=sku)",
            "expect_column_values_to_be_in_set(column=warehouse_country",
            "expect_column_values_to_be_between(column=quantity",
            "expect_column_values_to_be_between(column=declared_unit_value_eur",
        },
    ),
    "rpt_ioss_monthly_return": (
        "insert into marts.rpt_ioss_monthly_return values "
        "('IM2760000001', '2026-09', 'DE', 19, '2026-09', false, 1, 5, 1), "
        "('GB123', '2026-13', 'CH', 45, '2026-09', null, 0, -5, 1)",
        {
            "expect_compound_columns_to_be_unique(column=ioss_number,return_period,",
            "expect_column_values_to_match_regex(column=ioss_number",
            "expect_column_values_to_match_regex(column=return_period",
            "expect_column_values_to_be_in_set(column=member_state_of_consumption",
            "expect_column_values_to_be_between(column=vat_rate_pct",
            "expect_column_values_to_not_be_null(column=is_correction)",
            "expect_column_values_to_be_between(column=item_count",
            "expect_column_values_to_be_between(column=taxable_amount_eur",
            "expect_column_pair_values_a_to_be_greater_than_b(column=taxable_amount_eur,",
        },
    ),
    "rpt_valuation_monthly": (
        "insert into marts.rpt_valuation_monthly values "
        "('DE', '2026-09', '61', 'CN', 'EUR', 1, 1, 0, 1, 1, 0, 0, 0), "
        "('DE', '2026-9', '6', 'CN', 'euro', 3, 2, 5, 1, 1, -1, 0, 0)",
        {
            "expect_compound_columns_to_be_unique(column=jurisdiction,declared_month,",
            "expect_column_values_to_match_regex(column=declared_month",
            "expect_column_values_to_match_regex(column=hs_chapter",
            "expect_column_values_to_be_between(column=duty_jc",
            "expect_column_pair_values_a_to_be_greater_than_b(column=item_count,declaration_count",
            "expect_column_pair_values_a_to_be_greater_than_b(column=item_count,"
            "items_declared_below_value",
            "expect_column_values_to_match_regex(column=jurisdiction_currency",
        },
    ),
}


@pytest.mark.parametrize("mart", sorted(MART_CORRUPTIONS))
def test_a_corrupted_new_mart_fails_its_critical_expectations(
    mart: str, settings: Settings, build_marts: Callable[..., None]
) -> None:
    corruption, expected = MART_CORRUPTIONS[mart]
    build_marts(corruption)
    with pytest.raises(DataQualityError) as raised:
        check_marts(settings, DAY, "r")
    outcomes = _by_suite(raised.value.outcomes)
    failed = outcomes[f"mart_{mart}"].failed_critical
    for start in expected:
        assert any(f.startswith(start) for f in failed), (start, failed)
    assert len(failed) == len(expected), failed
    # Only this mart is at fault.
    assert [s for s, o in outcomes.items() if o.failed_critical] == [f"mart_{mart}"]


# --- the gate: quarantine of a feed-day that fails a critical expectation --------------------


def test_a_failed_feed_day_is_quarantined_and_a_fixed_rerun_restores_it(
    settings: Settings, rows: Rows, write_partition: Write
) -> None:
    partition = settings.standardized_dir / "orders" / f"date={DAY}"
    quarantined = settings.home / "quarantine" / "orders" / f"date={DAY}"
    write_partition("orders", rows("orders").with_columns(origin_country=pl.lit("XX")))

    with pytest.raises(DataQualityError) as raised:
        pipeline.check_feed(settings, "orders", DAY)

    assert "expect_column_values_to_be_in_set(column=origin_country" in str(raised.value)
    assert any(str(quarantined) in note for note in raised.value.__notes__)
    assert not partition.exists()
    assert pl.read_parquet(quarantined / "*.parquet")["origin_country"].to_list() == ["XX"] * 5

    # A retry of the check (nothing restandardised) fails again instead of passing on nothing.
    with pytest.raises(DataQualityError, match="in quarantine"):
        pipeline.check_feed(settings, "orders", DAY)
    assert quarantined.exists()

    # The rerun after the source was fixed: standardised afresh, checked, quarantine cleared.
    write_partition("orders", rows("orders"))
    result = pipeline.check_feed(settings, "orders", DAY)
    assert result["suite"] == "feed_orders" and result["failed_warning"] == []
    assert partition.exists() and not quarantined.exists()


def test_quarantine_replaces_an_earlier_copy_and_ignores_a_missing_partition(
    settings: Settings, rows: Rows, write_partition: Write
) -> None:
    assert quarantine_partition(settings, "orders", DAY) is None
    write_partition("orders", rows("orders", 2))
    first = quarantine_partition(settings, "orders", DAY)
    write_partition("orders", rows("orders", 3))
    second = quarantine_partition(settings, "orders", DAY)
    assert first == second == settings.home / "quarantine" / "orders" / f"date={DAY}"
    assert pl.read_parquet(second / "*.parquet").height == 3
    assert not (settings.standardized_dir / "orders" / f"date={DAY}").exists()
