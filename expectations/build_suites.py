"""Generate the expectation suites in ``expectations/suites/`` from the feed contracts.

The feed suites are derived from the roles in ``transforms.schemas`` (key, nullable, countries,
currencies, HS codes, positive, allowed values, event time), so a contract change shows up as a
reviewable diff of the JSON. The ISO country and currency code lists are written into the files
(from ``pycountry`` at generation time), so each suite is self-contained and GX loads it as is.

Run ``python -m expectations.build_suites`` after changing a contract or this file, and commit the
output; ``--check`` exits with status 1 when the committed files differ from what this generates
(a test does the same).

Severity lives in each expectation: ``meta.severity`` (what ``expectations.checkpoints`` acts on)
and GX's own ``severity`` field (what Data Docs shows) always carry the same value.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pycountry

from transforms.schemas import FEEDS, LINEAGE, FeedSchema

SUITES_DIR = Path(__file__).resolve().parent / "suites"

CRITICAL = "critical"
WARNING = "warning"

HS_CODE_REGEX = r"^[0-9]{6,10}$"
# IOSS number: "IM", 3-digit code of the member state of identification, 7 digits.
IOSS_REGEX = r"^IM[0-9]{10}$"
CURRENCY_CODE_REGEX = r"^[A-Z]{3}$"
# transforms.pseudonymize: HMAC-SHA256 hex digest. Anything else is personal data in the clear.
PSEUDONYM_REGEX = r"^[0-9a-f]{64}$"
# Upper bounds on top of the contract's "non-negative" role: a value above is implausible.
UPPER_BOUNDS: dict[str, float] = {"gross_mass_kg": 100_000}

# Event time of a feed's rows: inside the data interval or at most this many days before it.
FRESHNESS_LOOKBACK_DAYS = 3
# Row count against the trailing average of earlier partitions of the same feed.
VOLUME_BAND = {"lookback_days": 14, "min_history_days": 3, "lower_ratio": 0.5, "upper_ratio": 2.0}

VALUATION_METHODS = ("transaction", "deductive", "declared", "fallback")
EU_MEMBER_STATES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
MONTH_REGEX = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$"
HS_CHAPTER_REGEX = r"^[0-9]{2}$"

# Referential checks of a feed against other feeds, resolved per run by expectations.checkpoints:
# the values of ``sources`` seen in the standardised partitions dated up to the data interval.
REFERENTIAL: dict[str, list[dict[str, Any]]] = {
    "declarations": [
        {
            "column": "seller_id",
            # Computed by the checker in Polars before GX runs (a semi-join with the known
            # values): the seller_id where it was not seen, null where it was. A value set of
            # every known seller in the expectation would be serialised by GX for every metric.
            "derived_column": "seller_id_if_unknown",
            # Warehouse entries (WH) are declared at import, before the warehouse records the
            # receipt that makes their seller known: only parcel/standard items are checked.
            "row_condition": {
                "column": {"name": "procedure"},
                "operator": "!=",
                "parameter": "WH",
                "type": "comparison",
            },
            "sources": [
                {"feed": "orders", "column": "seller_id"},
                {"feed": "warehouse_receipts", "column": "seller_id"},
            ],
        }
    ]
}
# Distribution bands (shares between 0 and 1).
MAX_REJECTED_SHARE = 0.05  # of the rows read for a feed-day (audit file_loads)
MAX_UNMATCHED_PARCEL_SHARE = 0.05  # of parcel items valued at their declared value

# Suite parameters the runner computes per run (see expectations.checkpoints).
P_VOLUME_MIN = "volume_min_rows"
P_VOLUME_MAX = "volume_max_rows"
P_EVENT_MIN = "event_time_min"
P_EVENT_MAX = "event_time_max"


def iso_countries() -> list[str]:
    return sorted(c.alpha_2 for c in pycountry.countries)


def iso_currencies() -> list[str]:
    return sorted(c.alpha_3 for c in pycountry.currencies)


def _exp(type_: str, severity: str, description: str, **kwargs: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "kwargs": kwargs,
        "meta": {"severity": severity, "description": description},
        "severity": severity,
    }


def _unique(columns: tuple[str, ...], severity: str, description: str) -> dict[str, Any]:
    if len(columns) == 1:
        return _exp("expect_column_values_to_be_unique", severity, description, column=columns[0])
    return _exp(
        "expect_compound_columns_to_be_unique", severity, description, column_list=list(columns)
    )


def feed_suite(feed: FeedSchema) -> dict[str, Any]:
    countries, currencies = iso_countries(), iso_currencies()
    derived = [ref["derived_column"] for ref in REFERENTIAL.get(feed.name, [])]
    columns = [*feed.standardized_schema, *derived]
    required = [*feed.required, *LINEAGE]
    exps: list[dict[str, Any]] = [
        _exp(
            "expect_table_columns_to_match_ordered_list",
            CRITICAL,
            "the partition has exactly the standardised columns, in order"
            + (f" (then the checker's derived {', '.join(derived)})" if derived else ""),
            column_list=columns,
        ),
        _exp(
            "expect_table_row_count_to_be_between",
            WARNING,
            "volume: the feed delivered rows for the day",
            min_value=1,
        ),
        _exp(
            "expect_table_row_count_to_be_between",
            WARNING,
            "volume: row count within the band around the trailing daily average "
            "(parameters computed per run from earlier partitions; no bound without history)",
            min_value={"$PARAMETER": P_VOLUME_MIN},
            max_value={"$PARAMETER": P_VOLUME_MAX},
        ),
        _unique(feed.key, CRITICAL, f"the key ({', '.join(feed.key)}) is unique"),
    ]
    exps += [
        _exp("expect_column_values_to_not_be_null", CRITICAL, f"{c} is required", column=c)
        for c in required
    ]
    exps += [
        _exp(
            "expect_column_values_to_be_in_set",
            CRITICAL,
            f"{c} is an ISO 3166-1 alpha-2 country code",
            column=c,
            value_set=countries,
        )
        for c in feed.countries
    ]
    exps += [
        _exp(
            "expect_column_values_to_be_in_set",
            CRITICAL,
            f"{c} is an ISO 4217 currency code",
            column=c,
            value_set=currencies,
        )
        for c in feed.currencies
    ]
    exps += [
        _exp(
            "expect_column_values_to_match_regex",
            CRITICAL,
            f"{c} is an HS code of 6 to 10 digits",
            column=c,
            regex=HS_CODE_REGEX,
        )
        for c in feed.hs_codes
    ]
    exps += [
        _exp(
            "expect_column_values_to_match_regex",
            CRITICAL,
            f"{c} has the IOSS number format IM + 10 digits",
            column=c,
            regex=IOSS_REGEX,
        )
        for c in feed.ioss_numbers
    ]
    exps += [
        _exp(
            "expect_column_values_to_match_regex",
            CRITICAL,
            f"{c} is pseudonymised (a keyed-hash hex digest, never the identifier in the clear)",
            column=c,
            regex=PSEUDONYM_REGEX,
        )
        for c in feed.pseudonymised
    ]
    exps += [
        _exp(
            "expect_column_values_to_be_in_set",
            CRITICAL,
            f"{c} is one of the allowed values",
            column=c,
            value_set=list(values),
        )
        for c, values in feed.allowed_values.items()
    ]
    exps += [
        _exp(
            "expect_column_values_to_be_between",
            CRITICAL,
            f"{c} is at least 1",
            column=c,
            min_value=1,
        )
        for c in (*feed.positive, "source_row")
    ]
    for c in feed.non_negative:
        bounds = {"min_value": 0}
        description = f"{c} is not negative"
        if c in UPPER_BOUNDS:
            bounds["max_value"] = UPPER_BOUNDS[c]
            description = f"{c} is between 0 and {UPPER_BOUNDS[c]:,}"
        exps.append(
            _exp("expect_column_values_to_be_between", CRITICAL, description, column=c, **bounds)
        )
    for ref in REFERENTIAL.get(feed.name, []):
        sources = " or ".join(f"{r['feed']}.{r['column']}" for r in ref["sources"])
        exps.append(
            _exp(
                "expect_column_values_to_be_null",
                WARNING,
                f"referential: {ref['column']} was seen in {sources} on or before the data "
                f"interval ({ref['derived_column']}, derived per run from the standardised "
                f"partitions, holds the {ref['column']} where it was not seen, null where it "
                "was; warehouse entries excluded)",
                column=ref["derived_column"],
                row_condition=ref["row_condition"],
            )
        )
    if feed.event_time:
        exps.append(
            _exp(
                "expect_column_values_to_be_between",
                WARNING,
                f"freshness: {feed.event_time} falls in the data interval or the "
                f"{FRESHNESS_LOOKBACK_DAYS} days before it",
                column=feed.event_time,
                min_value={"$PARAMETER": P_EVENT_MIN},
                max_value={"$PARAMETER": P_EVENT_MAX},
                strict_max=True,
            )
        )
    return {
        "name": f"feed_{feed.name}",
        "expectations": exps,
        "meta": {
            "kind": "feed",
            "feed": feed.name,
            "freshness": {"column": feed.event_time, "lookback_days": FRESHNESS_LOOKBACK_DAYS},
            "volume_band": VOLUME_BAND,
            **({"referential": REFERENTIAL[feed.name]} if feed.name in REFERENTIAL else {}),
            "generated_by": "expectations/build_suites.py from transforms/schemas.py",
        },
        "notes": (
            f"Gate on the standardised '{feed.name}' partition of one data interval. "
            "Critical failures stop the daily run; warnings are recorded and logged."
        ),
    }


def mart_fct_customs_valuation_suite() -> dict[str, Any]:
    key = ("declaration_id", "item_no")
    exps = [
        _exp(
            "expect_table_columns_to_match_set",
            CRITICAL,
            "the mart has at least these columns (it may have more)",
            column_set=[
                *key,
                "jurisdiction",
                "jurisdiction_currency",
                "valuation_method",
                "customs_value",
                "parcel_id",
            ],
            exact_match=False,
        ),
        _exp(
            "expect_table_row_count_to_be_between",
            WARNING,
            "volume: the mart has rows",
            min_value=1,
        ),
        _unique(key, CRITICAL, "one row per declaration item (declaration_id, item_no)"),
        *(
            _exp("expect_column_values_to_not_be_null", CRITICAL, f"{c} is required", column=c)
            for c in (*key, "valuation_method")
        ),
        _exp(
            "expect_column_values_to_be_in_set",
            CRITICAL,
            "valuation_method is one of the methods of the valuation rules",
            column="valuation_method",
            value_set=list(VALUATION_METHODS),
        ),
        _exp(
            "expect_column_values_to_be_between",
            CRITICAL,
            "customs_value is not negative where it is known",
            column="customs_value",
            min_value=0,
        ),
        _exp(
            "expect_column_values_to_not_be_null",
            WARNING,
            "customs_value is known (a null is an item that could not be valued)",
            column="customs_value",
        ),
        _exp(
            "expect_column_values_to_be_in_set",
            CRITICAL,
            "jurisdiction is an ISO 3166-1 alpha-2 country code",
            column="jurisdiction",
            value_set=iso_countries(),
        ),
        _exp(
            "expect_column_values_to_not_be_in_set",
            WARNING,
            "distribution: at most "
            f"{MAX_UNMATCHED_PARCEL_SHARE:.0%} of parcel items are unmatched (no order line: "
            "valued at the declared value)",
            column="valuation_method",
            value_set=["declared"],
            mostly=round(1 - MAX_UNMATCHED_PARCEL_SHARE, 6),
            # GX 1.x row condition (great_expectations.expectations.row_conditions) as GX
            # serialises Column("parcel_id").is_not_null(): only parcel items count.
            row_condition={"column": {"name": "parcel_id"}, "is_null": False, "type": "nullity"},
        ),
    ]
    currency = _exp(
        "expect_column_values_to_match_regex",
        CRITICAL,
        "every currency column (name ending in 'currency') holds 3-letter codes",
        column="jurisdiction_currency",
        regex=CURRENCY_CODE_REGEX,
    )
    # Expanded at run time to one expectation per matching column of the mart (columns grow).
    currency["meta"]["apply_to_columns_matching"] = r"^(.+_)?currency$"
    exps.append(currency)
    return {
        "name": "mart_fct_customs_valuation",
        "expectations": exps,
        "meta": {
            "kind": "mart",
            "table": "marts.fct_customs_valuation",
            "generated_by": "expectations/build_suites.py",
        },
        "notes": (
            "Checks on the valuation mart after dbt build. Critical failures block the "
            "publication of the snapshot; warnings are recorded and logged."
        ),
    }


def _currency_template(column: str) -> dict[str, Any]:
    """Every currency column (expanded at run time, see ``suite_files.expand_column_templates``)."""
    exp = _exp(
        "expect_column_values_to_match_regex",
        CRITICAL,
        "every currency column (name ending in 'currency') holds 3-letter codes",
        column=column,
        regex=CURRENCY_CODE_REGEX,
    )
    exp["meta"]["apply_to_columns_matching"] = r"^(.+_)?currency$"
    return exp


def _mart(table: str, exps: list[dict[str, Any]], notes: str) -> dict[str, Any]:
    return {
        "name": f"mart_{table}",
        "expectations": exps,
        "meta": {
            "kind": "mart",
            "table": f"marts.{table}",
            "generated_by": "expectations/build_suites.py",
        },
        "notes": notes
        + " Critical failures block the publication of the snapshot; warnings are recorded.",
    }


def _required(columns: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        _exp("expect_column_values_to_not_be_null", CRITICAL, f"{c} is required", column=c)
        for c in columns
    ]


def _at_least(columns: tuple[str, ...], minimum: float, severity: str = CRITICAL) -> list[dict]:
    word = "not negative" if minimum == 0 else f"at least {minimum}"
    return [
        _exp(
            "expect_column_values_to_be_between",
            severity,
            f"{c} is {word} where it is known",
            column=c,
            min_value=minimum,
        )
        for c in columns
    ]


def _has_columns(columns: tuple[str, ...]) -> dict[str, Any]:
    return _exp(
        "expect_table_columns_to_match_set",
        CRITICAL,
        "the mart has at least these columns (it may have more)",
        column_set=list(columns),
        exact_match=False,
    )


def _has_rows() -> dict[str, Any]:
    return _exp(
        "expect_table_row_count_to_be_between", WARNING, "volume: the mart has rows", min_value=1
    )


def mart_fct_warehouse_lot_valuation_suite() -> dict[str, Any]:
    countries = iso_countries()
    exps = [
        _has_columns(
            (
                "lot_id",
                "warehouse_id",
                "warehouse_country",
                "seller_id",
                "sku",
                "origin_country",
                "quantity",
                "dispatched_quantity",
                "qualifying_quantity",
                "declared_unit_value_eur",
                "deductive_unit_value_eur",
                "declared_currency",
            )
        ),
        _has_rows(),
        _unique(("lot_id",), CRITICAL, "one row per receipt lot"),
        *_required(("lot_id", "warehouse_id", "seller_id", "sku", "quantity")),
        *_required(("dispatched_quantity", "qualifying_quantity")),
        *(
            _exp(
                "expect_column_values_to_be_in_set",
                CRITICAL,
                f"{c} is an ISO 3166-1 alpha-2 country code",
                column=c,
                value_set=countries,
            )
            for c in ("warehouse_country", "origin_country")
        ),
        *_at_least(("quantity",), 1),
        *_at_least(
            (
                "dispatched_quantity",
                "qualifying_quantity",
                "declared_unit_value_eur",
                "deductive_unit_value_eur",
                "declared_to_deductive_ratio",
            ),
            0,
        ),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            CRITICAL,
            "reconciliation: receipts minus dispatches is never negative per lot "
            "(quantity received >= quantity dispatched)",
            column_A="quantity",
            column_B="dispatched_quantity",
            or_equal=True,
        ),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            CRITICAL,
            "the sales used (qualifying_quantity) are among the units dispatched",
            column_A="dispatched_quantity",
            column_B="qualifying_quantity",
            or_equal=True,
        ),
        _currency_template("declared_currency"),
    ]
    return _mart(
        "fct_warehouse_lot_valuation",
        exps,
        "Checks on the warehouse lot valuation (deductive method) after dbt build.",
    )


def mart_rpt_ioss_monthly_return_suite() -> dict[str, Any]:
    key = (
        "ioss_number",
        "return_period",
        "member_state_of_consumption",
        "vat_rate_pct",
        "supply_period",
    )
    exps = [
        _has_columns((*key, "is_correction", "item_count", "taxable_amount_eur", "vat_amount_eur")),
        _exp(
            "expect_table_row_count_to_be_between",
            WARNING,
            "volume: the return has rows (none when no IOSS parcel arrived)",
            min_value=1,
        ),
        _unique(key, CRITICAL, f"one row per {', '.join(key)}"),
        *_required((*key, "is_correction", "item_count", "taxable_amount_eur", "vat_amount_eur")),
        _exp(
            "expect_column_values_to_match_regex",
            CRITICAL,
            "ioss_number has the IOSS number format IM + 10 digits",
            column="ioss_number",
            regex=IOSS_REGEX,
        ),
        *(
            _exp(
                "expect_column_values_to_match_regex",
                CRITICAL,
                f"{c} is a month YYYY-MM",
                column=c,
                regex=MONTH_REGEX,
            )
            for c in ("return_period", "supply_period")
        ),
        _exp(
            "expect_column_values_to_be_in_set",
            CRITICAL,
            "member_state_of_consumption is an EU member state (ISO 3166-1 alpha-2)",
            column="member_state_of_consumption",
            value_set=list(EU_MEMBER_STATES),
        ),
        _exp(
            "expect_column_values_to_be_between",
            CRITICAL,
            "vat_rate_pct is a VAT rate between 0 and 30 percent",
            column="vat_rate_pct",
            min_value=0,
            max_value=30,
        ),
        _exp(
            "expect_column_values_to_be_in_set",
            CRITICAL,
            "is_correction is a boolean",
            column="is_correction",
            value_set=[True, False],
        ),
        *_at_least(("item_count",), 1),
        *_at_least(("taxable_amount_eur", "vat_amount_eur"), 0),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            CRITICAL,
            "the VAT amount does not exceed the taxable amount",
            column_A="taxable_amount_eur",
            column_B="vat_amount_eur",
            or_equal=True,
        ),
    ]
    return _mart(
        "rpt_ioss_monthly_return",
        exps,
        "Checks on the IOSS VAT return figures a member state receives.",
    )


def mart_rpt_valuation_monthly_suite() -> dict[str, Any]:
    key = ("jurisdiction", "declared_month", "hs_chapter", "origin_country")
    countries = iso_countries()
    exps = [
        _has_columns(
            (
                *key,
                "jurisdiction_currency",
                "declaration_count",
                "item_count",
                "items_declared_below_value",
                "declared_value_jc",
                "customs_value_jc",
                "duty_jc",
                "import_tax_jc",
                "revenue_at_risk_jc",
            )
        ),
        _has_rows(),
        _unique(key, CRITICAL, f"one row per {', '.join(key)}"),
        *_required((*key, "declaration_count", "item_count")),
        *(
            _exp(
                "expect_column_values_to_be_in_set",
                CRITICAL,
                f"{c} is an ISO 3166-1 alpha-2 country code",
                column=c,
                value_set=countries,
            )
            for c in ("jurisdiction", "origin_country")
        ),
        _exp(
            "expect_column_values_to_match_regex",
            CRITICAL,
            "declared_month is a month YYYY-MM",
            column="declared_month",
            regex=MONTH_REGEX,
        ),
        _exp(
            "expect_column_values_to_match_regex",
            CRITICAL,
            "hs_chapter is a 2-digit HS chapter",
            column="hs_chapter",
            regex=HS_CHAPTER_REGEX,
        ),
        *_at_least(("declaration_count", "item_count"), 1),
        *_at_least(
            (
                "items_declared_below_value",
                "declared_value_jc",
                "customs_value_jc",
                "duty_jc",
                "import_tax_jc",
                "revenue_at_risk_jc",
            ),
            0,
        ),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            CRITICAL,
            "every declaration counted has at least one item (item_count >= declaration_count)",
            column_A="item_count",
            column_B="declaration_count",
            or_equal=True,
        ),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            CRITICAL,
            "items declared below value are among the items (item_count >= "
            "items_declared_below_value)",
            column_A="item_count",
            column_B="items_declared_below_value",
            or_equal=True,
        ),
        _currency_template("jurisdiction_currency"),
    ]
    return _mart(
        "rpt_valuation_monthly",
        exps,
        "Checks on the monthly valuation summary regulators receive.",
    )


def audit_file_loads_suite() -> dict[str, Any]:
    """Checks on a derived frame of ``audit/file_loads`` for one feed-day (see checkpoints)."""
    exps = [
        _exp(
            "expect_table_columns_to_match_set",
            CRITICAL,
            "the derived frame has the file_loads counts and the feed-day share",
            column_set=[
                "load_id",
                "source_file",
                "rows_read",
                "rows_standardized",
                "rows_rejected",
                "rows_accounted",
                "feed_day_rejected_share",
            ],
        ),
        _unique(("load_id",), CRITICAL, "one file_loads row per load"),
        _exp(
            "expect_column_pair_values_to_be_equal",
            CRITICAL,
            "reconciliation: for every file, rows read = rows standardised + rows rejected "
            "(rows_accounted)",
            column_A="rows_read",
            column_B="rows_accounted",
        ),
        *_at_least(("rows_read", "rows_standardized", "rows_rejected"), 0),
        _exp(
            "expect_column_values_to_be_between",
            WARNING,
            f"distribution: at most {MAX_REJECTED_SHARE:.0%} of the feed-day's rows read were "
            "rejected",
            column="feed_day_rejected_share",
            min_value=0,
            max_value=MAX_REJECTED_SHARE,
        ),
    ]
    return {
        "name": "audit_file_loads",
        "expectations": exps,
        "meta": {
            "kind": "file_loads",
            "source": "audit/file_loads/<feed>/date=<day>",
            "generated_by": "expectations/build_suites.py",
        },
        "notes": (
            "Runs with each feed check on the day's audit/file_loads rows of that feed: "
            "one row per file, plus the feed-day rejected share."
        ),
    }


def reconcile_valuation_suite() -> dict[str, Any]:
    """Checks on a derived one-row frame: the valuation mart against the declarations feed."""
    exps = [
        _exp(
            "expect_column_pair_values_to_be_equal",
            CRITICAL,
            "reconciliation: valuation rows (marts.fct_customs_valuation) = declaration items "
            "(distinct declaration_id, item_no in standardized/declarations)",
            column_A="valuation_rows",
            column_B="declaration_items",
        ),
        *(
            _exp(
                "expect_column_values_to_be_between",
                CRITICAL,
                description,
                column=column,
                min_value=0,
                max_value=0,
            )
            for column, description in (
                ("items_not_valued", "reconciliation: every declaration item is valued"),
                (
                    "valuations_without_item",
                    "reconciliation: every valuation row has its declaration item",
                ),
            )
        ),
    ]
    return {
        "name": "reconcile_valuation",
        "expectations": exps,
        "meta": {
            "kind": "reconciliation",
            "left": "marts.fct_customs_valuation",
            "right": "standardized/declarations/date=*",
            "generated_by": "expectations/build_suites.py",
        },
        "notes": (
            "Runs with the mart checks. A difference usually means an incremental mart still "
            "holds a quarantined or removed day: rebuild with full_refresh."
        ),
    }


def build_all() -> dict[str, dict[str, Any]]:
    """Every suite, by file name."""
    suites = [feed_suite(f) for f in FEEDS.values()]
    suites += [
        mart_fct_customs_valuation_suite(),
        mart_fct_warehouse_lot_valuation_suite(),
        mart_rpt_ioss_monthly_return_suite(),
        mart_rpt_valuation_monthly_suite(),
        audit_file_loads_suite(),
        reconcile_valuation_suite(),
    ]
    return {f"{s['name']}.json": s for s in suites}


def to_json(value: Any, indent: int = 0, width: int = 100) -> str:
    """JSON with dicts one key a line and scalar lists packed into lines of ``width``."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        if not any(isinstance(v, dict | list) for v in value.values()):
            flat = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value.items())
            if len(flat) + len(pad) + 1 <= width // 2:
                return flat + "}"
        items = [
            f"{inner}{json.dumps(k)}: {to_json(v, indent + 1, width)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if any(isinstance(v, dict | list) for v in value):
            items = [inner + to_json(v, indent + 1, width) for v in value]
            return "[\n" + ",\n".join(items) + f"\n{pad}]"
        flat = "[" + ", ".join(json.dumps(v) for v in value) + "]"
        if len(flat) + len(pad) <= width:
            return flat
        lines, line = [], ""
        for token in (json.dumps(v) for v in value):
            if line and len(inner) + len(line) + len(token) + 2 > width:
                lines.append(line.rstrip(", "))
                line = ""
            line += token + ", "
        lines.append(line.rstrip(", "))
        return "[\n" + ",\n".join(inner + ln for ln in lines) + f"\n{pad}]"
    return json.dumps(value)


def render_all() -> dict[str, str]:
    """File name -> the exact text to commit."""
    return {name: to_json(suite) + "\n" for name, suite in build_all().items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    parser.add_argument("--out", type=Path, default=SUITES_DIR)
    args = parser.parse_args(argv)
    rendered = render_all()
    if args.check:
        stale = [n for n, text in rendered.items() if _read(args.out / n) != text]
        extra = sorted(p.name for p in args.out.glob("*.json") if p.name not in rendered)
        for name in stale + extra:
            print(f"stale or unexpected suite file: {args.out / name}", file=sys.stderr)
        return 1 if stale or extra else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
