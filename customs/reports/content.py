"""What the HTML and the PDF both say: figure labels, number formats, the method text.

Keeping the words in one place makes the two renderings carry the same content.
"""

from __future__ import annotations

from decimal import Decimal

from customs.reports.data import ReportData

# (key in ReportData.headline, label, kind): kind "count" or "money" (jurisdiction currency).
HEADLINE = (
    ("declarations", "Declarations", "count"),
    ("items", "Declaration items", "count"),
    ("declared_value", "Declared value", "money"),
    ("assessed_value", "Assessed (customs) value", "money"),
    ("value_gap", "Value gap", "money"),
    ("items_declared_below_value", "Items declared below value", "count"),
    ("revenue_at_risk", "Revenue at risk", "money"),
    ("duty_due", "Duty due", "money"),
    ("vat_due", "VAT/GST due", "money"),
    ("declarations_with_risk_reasons", "Declarations with a stated risk reason", "count"),
    ("warehouse_lots_received", "Warehouse lots received", "count"),
    ("warehouse_lots_flagged", "Warehouse lots flagged", "count"),
    ("ioss_returns", "IOSS returns in this package", "count"),
)

QUALITY = (
    ("days_loaded", "Days loaded"),
    ("files", "Files loaded"),
    ("rows_read", "Rows read"),
    ("rows_rejected", "Rows rejected (kept with a reason)"),
    ("files_not_loaded", "Files rejected whole"),
    ("check_runs", "Check runs"),
    ("expectations_evaluated", "Expectations evaluated"),
    ("expectations_failed", "Expectations failed"),
    ("critical_failed", "Critical expectations failed"),
)

HIGH_RISK_COLUMNS = (
    ("declaration_id", "Declaration"),
    ("declared_date", "Date"),
    ("seller_id", "Seller"),
    ("composite_score", "Score"),
    ("revenue_at_stake_eur", "At stake (EUR)"),
    ("reasons", "Reasons"),
)

METHOD = (
    "Each declaration item is matched to the marketplace order line it describes (by parcel and "
    "position, else by seller, HS6, quantity and a 30-day window). The customs value is the "
    "transaction value (price paid or payable, WTO Customs Valuation Agreement Art. 1) plus "
    "transport and insurance to the place of import in CIF jurisdictions (Art. 8.2), converted "
    "at the ECB reference rate (for EU member states the rate of the penultimate Wednesday of "
    "the previous month, Implementing Regulation (EU) 2015/2447 Art. 146). Goods imported into "
    "a warehouse before sale are valued by the deductive method (Art. 5; UCC IA Art. 142) from "
    "resales within 90 days. Items without a matched sale keep their declared value and add no "
    "value gap. The value gap is the assessed minus the declared value; the revenue at risk is "
    "the duty and VAT/GST on that gap. Duty rates shipped with the software are indicative.",
    "Risk scores combine value-gap, unit-value reference, misclassification, split-consignment, "
    "warehouse-lot and history signals; they are leads for inspection, not findings.",
    "IOSS returns group the VAT of parcels imported under the Import One-Stop Shop by IOSS "
    "number, member state of consumption and VAT rate (Council Directive 2006/112/EC "
    "Art. 369l-369x; Implementing Regulation (EU) No 282/2011 Art. 59a); data that arrived after "
    "a return was due appears as a correction in a later return (Art. 369ac). Each return goes "
    "to the member state that identified the IOSS number.",
    "The data-quality statement covers the whole pipeline for the month (all feeds), not one "
    "jurisdiction. Personal identifiers are keyed pseudonyms (HMAC-SHA256); none appears in "
    "clear in this package. manifest.json lists the SHA-256 of every file and the SHA-256 of "
    "the previous month's manifest: check with `customs verify`.",
)

SOURCES = (
    "WTO Agreement on Implementation of Article VII of GATT 1994 (Customs Valuation Agreement)",
    "Regulation (EU) No 952/2013 (Union Customs Code) and Implementing Regulation (EU) 2015/2447",
    "Council Directive 2006/112/EC (VAT Directive), Title XII Chapter 6 Section 4 (IOSS)",
    "Council Implementing Regulation (EU) No 282/2011, Art. 59a",
    "ECB euro foreign exchange reference rates",
)


def number(value: object, kind: str = "count") -> str:
    """``1234`` -> ``1,234``; money -> ``1,234.50`` (two decimals)."""
    if value is None:
        return "-"
    if kind == "money":
        return f"{Decimal(str(value)):,.2f}"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return f"{value:,}" if isinstance(value, int | Decimal) else str(value)


def headline_rows(data: ReportData) -> list[tuple[str, str, str, str]]:
    """(key, label, formatted value, plain value) for each headline figure."""
    rows = []
    for key, label, kind in HEADLINE:
        value = data.headline[key]
        text = number(value, kind) + (f" {data.currency}" if kind == "money" else "")
        plain = f"{Decimal(str(value)):.2f}" if kind == "money" else str(value)
        rows.append((key, label, text, plain))
    return rows


def quality_rows(data: ReportData) -> list[tuple[str, str, str]]:
    return [(key, label, number(data.quality[key])) for key, label in QUALITY]


def title(data: ReportData) -> str:
    return f"Customs valuation report: {data.jurisdiction}, {data.month}"


def ioss_summary(data: ReportData) -> list[dict]:
    """Per IOSS number in the package: member states of consumption, taxable amount and VAT
    (EUR, corrections included in the VAT), as in its ``ioss/<number>.json``."""
    import polars as pl

    if data.ioss.height == 0:
        return []
    return (
        data.ioss.group_by("ioss_number")
        .agg(
            pl.col("member_state_of_consumption").n_unique().alias("member_states"),
            pl.col("taxable_amount_eur").filter(~pl.col("is_correction")).sum().alias("taxable"),
            pl.col("vat_amount_eur").sum().alias("vat"),
            pl.col("is_correction").any().alias("has_corrections"),
        )
        .sort("ioss_number")
        .to_dicts()
    )
