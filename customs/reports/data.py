"""The figures of one jurisdiction-month, read from the published read-only snapshot.

Every query reads the snapshot (``CUSTOMS_HOME/published/warehouse.duckdb``), never the build file,
so a report can be made while the pipeline builds. Aggregates the marts do not hold (by day, by
seller, the data-quality statement) are computed here in DuckDB SQL from the marts and audit
tables. Only pseudonymised or non-personal columns are selected: ``importer_id``, ``declarant_id``,
goods descriptions, rejected rows' raw text and observed values of checks never leave the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

TOP_N = 20


def ioss_member_state(ioss_number: str) -> str | None:
    """The member state of identification of an IOSS number (``IM372...`` -> ``IE``):
    ``IM`` + its ISO 3166 numeric code + serial."""
    import pycountry

    if not ioss_number.startswith("IM"):
        return None
    country = pycountry.countries.get(numeric=ioss_number[2:5])
    return country.alpha_2 if country else None


@dataclass(frozen=True)
class ReportData:
    jurisdiction: str
    month: str
    currency: str
    headline: dict[str, object]
    tables: dict[str, pl.DataFrame]
    """Underlying tables, by name; each is written as CSV and as a workbook sheet."""
    quality: dict[str, object]
    ioss: pl.DataFrame
    """rpt_ioss_monthly_return rows of the IOSS numbers identified in this member state."""
    risk_scores: list[float] = field(default_factory=list)


def month_bounds(month: str) -> tuple[date, date]:
    """First day of the month and first day of the next one (``2026-09`` -> Sept 1, Oct 1)."""
    first = date.fromisoformat(f"{month}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


def previous_month(month: str) -> str:
    first, _ = month_bounds(month)
    return f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"


def connect(snapshot: Path) -> duckdb.DuckDBPyConnection:
    if not snapshot.exists():
        raise FileNotFoundError(f"no published warehouse at {snapshot}: run `customs run` first")
    return duckdb.connect(str(snapshot), read_only=True)


def jurisdictions(con: duckdb.DuckDBPyConnection, month: str) -> list[str]:
    """Jurisdictions with declarations in the month, plus member states identifying IOSS numbers
    that have a return for the month (they receive those returns)."""
    start, end = month_bounds(month)
    declared = con.execute(
        "select distinct jurisdiction from marts.fct_customs_valuation "
        "where declared_date >= ? and declared_date < ?",
        [start, end],
    ).fetchall()
    ioss = con.execute(
        "select distinct ioss_number from marts.rpt_ioss_monthly_return where return_period = ?",
        [month],
    ).fetchall()
    found = {j for (j,) in declared} | {ioss_member_state(n) for (n,) in ioss}
    return sorted(j for j in found if j)


def load(con: duckdb.DuckDBPyConnection, jurisdiction: str, month: str) -> ReportData:
    start, end = month_bounds(month)
    params = {"j": jurisdiction, "start": start, "end": end, "month": month}

    def frame(sql: str) -> pl.DataFrame:
        return _frame(con, sql, params)

    # One CTE for the items of the jurisdiction-month; each figure is a plain sum of the mart.
    items = """
        with items as (
            select * from marts.fct_customs_valuation
            where jurisdiction = $j and declared_date >= $start and declared_date < $end
        )
    """
    headline_row = frame(
        items
        + """
        select
            count(distinct declaration_id) as declarations,
            count(*) as items,
            coalesce(sum(declared_value_jc), 0) as declared_value,
            coalesce(sum(customs_value), 0) as assessed_value,
            coalesce(sum(value_gap), 0) as value_gap,
            count(*) filter (where value_gap > 0) as items_declared_below_value,
            coalesce(sum(revenue_at_risk_jc), 0) as revenue_at_risk,
            coalesce(sum(coalesce(duty_jc, 0) + coalesce(flat_duty_jc, 0)), 0) as duty_due,
            coalesce(sum(import_tax_jc), 0) as vat_due,
            any_value(jurisdiction_currency) as currency
        from items
        """
    ).row(0, named=True)
    currency = headline_row.pop("currency") or _currency_of(con, jurisdiction)

    tables: dict[str, pl.DataFrame] = {}
    tables["value_gap_by_hs_chapter"] = frame(
        """
        select hs_chapter, any_value(hs_chapter_description) as hs_chapter_description,
            sum(declaration_count) as declarations, sum(item_count) as items,
            sum(declared_value_jc) as declared_value, sum(customs_value_jc) as assessed_value,
            sum(value_gap_jc) as value_gap, sum(revenue_at_risk_jc) as revenue_at_risk
        from marts.rpt_valuation_monthly
        where jurisdiction = $j and declared_month = $month
        group by hs_chapter
        order by value_gap desc, hs_chapter
        """
    )
    tables["daily_trend"] = frame(
        items
        + """
        select declared_date, count(distinct declaration_id) as declarations, count(*) as items,
            sum(declared_value_jc) as declared_value, sum(customs_value) as assessed_value,
            sum(value_gap) as value_gap, sum(revenue_at_risk_jc) as revenue_at_risk
        from items group by declared_date order by declared_date
        """
    )
    tables["top_sellers_by_value_gap"] = frame(
        items
        + f"""
        select seller_id, count(distinct declaration_id) as declarations, count(*) as items,
            sum(declared_value_jc) as declared_value, sum(customs_value) as assessed_value,
            sum(value_gap) as value_gap, sum(revenue_at_risk_jc) as revenue_at_risk
        from items where valuation_method in ('transaction', 'fallback')
        group by seller_id having sum(value_gap) > 0
        order by value_gap desc, seller_id limit {TOP_N}
        """
    )
    tables["warehouse_lots_flagged"] = frame(
        """
        select lot_id, warehouse_id, seller_id, hs6, received_date, quantity,
            declared_unit_value_eur, deductive_unit_value_eur, declared_to_deductive_ratio,
            qualifying_sales
        from marts.fct_warehouse_lot_valuation
        where warehouse_country = $j and received_date >= $start and received_date < $end
            and is_flagged_undervalued
        order by declared_to_deductive_ratio, lot_id
        """
    )
    (lots_received,) = _row(
        con,
        "select count(*) from marts.fct_warehouse_lot_valuation "
        "where warehouse_country = $j and received_date >= $start and received_date < $end",
        params,
    )
    risk = frame(
        """
        select composite_score, coalesce(reasons, '') <> '' as has_reason
        from marts.fct_risk_scores
        where jurisdiction = $j and declared_date >= $start and declared_date < $end
        """
    )
    tables["risk_score_distribution"] = frame(
        """
        select least(floor(composite_score * 10), 9) / 10 as score_from,
            least(floor(composite_score * 10), 9) / 10 + 0.1 as score_to,
            count(*) as declarations
        from marts.fct_risk_scores
        where jurisdiction = $j and declared_date >= $start and declared_date < $end
        group by all order by score_from
        """
    )
    tables["high_risk_declarations"] = frame(
        f"""
        select declaration_id, declared_date, procedure, inspection_queue, seller_id, item_count,
            declared_value_eur, round(composite_score, 3) as composite_score,
            rank_in_jurisdiction_day, revenue_at_stake_eur, expected_revenue_eur, reasons
        from marts.fct_risk_scores
        where jurisdiction = $j and declared_date >= $start and declared_date < $end
            and composite_score > 0
        order by composite_score desc, revenue_at_stake_eur desc, declaration_id
        limit {TOP_N}
        """
    )
    quality, quality_tables = _quality(con, params)
    tables.update(quality_tables)
    ioss = _ioss_rows(con, jurisdiction, month)
    tables["ioss_returns"] = ioss

    headline = {
        **headline_row,
        "declarations_with_risk_reasons": int(risk["has_reason"].sum()) if risk.height else 0,
        "warehouse_lots_received": int(lots_received),
        "warehouse_lots_flagged": tables["warehouse_lots_flagged"].height,
        "ioss_returns": ioss["ioss_number"].n_unique() if ioss.height else 0,
    }
    return ReportData(
        jurisdiction=jurisdiction,
        month=month,
        currency=currency,
        headline=headline,
        tables=tables,
        quality=quality,
        ioss=ioss,
        risk_scores=risk["composite_score"].to_list(),
    )


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> tuple:
    """The one row of ``sql``, run with the named parameters it uses (DuckDB rejects others)."""
    return con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).fetchall()[0]


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> pl.DataFrame:
    return con.sql(sql, params={k: v for k, v in params.items() if f"${k}" in sql}).pl()


def _currency_of(con: duckdb.DuckDBPyConnection, jurisdiction: str) -> str:
    rows = con.execute(
        "select any_value(currency) from reference.jurisdictions where jurisdiction = ?",
        [jurisdiction],
    ).fetchall()
    return (rows and rows[0][0]) or "EUR"


def _quality(con: duckdb.DuckDBPyConnection, params: dict) -> tuple[dict, dict]:
    """The month's data-quality statement (the whole pipeline's, not one jurisdiction's)."""
    loads = _frame(
        con,
        """
        select feed, count(distinct data_interval) as days, count(*) as files,
            sum(rows_read) as rows_read, sum(rows_standardized) as rows_standardized,
            sum(rows_rejected) as rows_rejected,
            count(*) filter (where status <> 'loaded') as files_not_loaded
        from audit.file_loads
        where data_interval >= $start and data_interval < $end
        group by feed order by feed
        """,
        params,
    )
    checks = _frame(
        con,
        """
        select suite, data_interval, expectation_type, column_name, severity, unexpected_count
        from audit.dq_results
        where data_interval >= $start and data_interval < $end and not success
        order by data_interval, suite, expectation_type, column_name
        """,
        params,
    )
    runs, evaluated = _row(
        con,
        """
        select count(distinct run_id), count(*) from audit.dq_results
        where data_interval >= $start and data_interval < $end
        """,
        params,
    )
    rejects = _frame(
        con,
        """
        select r.feed, r.reason, count(*) as rows_rejected
        from audit.rejects as r
        inner join audit.file_loads as f on r.load_id = f.load_id
        where f.data_interval >= $start and f.data_interval < $end
        group by all order by rows_rejected desc, r.feed, r.reason
        """,
        params,
    )
    (days,) = _row(
        con,
        "select count(distinct data_interval) from audit.file_loads "
        "where data_interval >= $start and data_interval < $end",
        params,
    )
    quality = {
        "days_loaded": int(days),
        "files": int(loads["files"].sum()) if loads.height else 0,
        "rows_read": int(loads["rows_read"].sum()) if loads.height else 0,
        "rows_rejected": int(loads["rows_rejected"].sum()) if loads.height else 0,
        "files_not_loaded": int(loads["files_not_loaded"].sum()) if loads.height else 0,
        "check_runs": int(runs),
        "expectations_evaluated": int(evaluated),
        "expectations_failed": checks.height,
        "critical_failed": checks.filter(pl.col("severity") == "critical").height,
    }
    return quality, {
        "quality_file_loads": loads,
        "quality_failed_expectations": checks,
        "quality_rejects": rejects,
    }


def _ioss_rows(con: duckdb.DuckDBPyConnection, jurisdiction: str, month: str) -> pl.DataFrame:
    rows = con.sql(
        """
        select ioss_number, return_period, member_state_of_consumption, vat_rate_pct,
            supply_period, is_correction, item_count, taxable_amount_eur, vat_amount_eur
        from marts.rpt_ioss_monthly_return
        where return_period = ?
        order by ioss_number, member_state_of_consumption, supply_period, vat_rate_pct
        """,
        params=[month],
    ).pl()
    identified_here = [
        n for n in rows["ioss_number"].unique().to_list() if ioss_member_state(n) == jurisdiction
    ]
    return rows.filter(pl.col("ioss_number").is_in(identified_here))
