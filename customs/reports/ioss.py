"""IOSS VAT returns as JSON, one per IOSS number, in the structure of the published return.

Structure (``schemas/ioss_return.schema.json``, the project's own schema, validated on write):
the return of one IOSS number for one month lists, per member state of consumption
(``msconSupplies``), the supplies per VAT rate (``msidSupplies``: taxable amount and VAT) and the
corrections of earlier periods (``corrections``: VAT per period), with the balance of VAT due per
member state and in total. Amounts are in EUR, rounded to the cent as in
``marts.rpt_ioss_monthly_return``, which every figure sums.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

import polars as pl

from customs.reports.data import ReportData, ioss_member_state, month_bounds

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "ioss_return.schema.json"


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def validate(document: dict) -> None:
    """Raise ``jsonschema.ValidationError`` unless the return matches the project's schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(document)


def _eur(value: Decimal) -> float:
    return float(Decimal(value).quantize(Decimal("0.01")))


def _period(month: str) -> dict:
    return {"year": int(month[:4]), "month": month[5:7]}


def build_return(rows: pl.DataFrame, ioss_number: str, month: str, made_at: str) -> dict:
    """The return of one IOSS number for ``month`` from its rpt_ioss_monthly_return rows."""
    start, following = month_bounds(month)
    end = following.fromordinal(following.toordinal() - 1)
    state = ioss_member_state(ioss_number) or "EU"
    supplies = []
    for (country,), group in rows.sort("member_state_of_consumption").group_by(
        "member_state_of_consumption", maintain_order=True
    ):
        current = group.filter(~pl.col("is_correction"))
        msid = [
            {
                "supplyType": "GOODS",
                # The warehouse applies each member state's standard rate.
                "vatRate": float(r["vat_rate_pct"]),
                "vatRateType": "STANDARD",
                "taxableAmountEUR": _eur(r["taxable_amount_eur"]),
                "vatAmountEUR": _eur(r["vat_amount_eur"]),
            }
            for r in current.sort("vat_rate_pct").iter_rows(named=True)
            if r["taxable_amount_eur"] > 0
        ]
        corrections = [
            {"period": _period(period), "totalVatAmountCorrectionEUR": _eur(vat)}
            for period, vat in group.filter(pl.col("is_correction"))
            .group_by("supply_period")
            .agg(pl.col("vat_amount_eur").sum())
            .sort("supply_period")
            .iter_rows()
        ]
        goods = sum((Decimal(str(s["vatAmountEUR"])) for s in msid), Decimal(0))
        corrected = sum(
            (Decimal(str(c["totalVatAmountCorrectionEUR"])) for c in corrections), Decimal(0)
        )
        supplies.append(
            {
                "msconCountryCode": country,
                "balanceOfVatDueEUR": _eur(goods + corrected),
                "grandTotalMsidGoodsEUR": _eur(goods),
                "correctionsTotalEUR": _eur(corrected),
                "msidSupplies": msid,
                "corrections": corrections,
            }
        )
    total = sum((Decimal(str(s["balanceOfVatDueEUR"])) for s in supplies), Decimal(0))
    document = {
        "vatReturnReferenceNumber": f"{state}/{ioss_number}/M{month[5:7]}.{month[:4]}",
        "version": made_at,
        "traderId": {"IOSSNumber": ioss_number, "issuedBy": state},
        "changeDate": made_at,
        "period": _period(month),
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        "submissionDateTime": made_at,
        "totalAmountVatDueEUR": _eur(max(total, Decimal(0))),
        "msconSupplies": supplies,
    }
    validate(document)
    return document


def write_returns(data: ReportData, folder: Path, made_at: str) -> list[Path]:
    """``ioss/<IOSS number>.json`` for each IOSS number identified in this member state."""
    written = []
    if data.ioss.height == 0:
        return written
    folder.mkdir(parents=True, exist_ok=True)
    for (ioss_number,), rows in data.ioss.group_by("ioss_number", maintain_order=True):
        document = build_return(rows, ioss_number, data.month, made_at)
        path = folder / f"{ioss_number}.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        written.append(path)
    return written
