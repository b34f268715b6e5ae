"""The suite files: generated from the contracts, loadable by GX, complete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expectations import build_suites
from expectations.suite_files import (
    SUITES_DIR,
    SuiteFileError,
    all_suite_names,
    expand_column_templates,
    load_suite,
    mart_suite_names,
)
from transforms.schemas import FEEDS, LINEAGE


def _by(suite: dict, type_: str) -> list[dict]:
    return [e for e in suite["expectations"] if e["type"] == type_]


def _columns(suite: dict, type_: str) -> set[str]:
    return {e["kwargs"]["column"] for e in _by(suite, type_)}


def test_committed_suites_equal_build_suites_output() -> None:
    rendered = build_suites.render_all()
    committed = {p.name: p.read_text(encoding="utf-8") for p in SUITES_DIR.glob("*.json")}
    assert sorted(committed) == sorted(rendered), "run: python -m expectations.build_suites"
    for name, text in rendered.items():
        assert committed[name] == text, f"{name} is stale: run python -m expectations.build_suites"
    assert build_suites.main(["--check"]) == 0


MARTS = [
    "mart_fct_customs_valuation",
    "mart_fct_warehouse_lot_valuation",
    "mart_rpt_ioss_monthly_return",
    "mart_rpt_valuation_monthly",
]


def test_every_feed_and_mart_has_a_suite() -> None:
    assert set(all_suite_names()) == {f"feed_{f}" for f in FEEDS} | {
        *MARTS,
        "audit_file_loads",
        "reconcile_valuation",
    }
    assert mart_suite_names() == MARTS


def test_severities_of_the_new_checks_live_in_the_files() -> None:
    """Referential and distribution checks are warnings, reconciliations critical."""

    def severity(suite: str, description_start: str) -> str:
        (exp,) = [
            e
            for e in load_suite(suite)["expectations"]
            if e["meta"]["description"].startswith(description_start)
        ]
        return exp["meta"]["severity"]

    assert severity("feed_declarations", "referential: seller_id") == "warning"
    assert load_suite("feed_declarations")["meta"]["referential"][0]["sources"] == [
        {"feed": "orders", "column": "seller_id"},
        {"feed": "warehouse_receipts", "column": "seller_id"},
    ]
    assert severity("audit_file_loads", "distribution:") == "warning"
    assert severity("audit_file_loads", "reconciliation:") == "critical"
    assert severity("mart_fct_customs_valuation", "distribution:") == "warning"
    assert severity("mart_fct_warehouse_lot_valuation", "reconciliation:") == "critical"
    assert {e["meta"]["severity"] for e in load_suite("reconcile_valuation")["expectations"]} == {
        "critical"
    }
    for feed in FEEDS:
        if feed != "declarations":
            assert "referential" not in load_suite(f"feed_{feed}")["meta"]


@pytest.mark.parametrize("mart", MARTS[1:])
def test_new_mart_suites_check_keys_nulls_ranges_and_values(mart: str) -> None:
    suite = load_suite(mart)
    types = {e["type"] for e in suite["expectations"]}
    assert types >= {
        "expect_table_columns_to_match_set",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_between",
    }
    assert types & {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
    assert types & {"expect_column_values_to_be_in_set", "expect_column_values_to_match_regex"}
    assert suite["meta"]["table"] == "marts." + mart.removeprefix("mart_")


def test_suite_files_load_into_gx_unchanged() -> None:
    import great_expectations as gx

    for name in all_suite_names():
        spec = load_suite(name)
        suite = gx.ExpectationSuite(**spec)
        assert len(suite.expectations) == len(spec["expectations"]), name
        round_trip = suite.to_json_dict()["expectations"]
        for ours, theirs in zip(spec["expectations"], round_trip, strict=True):
            assert theirs["type"] == ours["type"]
            assert theirs["kwargs"] == ours["kwargs"]
            assert theirs["meta"]["severity"] == theirs["severity"] == ours["meta"]["severity"]


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_feed_suite_covers_the_contract_roles(feed: str) -> None:
    schema, suite = FEEDS[feed], load_suite(f"feed_{feed}")
    (columns,) = _by(suite, "expect_table_columns_to_match_ordered_list")
    derived = [r["derived_column"] for r in suite["meta"].get("referential", [])]
    assert columns["kwargs"]["column_list"] == [*schema.standardized_schema, *derived]
    assert _columns(suite, "expect_column_values_to_not_be_null") == {*schema.required, *LINEAGE}
    unique = _by(suite, "expect_compound_columns_to_be_unique")
    assert [u["kwargs"]["column_list"] for u in unique] == [list(schema.key)]
    in_set = {
        e["kwargs"]["column"]: e["kwargs"]["value_set"]
        for e in _by(suite, "expect_column_values_to_be_in_set")
    }
    for column in schema.countries:
        assert "DE" in in_set[column] and "XX" not in in_set[column]
    for column in schema.currencies:
        assert "EUR" in in_set[column] and "EURO" not in in_set[column]
    for column, values in schema.allowed_values.items():
        assert in_set[column] == list(values)
    regexes = {
        e["kwargs"]["column"]: e["kwargs"]["regex"]
        for e in _by(suite, "expect_column_values_to_match_regex")
    }
    for column in schema.hs_codes:
        assert regexes[column] == "^[0-9]{6,10}$"
    between = {e["kwargs"]["column"]: e for e in _by(suite, "expect_column_values_to_be_between")}
    for column in schema.positive:
        assert between[column]["kwargs"]["min_value"] == 1
    for column in schema.non_negative:
        assert between[column]["kwargs"]["min_value"] == 0
        assert between[column]["meta"]["severity"] == "critical"
    assert between[schema.event_time]["meta"]["severity"] == "warning"
    row_counts = _by(suite, "expect_table_row_count_to_be_between")
    assert {r["meta"]["severity"] for r in row_counts} == {"warning"}
    assert len(row_counts) == 2


def test_mass_has_an_upper_bound() -> None:
    suite = load_suite("feed_declarations")
    (mass,) = [
        e
        for e in _by(suite, "expect_column_values_to_be_between")
        if e["kwargs"]["column"] == "gross_mass_kg"
    ]
    assert mass["kwargs"] == {"column": "gross_mass_kg", "min_value": 0, "max_value": 100_000}


def test_currency_template_expands_to_every_currency_column() -> None:
    suite = load_suite("mart_fct_customs_valuation")
    columns = ["declaration_id", "currency", "declared_currency", "currency_note", "fx_rate"]
    expanded = expand_column_templates(suite, columns)
    regex_columns = [
        e["kwargs"]["column"]
        for e in _by(expanded, "expect_column_values_to_match_regex")
        if e["kwargs"]["regex"] == "^[A-Z]{3}$"
    ]
    assert regex_columns == ["currency", "declared_currency"]
    assert len(expanded["expectations"]) == len(suite["expectations"]) + 1
    # Without any matching column the template stays, so the check fails visibly.
    assert len(expand_column_templates(suite, ["x"])["expectations"]) == len(suite["expectations"])


def test_a_suite_without_severity_is_refused(tmp_path: Path) -> None:
    spec = load_suite("feed_inspections")
    del spec["expectations"][0]["meta"]["severity"]
    (tmp_path / "feed_inspections.json").write_text(json.dumps(spec))
    with pytest.raises(SuiteFileError, match=r"meta\.severity"):
        load_suite("feed_inspections", tmp_path)


def test_a_suite_gx_cannot_fully_load_is_refused() -> None:
    import great_expectations as gx

    from expectations.gx_run import _to_gx_suite

    spec = load_suite("feed_inspections")
    spec["expectations"][0]["type"] = "expect_column_values_to_be_betwen"
    with pytest.raises(ValueError, match="GX accepted 17 of 18"):
        _to_gx_suite(gx, spec)
