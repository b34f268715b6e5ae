"""report.pdf: the same content as report.html, made with fpdf2 (no system packages).

Text uses the DejaVu Sans font that ships with matplotlib, so any Unicode in reasons or names
prints; charts are the same PNGs as in the HTML. Headline figures are printed as
``<label>: <value>`` lines, which a PDF text extractor reads back as they are shown.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from customs.reports import content
from customs.reports.data import ReportData

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FONT = "DejaVu"


class _Report(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, size=8)
        self.set_text_color(120)
        self.cell(0, 5, f"{self.title}  -  page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(_FONT, "B", 12)
    pdf.set_text_color(31, 95, 139)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.set_font(_FONT, size=9)


def _figures(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    for label, value in rows:
        pdf.cell(0, 5.5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, headers: list[str], rows: list[list[str]], widths: tuple) -> None:
    heading = FontFace(emphasis="BOLD", fill_color=(230, 236, 242))
    with pdf.table(col_widths=widths, headings_style=heading, line_height=4.5) as table:
        table.row(headers)
        for row in rows:
            table.row(row)


def render(
    data: ReportData, charts: dict[str, tuple[str, bytes]], run_id: str, created_at: str
) -> bytes:
    pdf = _Report(format="A4")
    pdf.add_font(_FONT, "", str(_FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(_FONT, "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(content.title(data))
    pdf.set_creator("customs reports")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    pdf.set_font(_FONT, "B", 15)
    pdf.multi_cell(0, 8, content.title(data), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=8)
    pdf.multi_cell(
        0,
        4.5,
        f"Run {run_id} - made {created_at} from the published warehouse snapshot - "
        f"amounts in {data.currency} unless stated.",
        new_x="LMARGIN",
        new_y="NEXT",
    )

    _heading(pdf, "Headline figures")
    _figures(pdf, [(label, text) for _, label, text, _ in content.headline_rows(data)])

    _heading(pdf, "Charts")
    for chart_title, png in charts.values():
        if pdf.get_y() > pdf.h - 90:
            pdf.add_page()
        pdf.image(io.BytesIO(png), w=pdf.epw, alt_text=chart_title)
        pdf.ln(2)

    pdf.add_page()
    _heading(pdf, "Highest-risk declarations and why")
    high_risk = data.tables["high_risk_declarations"].to_dicts()
    if high_risk:
        pdf.set_font(_FONT, size=7)
        _table(
            pdf,
            [header for _, header in content.HIGH_RISK_COLUMNS],
            [[str(row[key]) for key, _ in content.HIGH_RISK_COLUMNS] for row in high_risk],
            (22, 11, 12, 7, 9, 39),
        )
        pdf.set_font(_FONT, size=9)
    else:
        pdf.cell(0, 6, "No declaration of this month has a risk signal.", new_x="LMARGIN")

    ioss = content.ioss_summary(data)
    if ioss:
        _heading(pdf, "IOSS returns (ioss/*.json)")
        pdf.set_font(_FONT, size=7)
        _table(
            pdf,
            ["IOSS number", "Member states", "Taxable (EUR)", "VAT incl. corrections (EUR)"],
            [
                [
                    r["ioss_number"],
                    str(r["member_states"]),
                    f"{r['taxable']:,.2f}",
                    f"{r['vat']:,.2f}",
                ]
                for r in ioss
            ],
            (25, 15, 20, 25),
        )
        pdf.set_font(_FONT, size=9)

    _heading(pdf, f"Data quality for {data.month}")
    _figures(pdf, [(label, text) for _, label, text in content.quality_rows(data)])
    failed = data.tables["quality_failed_expectations"].to_dicts()
    if failed:
        pdf.ln(2)
        pdf.set_font(_FONT, size=7)
        _table(
            pdf,
            ["Suite", "Day", "Expectation", "Column", "Severity"],
            [
                [
                    str(r["suite"]),
                    str(r["data_interval"]),
                    str(r["expectation_type"]),
                    str(r["column_name"] or ""),
                    str(r["severity"]),
                ]
                for r in failed
            ],
            (20, 12, 35, 20, 12),
        )
        pdf.set_font(_FONT, size=9)
    rejects = data.tables["quality_rejects"].to_dicts()
    if rejects:
        pdf.ln(2)
        pdf.set_font(_FONT, size=7)
        _table(
            pdf,
            ["Feed", "Reason", "Rows"],
            [[str(r["feed"]), str(r["reason"]), f"{r['rows_rejected']:,}"] for r in rejects],
            (20, 60, 10),
        )
        pdf.set_font(_FONT, size=9)

    _heading(pdf, "How the figures were made")
    for paragraph in content.METHOD:
        pdf.multi_cell(0, 4.5, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    pdf.cell(0, 5, "Legal and data sources:", new_x="LMARGIN", new_y="NEXT")
    for source in content.SOURCES:
        pdf.multi_cell(0, 4.5, f"- {source}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
