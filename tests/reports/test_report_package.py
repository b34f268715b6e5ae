"""The monthly packages: files, figures in the HTML, PDF and workbook against the marts, IOSS
returns against the schema and rpt_ioss_monthly_return, and no personal identifier in clear."""

from __future__ import annotations

import json
import re
import zipfile
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import jsonschema
import openpyxl
import polars as pl
import pytest
from pypdf import PdfReader

from customs.reports import ioss
from customs.reports.data import month_bounds

SEPTEMBER = "2026-09"
SHARED_SCHEMA = Path(__file__).resolve().parents[3] / "shared/reference/ioss-return-schema.json"


class _Figures(HTMLParser):
    """Collects data-figure/data-value pairs, image sources and external references."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.images: list[str] = []
        self.tags: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if "data-figure" in attrs:
            self.figures[attrs["data-figure"]] = attrs["data-value"]
        if tag == "img":
            self.images.append(attrs["src"])
        for name in ("href", "src"):
            if attrs.get(name) and not attrs[name].startswith("data:"):
                self.links.append(attrs[name])


def _marts(home, jurisdiction: str, month: str) -> dict:
    """The headline figures, computed independently from the marts."""
    start, end = month_bounds(month)
    with duckdb.connect(str(home.settings.published_path), read_only=True) as con:
        row = con.execute(
            """
            select count(distinct declaration_id), count(*), sum(declared_value_jc),
                sum(customs_value), sum(value_gap), sum(revenue_at_risk_jc),
                sum(coalesce(duty_jc, 0) + coalesce(flat_duty_jc, 0)), sum(import_tax_jc),
                any_value(jurisdiction_currency)
            from marts.fct_customs_valuation
            where jurisdiction = ? and declared_date >= ? and declared_date < ?
            """,
            [jurisdiction, start, end],
        ).fetchone()
    keys = (
        "declarations",
        "items",
        "declared_value",
        "assessed_value",
        "value_gap",
        "revenue_at_risk",
        "duty_due",
        "vat_due",
        "currency",
    )
    return dict(zip(keys, row, strict=True))


def _main_package(home):
    """The September package with the most declarations (every figure non-trivial)."""
    packages = home.packages[SEPTEMBER]
    return max(packages, key=lambda p: _marts(home, p.jurisdiction, SEPTEMBER)["items"] or 0)


def test_every_jurisdiction_gets_a_complete_package(report_home):
    assert report_home.packages[SEPTEMBER], "no September package"
    for month, packages in report_home.packages.items():
        for package in packages:
            assert package.path == report_home.settings.reports_dir / package.jurisdiction / month
            names = {p.relative_to(package.path).as_posix() for p in package.path.rglob("*")}
            assert {"report.html", "report.pdf", "extracts.xlsx", "manifest.json"} <= names
            assert "csv/value_gap_by_hs_chapter.csv" in names
            assert package.ioss_returns == len([n for n in names if n.startswith("ioss/")])
    assert sum(p.ioss_returns for p in report_home.packages[SEPTEMBER]) > 0


def test_html_is_self_contained_and_its_figures_match_the_marts(report_home):
    package = _main_package(report_home)
    text = (package.path / "report.html").read_text(encoding="utf-8")
    parser = _Figures()
    parser.feed(text)
    expected = _marts(report_home, package.jurisdiction, SEPTEMBER)
    assert int(parser.figures["declarations"]) == expected["declarations"] > 0
    assert int(parser.figures["items"]) == expected["items"]
    for key in ("declared_value", "assessed_value", "value_gap", "revenue_at_risk", "vat_due"):
        assert Decimal(parser.figures[key]) == Decimal(expected[key]), key
    assert Decimal(parser.figures["duty_due"]) == Decimal(expected["duty_due"])
    assert Decimal(parser.figures["value_gap"]) > 0
    # Five charts, embedded; no script, stylesheet or image fetched at view time.
    assert len(parser.images) == 5
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert parser.links == [] and "script" not in parser.tags and "link" not in parser.tags
    assert "How the figures were made" in text and "Data quality" in text
    assert int(parser.figures["expectations_evaluated"]) > 0


def test_high_risk_table_lists_the_top_scores_with_reasons(report_home):
    package = _main_package(report_home)
    start, end = month_bounds(SEPTEMBER)
    with duckdb.connect(str(report_home.settings.published_path), read_only=True) as con:
        top = con.execute(
            """
            select declaration_id, reasons from marts.fct_risk_scores
            where jurisdiction = ? and declared_date >= ? and declared_date < ?
                and composite_score > 0
            order by composite_score desc, revenue_at_stake_eur desc, declaration_id limit 3
            """,
            [package.jurisdiction, start, end],
        ).fetchall()
    assert top
    html = (package.path / "report.html").read_text(encoding="utf-8")
    table = html[html.index('id="high-risk"') :]
    positions = [table.index(declaration_id) for declaration_id, _ in top]
    assert positions == sorted(positions)
    csv = pl.read_csv(package.path / "csv" / "high_risk_declarations.csv")
    assert csv["declaration_id"].head(len(top)).to_list() == [d for d, _ in top]
    assert csv["reasons"].head(len(top)).to_list() == [r for _, r in top]


def test_pdf_shows_the_same_figures(report_home):
    package = _main_package(report_home)
    reader = PdfReader(package.path / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    expected = _marts(report_home, package.jurisdiction, SEPTEMBER)
    currency = expected["currency"]
    assert f"Declarations: {expected['declarations']:,}" in text
    assert f"Declaration items: {expected['items']:,}" in text
    for label, key in (
        ("Declared value", "declared_value"),
        ("Assessed (customs) value", "assessed_value"),
        ("Value gap", "value_gap"),
        ("Revenue at risk", "revenue_at_risk"),
        ("VAT/GST due", "vat_due"),
    ):
        assert f"{label}: {Decimal(expected[key]):,.2f} {currency}" in text, label
    images = sum(len(page.images) for page in reader.pages)
    assert images == 5


def test_workbook_and_csv_hold_the_underlying_tables(report_home):
    package = _main_package(report_home)
    workbook = openpyxl.load_workbook(package.path / "extracts.xlsx", read_only=True)
    headline = {row[0]: row[1] for row in workbook["headline"].iter_rows(values_only=True)}
    expected = _marts(report_home, package.jurisdiction, SEPTEMBER)
    assert headline["Declarations"] == expected["declarations"]
    assert headline["Value gap"] == pytest.approx(float(expected["value_gap"]), abs=0.005)
    with duckdb.connect(str(report_home.settings.published_path), read_only=True) as con:
        chapters = con.execute(
            "select count(distinct hs_chapter), sum(value_gap_jc) from marts.rpt_valuation_monthly "
            "where jurisdiction = ? and declared_month = ?",
            [package.jurisdiction, SEPTEMBER],
        ).fetchone()
    csv = pl.read_csv(package.path / "csv" / "value_gap_by_hs_chapter.csv")
    assert csv.height == chapters[0] > 0
    assert csv["value_gap"].sum() == pytest.approx(float(chapters[1]), abs=0.01)
    sheet = list(workbook["value_gap_by_hs_chapter"].iter_rows(values_only=True))
    assert len(sheet) == csv.height + 1 and list(sheet[0]) == csv.columns


def _returns(report_home, month: str) -> list[dict]:
    return [
        json.loads(path.read_text())
        for package in report_home.packages[month]
        for path in sorted((package.path / "ioss").glob("*.json"))
    ]


def test_ioss_returns_validate_and_reconcile_with_the_mart(report_home):
    returns = _returns(report_home, SEPTEMBER)
    assert returns
    for document in returns:
        ioss.validate(document)
        assert document["period"] == {"year": 2026, "month": "09"}
    msid = [s for r in returns for m in r["msconSupplies"] for s in m["msidSupplies"]]
    corrections = [c for r in returns for m in r["msconSupplies"] for c in m["corrections"]]
    with duckdb.connect(str(report_home.settings.published_path), read_only=True) as con:
        taxable, vat, numbers = con.execute(
            "select sum(taxable_amount_eur) filter (where not is_correction), "
            "sum(vat_amount_eur), count(distinct ioss_number) "
            "from marts.rpt_ioss_monthly_return where return_period = ?",
            [SEPTEMBER],
        ).fetchone()
    assert len(returns) == numbers
    assert sum(Decimal(str(s["taxableAmountEUR"])) for s in msid) == taxable
    reported_vat = sum(Decimal(str(s["vatAmountEUR"])) for s in msid) + sum(
        Decimal(str(c["totalVatAmountCorrectionEUR"])) for c in corrections
    )
    assert reported_vat == vat
    total = sum(Decimal(str(r["totalAmountVatDueEUR"])) for r in returns)
    assert total == vat
    # Each return sits in the package of the member state that identified the IOSS number,
    # and the report lists it with its VAT.
    for package in report_home.packages[SEPTEMBER]:
        html = (package.path / "report.html").read_text(encoding="utf-8")
        for path in (package.path / "ioss").glob("*.json"):
            document = json.loads(path.read_text())
            assert document["traderId"]["issuedBy"] == package.jurisdiction
            vat = sum(Decimal(str(m["balanceOfVatDueEUR"])) for m in document["msconSupplies"])
            listed = html[html.index('id="ioss"') :]
            assert document["traderId"]["IOSSNumber"] in listed
            assert f"{vat:,.2f}" in listed


def test_schema_rejects_a_malformed_return(report_home):
    document = _returns(report_home, SEPTEMBER)[0]
    broken = json.loads(json.dumps(document))
    broken["msconSupplies"][0]["msidSupplies"].append({"supplyType": "GOODS", "vatRate": 19})
    with pytest.raises(jsonschema.ValidationError):
        ioss.validate(broken)


def test_project_schema_follows_the_published_return_structure():
    """Every field the published return requires is in the project's schema (amounts in EUR
    instead of GBP), and every field of the project's schema exists in the published one."""
    if not SHARED_SCHEMA.exists():
        pytest.skip(f"published schema not available at {SHARED_SCHEMA}")
    published = json.loads(SHARED_SCHEMA.read_text())
    ours = ioss.schema()

    def as_eur(names):
        return {n.replace("GBP", "EUR") for n in names}

    pairs = (
        (published, ours),
        (published["definitions"]["msconSupply"], ours["$defs"]["msconSupply"]),
        (published["definitions"]["supply"], ours["$defs"]["supply"]),
        (published["definitions"]["correction"], ours["$defs"]["correction"]),
    )
    for theirs, mine in pairs:
        assert as_eur(theirs["required"]) <= set(mine["properties"])
        assert set(mine["properties"]) <= as_eur(theirs["properties"])
    assert (
        ours["$defs"]["supply"]["properties"]["vatRateType"]["enum"]
        == (published["definitions"]["vatRateType"]["enum"])
    )


def _package_text(package_dir: Path) -> str:
    """Everything a reader of the package can see, as text."""
    parts = []
    for path in sorted(package_dir.rglob("*")):
        if path.suffix == ".pdf":
            parts += [page.extract_text() for page in PdfReader(path).pages]
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                parts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
        elif path.is_file():
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_no_personal_identifier_appears_in_clear(report_home):
    clear = set()
    for feed, column in (("declarations", "importer_id"), ("orders", "buyer_id")):
        for path in (report_home.landing / feed).glob("*/*"):
            clear |= set(pl.read_csv(path, infer_schema=False)[column].drop_nulls().to_list())
    assert len(clear) > 100
    pattern = re.compile("|".join(re.escape(c) for c in sorted(clear, key=len, reverse=True)))
    for month, packages in report_home.packages.items():
        for package in packages:
            text = _package_text(package.path)
            found = pattern.search(text)
            assert found is None, f"{package.jurisdiction} {month}: {found and found.group()}"
