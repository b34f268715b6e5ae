"""standardize_frame on tiny in-memory frames: types, normalisation, validation, rejects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest
from transform_fixtures import KEY, frame, order, orders

from transforms.pseudonymize import pseudonym
from transforms.rejects import REASON_CODES, reason_codes
from transforms.schemas import DECLARATIONS, INSPECTIONS, ORDERS, REJECTS_SCHEMA
from transforms.standardize import (
    MissingColumnsError,
    check_contract,
    decimal_pattern,
    parse_timestamp,
    standardize_frame,
    valid_ioss_numbers,
)


def run(rows, schema=ORDERS, key=KEY):
    good, rejects = standardize_frame(
        frame(rows), schema, key, source_file="orders/2026-09-01/o.csv", load_id="L1"
    )
    return good.collect(), rejects.collect()


def one_good(**overrides):
    good, rejects = run([order(**overrides)])
    assert rejects.height == 0, rejects["reason"].to_list()
    return good.row(0, named=True)


def one_reject(**overrides):
    good, rejects = run([order(**overrides)])
    assert good.height == 0
    return reason_codes(rejects["reason"].item())


# --- output shape ------------------------------------------------------------------------------


def test_good_rows_have_exactly_the_standardized_schema():
    good, rejects = run(orders(3))
    assert good.schema == pl.Schema(ORDERS.standardized_schema)
    assert rejects.schema == pl.Schema(REJECTS_SCHEMA)
    assert good["source_row"].to_list() == [1, 2, 3]
    assert set(good["source_file"]) == {"orders/2026-09-01/o.csv"}
    assert set(good["load_id"]) == {"L1"}


def test_every_row_is_good_or_rejected_once():
    rows = [*orders(5), order(line_id="9", quantity="0"), order(line_id="10", currency="XXX1")]
    good, rejects = run(rows)
    assert good.height + rejects.height == len(rows)
    assert set(good["source_row"]).isdisjoint(rejects["source_row"])
    assert sorted([*good["source_row"], *rejects["source_row"]]) == list(range(1, 8))


# --- types -----------------------------------------------------------------------------------


def test_timestamps_are_utc_with_offsets_converted():
    cases = {
        "2026-09-01T10:00:00Z": datetime(2026, 9, 1, 10, tzinfo=UTC),
        "2026-09-01T12:00:00+02:00": datetime(2026, 9, 1, 10, tzinfo=UTC),
        "2026-09-01T05:30:00-0430": datetime(2026, 9, 1, 10, tzinfo=UTC),
        "2026-09-01 10:00:00": datetime(2026, 9, 1, 10, tzinfo=UTC),  # naive = UTC
        "2026-09-01T10:00:00.123456": datetime(2026, 9, 1, 10, 0, 0, 123456, tzinfo=UTC),
        "2026-09-01": datetime(2026, 9, 1, tzinfo=UTC),
    }
    parsed = parse_timestamp(pl.Series(list(cases)))
    assert parsed.dtype == pl.Datetime("us", "UTC")
    assert parsed.to_list() == list(cases.values())
    good, _ = run(
        [
            order(line_id="1", ordered_at="2026-09-01T01:00:00+03:00"),
            order(line_id="2", ordered_at=" 2026-09-01T10:00:00Z "),
            order(line_id="3", ordered_at="2026-09-01 10:00:00.5"),
        ]
    )
    assert good.schema["ordered_at"] == pl.Datetime("us", "UTC")
    assert good["ordered_at"].to_list() == [
        datetime(2026, 8, 31, 22, tzinfo=UTC),
        datetime(2026, 9, 1, 10, tzinfo=UTC),
        datetime(2026, 9, 1, 10, 0, 0, 500000, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    "bad", ["2026-02-30T00:00:00Z", "yesterday", "01/09/2026", "2026-09-01T25:00"]
)
def test_invalid_timestamps_are_rejected(bad):
    assert one_reject(ordered_at=bad) == ["invalid_timestamp:ordered_at"]


def test_money_is_exact_decimal_never_float():
    good, _ = run([order(line_id="1", unit_price="0.1"), order(line_id="2", unit_price="0.2")])
    assert good.schema["unit_price"] == pl.Decimal(18, 4)
    total = good["unit_price"].sum()
    assert total == Decimal("0.3")  # 0.1 + 0.2 in binary floating point is 0.30000000000000004
    big = one_good(unit_price="99999999999999.9999")["unit_price"]
    assert big == Decimal("99999999999999.9999")  # 18 significant digits, beyond a float's 15-17


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", "12"), ("+3.5", "3.5"), ("-0", "0"), (".25", "0.25"), ("1.23450000", "1.2345")],
)
def test_decimal_forms_accepted(text, expected):
    assert one_good(discount=text)["discount"] == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["1e3", "1,5", "1 000", "0.00001", "12.3.4", "100000000000000", "€5"]
)
def test_decimal_forms_rejected(text):
    assert one_reject(discount=text) == ["invalid_decimal:discount"]


def test_decimal_pattern_keeps_scale():
    assert decimal_pattern(3) != decimal_pattern(4)


def test_mass_has_its_own_scale():
    decl = {
        "declaration_id": "D1",
        "item_no": "1",
        "declared_at": "2026-09-01T10:00:00Z",
        "jurisdiction": "de",
        "declarant_id": "DC1",
        "importer_id": "IMP1",
        "seller_id": "S1",
        "parcel_id": None,
        "ioss_number": None,
        "procedure": "h7",
        "hs_code": "6206.10",
        "description": "blouse",
        "origin_country": "CN",
        "quantity": "1",
        "gross_mass_kg": "0.250",
        "declared_value": "12.50",
        "currency": "EUR",
        "transport_cost": "",
        "insurance_cost": None,
    }
    good, rejects = run([decl], schema=DECLARATIONS)
    assert rejects.height == 0, rejects["reason"].to_list()
    row = good.row(0, named=True)
    assert good.schema == pl.Schema(DECLARATIONS.standardized_schema)
    assert row["gross_mass_kg"] == Decimal("0.250") and good.schema["gross_mass_kg"].scale == 3
    assert row["item_no"] == 1 and good.schema["item_no"] == pl.Int32
    assert row["jurisdiction"] == "DE" and row["procedure"] == "H7"
    assert row["transport_cost"] is None  # empty = unknown, not zero
    _, rejects = run([{**decl, "gross_mass_kg": "0.2501"}], schema=DECLARATIONS)
    assert reason_codes(rejects["reason"].item()) == ["invalid_decimal:gross_mass_kg"]
    _, rejects = run([{**decl, "item_no": "99999999999"}], schema=DECLARATIONS)
    assert reason_codes(rejects["reason"].item()) == ["invalid_integer:item_no"]


def test_integers():
    assert one_good(quantity=" 3 ")["quantity"] == 3
    assert one_reject(quantity="2.0") == ["invalid_integer:quantity"]
    assert one_reject(quantity="two") == ["invalid_integer:quantity"]


# --- normalisation and codes -----------------------------------------------------------------


def test_text_is_trimmed_and_blank_is_missing():
    row = one_good(order_id="  O7\t", title=" a title ")
    assert row["order_id"] == "O7" and row["title"] == "a title"
    assert one_reject(order_id="   ") == ["missing:order_id"]
    assert one_reject(order_id="") == ["missing:order_id"]


def test_iso_codes_are_upper_cased_and_validated():
    row = one_good(seller_country=" cn", buyer_country="de", currency="eur ")
    assert (row["seller_country"], row["buyer_country"], row["currency"]) == ("CN", "DE", "EUR")
    assert one_reject(buyer_country="UK") == ["invalid_country:buyer_country"]  # GB is the code
    assert one_reject(buyer_country="DEU") == ["invalid_country:buyer_country"]
    assert one_reject(currency="EURO") == ["invalid_currency:currency"]
    assert one_reject(currency="RMB") == ["invalid_currency:currency"]  # CNY is the code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0101.21", "010121"),
        ("6109 10 00", "61091000"),
        ("0101.21.00.10", "0101210010"),
        ("620610", "620610"),
    ],
)
def test_hs_codes_keep_leading_zeros(text, expected):
    assert one_good(hs_code=text)["hs_code"] == expected


@pytest.mark.parametrize("text", ["12345", "12345678901", "61-09-10", "ABCDEF"])
def test_bad_hs_codes(text):
    assert one_reject(hs_code=text) == ["invalid_hs_code:hs_code"]


def test_hs_code_is_nullable_in_orders():
    assert one_good(hs_code=None)["hs_code"] is None


def test_ioss_numbers():
    assert one_good(ioss_number="im 372-0000022")["ioss_number"] == "IM3720000022"
    assert one_good(ioss_number=None)["ioss_number"] is None
    for bad in ["IM9990000022", "IM372000002", "EU372022452", "372000002211"]:
        assert one_reject(ioss_number=bad) == ["invalid_ioss:ioss_number"], bad
    assert valid_ioss_numbers(["IM3720000022", "IM9990000022", "EU372022452"]) == ["IM3720000022"]


def test_allowed_values():
    row = {
        "declaration_id": "D1",
        "inspected_at": "2026-09-01T10:00:00Z",
        "result": "Undervaluation",
        "assessed_value": None,
        "currency": "EUR",
        "additional_revenue": "3.20",
    }
    good, rejects = run([row], schema=INSPECTIONS)
    assert good["result"].to_list() == ["undervaluation"]
    _, rejects = run([{**row, "result": "fraud"}], schema=INSPECTIONS)
    assert reason_codes(rejects["reason"].item()) == ["not_allowed:result"]


def test_sign_checks():
    assert one_reject(quantity="0") == ["not_positive:quantity"]
    assert one_reject(quantity="-2") == ["not_positive:quantity"]
    assert one_reject(unit_price="-0.01") == ["negative:unit_price"]
    assert one_good(unit_price="0")["unit_price"] == Decimal(0)


# --- rejects -----------------------------------------------------------------------------------


def test_every_reason_code_in_one_file():
    rows = [
        order(line_id="1", seller_id=None),
        order(line_id="2", ordered_at="not a time"),
        order(line_id="3", unit_price="12,50"),
        order(line_id="4", quantity="1.5"),
        order(line_id="5", origin_country="XX"),
        order(line_id="6", currency="ZZZ"),
        order(line_id="7", hs_code="61"),
        order(line_id="8", ioss_number="IM0000000000"),
        order(line_id="9", quantity="0"),
        order(line_id="10", discount="-1"),
        order(line_id="1"),  # same key as row 1: a duplicate
    ]
    good, rejects = run(rows)
    assert good.height == 0
    reasons = dict(zip(rejects["source_row"], rejects["reason"], strict=True))
    assert reasons == {
        1: "missing:seller_id",
        2: "invalid_timestamp:ordered_at",
        3: "invalid_decimal:unit_price",
        4: "invalid_integer:quantity",
        5: "invalid_country:origin_country",
        6: "invalid_currency:currency",
        7: "invalid_hs_code:hs_code",
        8: "invalid_ioss:ioss_number",
        9: "not_positive:quantity",
        10: "negative:discount",
        11: "duplicate_key",
    }
    used = {r.split(":")[0] for r in reasons.values()}
    assert used <= set(REASON_CODES)


def test_several_reasons_are_joined_in_column_order():
    codes = one_reject(order_id=None, currency="eu", quantity="0", buyer_country="??")
    assert codes == [
        "missing:order_id",
        "invalid_country:buyer_country",
        "not_positive:quantity",
        "invalid_currency:currency",
    ]


def test_duplicate_key_keeps_the_first_row():
    rows = [order(line_id="1"), order(line_id="2"), order(line_id=" 1 ", title="again")]
    good, rejects = run(rows)
    assert good["source_row"].to_list() == [1, 2]
    assert rejects["source_row"].to_list() == [3]
    assert rejects["reason"].to_list() == ["duplicate_key"]


def test_rejects_carry_the_raw_row_with_pseudonymised_identifiers():
    _good, rejects = run([order(buyer_id="ALICE-42", quantity="lots", extra_col="x")])
    raw = json.loads(rejects["raw"].item())
    assert raw["quantity"] == "lots" and raw["extra_col"] == "x"
    assert raw["buyer_id"] == pseudonym(KEY, "ALICE-42")
    assert "ALICE-42" not in rejects["raw"].item()
    assert rejects.row(0, named=True) | {"raw": None} == {
        "load_id": "L1",
        "feed": "orders",
        "source_file": "orders/2026-09-01/o.csv",
        "source_row": 1,
        "reason": "invalid_integer:quantity",
        "raw": None,
    }


# --- file contract -----------------------------------------------------------------------------


def test_missing_required_column_raises_naming_the_columns():
    rows = [{k: v for k, v in order().items() if k not in ("currency", "sku")}]
    with pytest.raises(
        MissingColumnsError, match=r"f\.csv: required columns missing: sku, currency"
    ):
        standardize_frame(frame(rows), ORDERS, KEY, source_file="f.csv")


def test_missing_nullable_column_is_null_and_extra_columns_are_dropped():
    rows = [{**{k: v for k, v in order().items() if k != "warehouse_id"}, "promo": "X"}]
    good, rejects = run(rows)
    assert rejects.height == 0
    assert good["warehouse_id"].to_list() == [None]
    assert "promo" not in good.columns
    check = check_contract(rows[0], ORDERS)
    assert check.extra == ("promo",) and check.missing_nullable == ("warehouse_id",)


def test_column_names_match_ignoring_case_and_blanks():
    row = {(" " + k.upper() if k == "sku" else k): v for k, v in order().items()}
    good, rejects = run([row])
    assert rejects.height == 0 and good["sku"].to_list() == ["SKU1"]


# --- pseudonymisation --------------------------------------------------------------------------


def test_personal_identifiers_are_pseudonymised_and_stable():
    rows = [order(line_id="1", buyer_id="ALICE"), order(line_id="2", buyer_id=" ALICE ")]
    good, _ = run(rows)
    assert good["buyer_id"].to_list() == [pseudonym(KEY, "ALICE")] * 2
    assert "ALICE" not in good["buyer_id"].to_list()
    other, _ = run(rows, key=b"another key")
    assert other["buyer_id"][0] != good["buyer_id"][0]
