"""extracts.xlsx (one sheet per table, plus the headline figures) and csv/<table>.csv.

The tables are exactly the ones the report's figures and charts are made from.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import xlsxwriter

from customs.reports import content
from customs.reports.data import ReportData


def _cell(value: object) -> object:
    """Values xlsxwriter writes natively: Decimals as numbers, dates and lists as text."""
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def write_csv(data: ReportData, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in data.tables.items():
        path = folder / f"{name}.csv"
        table.write_csv(path)
        written.append(path)
    return written


def write_workbook(data: ReportData, path: Path) -> Path:
    # Fixed document properties keep the file's bytes stable for the same content.
    workbook = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy-mm-dd"})
    workbook.set_properties({"title": content.title(data), "author": "customs reports"})
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})

    sheet = workbook.add_worksheet("headline")
    sheet.write_row(0, 0, ["figure", "value", "unit"], bold)
    for row, (key, label, kind) in enumerate(content.HEADLINE, start=1):
        value = _cell(data.headline[key])
        sheet.write(row, 0, label)
        sheet.write(row, 1, value, money if kind == "money" else None)
        sheet.write(row, 2, data.currency if kind == "money" else "count")
    offset = len(content.HEADLINE) + 2
    for row, (key, label) in enumerate(content.QUALITY, start=offset):
        sheet.write(row, 0, label)
        sheet.write(row, 1, data.quality[key])
        sheet.write(row, 2, "count")
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 2, 16)

    for name, table in data.tables.items():
        sheet = workbook.add_worksheet(name[:31])
        sheet.write_row(0, 0, table.columns, bold)
        for row, values in enumerate(table.iter_rows(), start=1):
            sheet.write_row(row, 0, [_cell(v) for v in values])
        _autofit(sheet, table)
    workbook.close()
    return path


def _autofit(sheet, table: pl.DataFrame) -> None:
    for index, column in enumerate(table.columns):
        sheet.set_column(index, index, min(max(len(column), 12) + 2, 60))
