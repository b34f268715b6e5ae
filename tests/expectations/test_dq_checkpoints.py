"""check_feed / check_marts through real GX checkpoints on tiny partitions and warehouses.

Each GX run costs about a second, so every case below is one run that proves one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from customs.settings import Settings
from expectations.checkpoints import (
    CheckOutcome,
    DataQualityError,
    check_feed,
    check_marts,
    stage_mart_checks,
    validate_staged_marts,
)
from expectations.results import DQ_RESULTS_SCHEMA
from transforms.schemas import FEEDS

DAY = date(2026, 9, 1)  # the data interval the conftest rows belong to by default
Rows = Callable[..., pl.DataFrame]
Write = Callable[..., Path]


def _results(outcome: CheckOutcome) -> pl.DataFrame:
    return pl.read_parquet(outcome.results_path)


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_a_clean_partition_passes(
    feed: str, settings: Settings, rows: Rows, write_partition: Write
) -> None:
    write_partition(feed, rows(feed))
    if feed == "declarations":  # its sellers are known from the orders feed
        write_partition("orders", rows("orders"))
    outcome = check_feed(settings, feed, DAY)
    assert outcome.failed_critical == [] and outcome.failed_warning == []
    assert outcome.passed and outcome.suite == f"feed_{feed}"
    results = _results(outcome)
    assert results.height == outcome.evaluated and results["success"].all()


def test_results_data_docs_and_reruns(
    settings: Settings, rows: Rows, write_partition: Write
) -> None:
    for back in (1, 2, 3):  # history for the volume band
        write_partition(
            "declarations", rows("declarations", 5, DAY - timedelta(back)), DAY - timedelta(back)
        )
    write_partition("declarations", rows("declarations", 5))
    write_partition("orders", rows("orders", 5))
    first = check_feed(settings, "declarations", DAY)
    second = check_feed(settings, "declarations", DAY)

    assert (
        first.results_path
        == second.results_path
        == (
            settings.audit_dir
            / "dq_results/feed_declarations/date=2026-09-01/declarations__2026-09-01.parquet"
        )
    )
    assert len(list(first.results_path.parent.glob("*.parquet"))) == 1  # replaced, not added
    results = _results(second)
    assert results.schema == pl.Schema(DQ_RESULTS_SCHEMA)
    assert set(results["data_interval"]) == {DAY}
    assert set(results["severity"]) == {"critical", "warning"}
    assert set(results["suite"]) == {"feed_declarations"}
    band = results.filter(pl.col("details").str.contains("volume_min_rows|trailing daily average"))
    assert band.height == 1 and band["details"][0].count('"min_value": 2') == 1

    schema_file = settings.audit_dir / "dq_results/_schema.parquet"
    assert pl.read_parquet(schema_file).schema == pl.Schema(DQ_RESULTS_SCHEMA)
    assert pl.read_parquet(schema_file).height == 0

    index = settings.data_docs_dir / "index.html"
    assert index.exists() and "feed_declarations" in index.read_text()
    assert len(list((settings.data_docs_dir / "validations").rglob("*.html"))) == 2


CRITICAL_CASES = {
    "columns": (
        lambda f: f.drop("description"),
        "expect_table_columns_to_match_ordered_list",
        None,
    ),
    "not_null": (
        lambda f: f.with_columns(
            declarant_id=pl.when(pl.col("source_row") == 2)
            .then(None)
            .otherwise(pl.col("declarant_id"))
        ),
        "expect_column_values_to_not_be_null",
        "declarant_id",
    ),
    "unique_key": (
        lambda f: f.with_columns(declaration_id=pl.lit("D-1"), item_no=pl.lit(1, pl.Int32)),
        "expect_compound_columns_to_be_unique",
        "declaration_id,item_no",
    ),
    "pseudonym": (
        lambda f: f.with_columns(importer_id=pl.lit("jane.doe@example.com")),
        "expect_column_values_to_match_regex",
        "importer_id",
    ),
    "iso_country": (
        lambda f: f.with_columns(origin_country=pl.lit("XX")),
        "expect_column_values_to_be_in_set",
        "origin_country",
    ),
    "iso_currency": (
        lambda f: f.with_columns(currency=pl.lit("EURO")),
        "expect_column_values_to_be_in_set",
        "currency",
    ),
    "allowed_values": (
        lambda f: f.with_columns(procedure=pl.lit("H9")),
        "expect_column_values_to_be_in_set",
        "procedure",
    ),
    "quantity_range": (
        lambda f: f.with_columns(quantity=pl.lit(0, pl.Int64)),
        "expect_column_values_to_be_between",
        "quantity",
    ),
    "mass_range": (
        lambda f: f.with_columns(
            gross_mass_kg=pl.lit(Decimal("250000"), FEEDS["declarations"].columns["gross_mass_kg"])
        ),
        "expect_column_values_to_be_between",
        "gross_mass_kg",
    ),
    "hs_code_regex": (
        lambda f: f.with_columns(hs_code=pl.lit("6109")),
        "expect_column_values_to_match_regex",
        "hs_code",
    ),
}


@pytest.mark.parametrize("case", sorted(CRITICAL_CASES))
def test_a_corrupted_partition_fails_its_critical_expectation(
    case: str, settings: Settings, rows: Rows, write_partition: Write
) -> None:
    corrupt, expectation, column = CRITICAL_CASES[case]
    write_partition("declarations", corrupt(rows("declarations")))
    write_partition("orders", rows("orders"))

    with pytest.raises(DataQualityError) as raised:
        check_feed(settings, "declarations", DAY)

    message = str(raised.value)
    assert "feed_declarations" in message and "feed 'declarations'" in message
    assert "2026-09-01" in message and expectation in message
    if column:
        assert f"column={column}" in message
    (outcome,) = raised.value.outcomes
    assert outcome.failed_critical[0].startswith(expectation)
    # Recorded before raising.
    failed = _results(outcome).filter(~pl.col("success"))
    assert failed.row(0, named=True)["expectation_type"] == expectation
    assert set(failed["severity"]) == {"critical"}
    if case == "columns":
        assert "observed missing ['description']" in outcome.failed_critical[0]
        # The expectations on the missing column fail too, with GX's error as observed value.
        assert failed["observed_value"][1:].str.contains('"description" .* does not exist').all()
    else:
        assert failed.select("expectation_type", "column").rows() == [(expectation, column)]


def test_warnings_are_recorded_but_do_not_raise(
    settings: Settings, rows: Rows, write_partition: Write
) -> None:
    stale = datetime(2026, 8, 20, tzinfo=UTC)
    frame = rows("declarations").with_columns(
        declared_at=pl.lit(stale, FEEDS["declarations"].columns["declared_at"]),
    )
    for back in (1, 2, 3):
        day = DAY - timedelta(back)
        write_partition("declarations", rows("declarations", 20, day), day)
    write_partition("declarations", frame)  # 5 rows against a trailing mean of 20
    write_partition("orders", rows("orders", 5))

    outcome = check_feed(settings, "declarations", DAY)

    assert outcome.failed_critical == []
    failed = sorted(outcome.failed_warning)
    assert len(failed) == 2, failed
    assert "column=declared_at" in failed[0] and "2026-08-20" in failed[0]
    assert failed[1].startswith("expect_table_row_count_to_be_between(min_value=10")
    recorded = _results(outcome).filter(~pl.col("success"))
    assert set(recorded["severity"]) == {"warning"} and recorded.height == 2


def test_an_absent_partition_is_a_volume_warning(settings: Settings) -> None:
    outcome = check_feed(settings, "inspections", DAY)
    assert outcome.failed_critical == []
    assert outcome.failed_warning == [
        "expect_table_row_count_to_be_between(min_value=1): observed 0"
    ]


def _by_suite(outcomes: list[CheckOutcome]) -> dict[str, CheckOutcome]:
    return {o.suite: o for o in outcomes}


def test_clean_marts_pass_and_the_build_file_is_released(
    settings: Settings, build_marts: Callable[..., None]
) -> None:
    build_marts()
    outcomes = _by_suite(check_marts(settings, DAY, "manual__2026-09-01T00:00:00+00:00"))

    assert sorted(outcomes) == [
        "mart_fct_customs_valuation",
        "mart_fct_warehouse_lot_valuation",
        "mart_rpt_ioss_monthly_return",
        "mart_rpt_valuation_monthly",
        "reconcile_valuation",
    ]
    assert all(o.failed_critical == [] for o in outcomes.values())
    assert [w for o in outcomes.values() for w in o.failed_warning] == [
        "expect_column_values_to_not_be_null(column=customs_value): observed 1 of 2 rows "
        "unexpected, e.g. [null]"
    ]
    outcome = outcomes["mart_fct_customs_valuation"]
    columns = _results(outcome).filter(
        pl.col("expectation_type") == "expect_column_values_to_match_regex"
    )["column"]
    assert {"jurisdiction_currency", "declared_currency"} <= set(columns)
    assert outcome.results_path.name == "manual__2026-09-01T00_00_00_00_00.parquet"
    reconciled = _results(outcomes["reconcile_valuation"])
    assert reconciled["success"].all() and reconciled.height == 3
    # A writer can open the build file again: the check did not keep it open.
    duckdb.connect(str(settings.warehouse_path)).close()


def test_a_corrupted_mart_raises_naming_the_mart(
    settings: Settings, build_marts: Callable[..., None]
) -> None:
    build_marts(
        "insert into marts.fct_customs_valuation values "
        "('D1', 1, 'DE', 'guess', -1, 'eur', 'EUR', null)"
    )
    with pytest.raises(DataQualityError) as raised:
        check_marts(settings, DAY, "run-1")
    message = str(raised.value)
    assert "marts.fct_customs_valuation" in message and "2026-09-01" in message
    for expected in (
        "expect_compound_columns_to_be_unique(column=declaration_id,item_no)",
        "expect_column_values_to_be_in_set(column=valuation_method",
        "expect_column_values_to_be_between(column=customs_value",
        "expect_column_values_to_match_regex(column=jurisdiction_currency,",
    ):
        assert expected in message
    outcomes = _by_suite(raised.value.outcomes)
    outcome = outcomes["mart_fct_customs_valuation"]
    assert len(outcome.failed_critical) == 4 and outcome.results_path.exists()
    # 3 valuation rows for 2 declaration items: the reconciliation fails too.
    assert "suite reconcile_valuation" in message
    assert (
        outcomes["reconcile_valuation"]
        .failed_critical[0]
        .startswith("expect_column_pair_values_to_be_equal(column=valuation_rows,declaration_items")
    )
    # The other marts were checked and passed.
    assert outcomes["mart_rpt_valuation_monthly"].passed


def test_a_missing_mart_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(DataQualityError, match="does not exist"):
        check_marts(settings, DAY, "run-1")
    with pytest.raises(DataQualityError, match="does not exist"):
        stage_mart_checks(settings)
    settings.warehouse_path.parent.mkdir(parents=True)
    duckdb.connect(str(settings.warehouse_path)).close()
    with pytest.raises(DataQualityError, match=r"marts\.fct_customs_valuation: no such table"):
        check_marts(settings, DAY, "run-1")
    with pytest.raises(DataQualityError, match=r"marts\.fct_customs_valuation: no such table"):
        stage_mart_checks(settings)
    assert (settings.home / "tmp").is_dir()  # the staging folder was made, then removed
    assert not list((settings.home / "tmp").glob("mart_checks-*"))


def test_staged_checks_validate_without_the_build_file(
    settings: Settings, build_marts: Callable[..., None]
) -> None:
    """The marts DAG stages the checks in the DuckDB pool and validates outside it, while the
    risk model writes: validation must read only the staged copies. Here the build file is
    gone before validation, and the outcome is check_marts' own (see the first mart test)."""
    build_marts()
    staged = stage_mart_checks(settings)
    settings.warehouse_path.rename(settings.warehouse_path.with_suffix(".moved"))

    outcomes = _by_suite(validate_staged_marts(settings, staged, DAY, "run-staged"))

    assert len(outcomes) == 5 and all(o.failed_critical == [] for o in outcomes.values())
    assert [w for o in outcomes.values() for w in o.failed_warning] == [
        "expect_column_values_to_not_be_null(column=customs_value): observed 1 of 2 rows "
        "unexpected, e.g. [null]"
    ]
    assert _results(outcomes["reconcile_valuation"])["success"].all()
    assert not staged.exists()  # removed once validated


def test_staged_checks_fail_as_check_marts_does_and_clean_up(
    settings: Settings, build_marts: Callable[..., None]
) -> None:
    build_marts(
        "insert into marts.fct_customs_valuation values "
        "('D1', 1, 'DE', 'guess', -1, 'eur', 'EUR', null)"
    )
    staged = stage_mart_checks(settings, since=DAY)
    with pytest.raises(DataQualityError) as raised:
        validate_staged_marts(settings, staged, DAY, "run-1")
    message = str(raised.value)
    assert "marts.fct_customs_valuation" in message and "suite reconcile_valuation" in message
    assert "(data intervals from 2026-09-01)" in message  # ``since`` travels with the copies
    assert len(_by_suite(raised.value.outcomes)["mart_fct_customs_valuation"].failed_critical) == 4
    assert not staged.exists()
    # Nothing staged (a folder already validated, or never written): a clear error.
    with pytest.raises(DataQualityError, match="nothing staged"):
        validate_staged_marts(settings, staged, DAY, "run-2")
