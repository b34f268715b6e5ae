"""The report's charts as PNG bytes (matplotlib, Agg backend: no display, no network).

The same PNGs go into the HTML (base64 data URIs) and the PDF, so both show identical figures.
"""

from __future__ import annotations

import io

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from customs.reports.data import ReportData

# Figures are made with the object API (no pyplot state, no window); Agg renders the PNGs.
matplotlib.use("Agg")

BLUE, RED, GREY = "#1f5f8b", "#b03a2e", "#9e9e9e"
_DPI = 100


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # Fixed metadata keeps the bytes identical for identical figures.
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def _figure(title: str) -> tuple[Figure, Axes]:
    # Fixed margins: a constrained layout costs more than drawing the chart.
    fig = Figure(figsize=(7.5, 3.4))
    fig.subplots_adjust(left=0.16, right=0.98, top=0.88, bottom=0.2)
    ax = fig.subplots()
    ax.set_title(title, fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    return fig, ax


def _money_axis(axis, values: list[float]) -> None:
    """Thousands separators on large amounts (small ones keep matplotlib's decimals)."""
    if values and max(values) >= 100:
        axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _empty(ax: Axes, text: str = "no data for this month") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", color=GREY, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _floats(values) -> list[float]:
    return [float(v or 0) for v in values]


def value_gap_by_chapter(data: ReportData) -> bytes:
    fig, ax = _figure(f"Value gap by HS chapter ({data.currency}), largest 15")
    table = data.tables["value_gap_by_hs_chapter"]
    table = table.filter(table["value_gap"] > 0).head(15)
    if table.height:
        labels = [str(c or "?") for c in table["hs_chapter"]][::-1]
        gaps = _floats(table["value_gap"])[::-1]
        ax.barh(labels, gaps, color=BLUE)
        ax.set_ylabel("HS chapter")
        _money_axis(ax.xaxis, gaps)
    else:
        _empty(ax)
    return _png(fig)


def trend_by_day(data: ReportData) -> bytes:
    fig, ax = _figure(f"Declared and assessed value by day ({data.currency})")
    table = data.tables["daily_trend"]
    if table.height:
        days = table["declared_date"].to_list()
        ax.plot(days, _floats(table["assessed_value"]), color=BLUE, label="assessed", marker=".")
        ax.plot(days, _floats(table["declared_value"]), color=RED, label="declared", marker=".")
        ax.legend(frameon=False)
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, len(days) // 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        _money_axis(ax.yaxis, _floats(table["assessed_value"]))
    else:
        _empty(ax)
    return _png(fig)


def risk_distribution(data: ReportData) -> bytes:
    fig, ax = _figure("Risk score distribution (declarations)")
    if data.risk_scores:
        top = max(1.0, max(data.risk_scores))
        ax.hist(data.risk_scores, bins=20, range=(0, top), color=BLUE)
        ax.set_yscale("log")
        ax.set_xlabel("composite score")
    else:
        _empty(ax)
    return _png(fig)


def top_sellers(data: ReportData) -> bytes:
    fig, ax = _figure(f"Top sellers by value gap ({data.currency})")
    table = data.tables["top_sellers_by_value_gap"].head(10)
    if table.height:
        gaps = _floats(table["value_gap"])[::-1]
        ax.barh(table["seller_id"].to_list()[::-1], gaps, color=RED)
        _money_axis(ax.xaxis, gaps)
    else:
        _empty(ax)
    return _png(fig)


def warehouse_lots(data: ReportData) -> bytes:
    fig, ax = _figure("Warehouse lots flagged: declared vs deductive unit value (EUR)")
    table = data.tables["warehouse_lots_flagged"].head(12)
    if table.height:
        lots = table["lot_id"].to_list()[::-1]
        positions = range(len(lots))
        ax.barh(
            [p + 0.2 for p in positions],
            _floats(table["deductive_unit_value_eur"])[::-1],
            height=0.4,
            color=BLUE,
            label="deductive",
        )
        ax.barh(
            [p - 0.2 for p in positions],
            _floats(table["declared_unit_value_eur"])[::-1],
            height=0.4,
            color=RED,
            label="declared",
        )
        ax.set_yticks(list(positions), lots)
        fig.subplots_adjust(left=0.26)  # lot ids are long
        ax.legend(frameon=False)
    else:
        _empty(ax, "no warehouse lot received this month was flagged")
    return _png(fig)


CHARTS = {
    "value_gap_by_hs_chapter": ("Value gap by HS chapter", value_gap_by_chapter),
    "trend_by_day": ("Trend by day", trend_by_day),
    "risk_score_distribution": ("Risk-score distribution", risk_distribution),
    "top_sellers_by_value_gap": ("Top sellers by value gap", top_sellers),
    "warehouse_lots_flagged": ("Warehouse lots flagged", warehouse_lots),
}


def render_all(data: ReportData) -> dict[str, tuple[str, bytes]]:
    """Chart name -> (title, PNG bytes)."""
    return {name: (title, draw(data)) for name, (title, draw) in CHARTS.items()}
