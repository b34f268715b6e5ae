"""Features of a declaration known when it is lodged, and the inspection outcomes (labels).

Every feature is a column of ``marts.fct_risk_scores`` or ``marts.fct_customs_valuation`` that
rests on the declaration itself or on earlier days only: the rule signals and their raw inputs
(value gap, reference price, misclassification, split consignment, entity history), the value,
mass and duty rate, HS chapter, origin, jurisdiction and procedure. The warehouse-lot signal is
left out: the deductive value rests on resales made after the lot was declared. The labels are
the inspection outcomes of the inspections feed (a finding = any result but
``no_irregularity``), never the generator's labels file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import polars as pl

NUMERIC_FEATURES: tuple[str, ...] = (
    "log_declared_value_eur",
    "item_count",
    "gross_mass_kg",
    "max_duty_rate_pct",
    "has_order_match",
    "value_gap_score",
    "min_declared_to_transaction_ratio",
    "reference_score",
    "min_unit_value_ratio",
    "min_reference_observations",
    "is_misclassified",
    "max_duty_rate_gap_pct",
    "is_split_consignment",
    "split_sibling_count",
    "split_group_value_eur",
    "entity_history_score",
    "entity_past_findings",
    "entity_past_signalled",
)
CATEGORICAL_FEATURES: tuple[str, ...] = (
    "hs_chapter",
    "origin_country",
    "jurisdiction",
    "procedure",
)
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES

DECLARATIONS_SQL = """
with inspected as (
    select distinct declaration_id from staging.stg_customs_feeds__inspections
),

selected as (
    select * from marts.fct_risk_scores where {rows}
),

items as (
    select
        declaration_id,
        arg_min(hs_chapter, item_no) as hs_chapter,
        arg_min(origin_country, item_no) as origin_country,
        sum(gross_mass_kg) as gross_mass_kg,
        max(duty_rate_pct) as max_duty_rate_pct,
        bool_or(has_order_match) as has_order_match
    from marts.fct_customs_valuation
    where {rows}
    group by declaration_id
)

select
    scores.declaration_id,
    scores.declared_date,
    scores.jurisdiction,
    scores.procedure,
    ln(1 + scores.declared_value_eur) as log_declared_value_eur,
    scores.item_count,
    items.gross_mass_kg,
    items.max_duty_rate_pct,
    items.has_order_match,
    scores.value_gap_score,
    scores.min_declared_to_transaction_ratio,
    scores.reference_score,
    scores.min_unit_value_ratio,
    scores.min_reference_observations,
    scores.is_misclassified,
    scores.max_duty_rate_gap_pct,
    scores.is_split_consignment,
    scores.split_sibling_count,
    scores.split_group_value_eur,
    scores.entity_history_score,
    scores.entity_past_findings,
    scores.entity_past_signalled,
    items.hs_chapter,
    items.origin_country
from selected as scores
left join items on scores.declaration_id = items.declaration_id
"""
DAYS = "declared_date >= $start and declared_date < $end"
INSPECTED = "declaration_id in (select declaration_id from inspected)"

OUTCOMES_SQL = """
select
    declaration_id,
    min(inspected_date) as inspected_date,
    arg_min(result, inspected_at) != 'no_irregularity' as is_finding
from staging.stg_customs_feeds__inspections
group by declaration_id
"""


def read_declarations(
    con, start: date | None = None, end: date | None = None, inspected: bool = False
) -> pl.DataFrame:
    """One row per declaration of ``fct_risk_scores`` with its features (numeric as Float64):
    those declared in [start, end) (default: all), or with ``inspected`` only the inspected
    ones (the training rows of every model: a small share of the declarations)."""
    if inspected:
        frame = con.sql(DECLARATIONS_SQL.format(rows=INSPECTED)).pl()
    else:
        frame = con.sql(DECLARATIONS_SQL.format(rows=DAYS), params=_bounds(start, end)).pl()
    return _typed(frame).sort("declaration_id")


def iter_declarations(con, start: date, end: date, batch_rows: int) -> Iterator[pl.DataFrame]:
    """The rows of ``read_declarations(con, start, end)`` in batches of at most ``batch_rows``,
    in no particular order, streamed from DuckDB: memory stays that of one batch however many
    declarations the days hold. ``con`` must not run another query until the batches are
    consumed (use a cursor of its own)."""
    query = con.sql(DECLARATIONS_SQL.format(rows=DAYS), params=_bounds(start, end))
    reader = query.to_arrow_reader(batch_rows)
    for batch in reader:
        if batch.num_rows:
            yield _typed(pl.from_arrow(batch))


def _bounds(start: date | None, end: date | None) -> dict[str, date]:
    return {"start": start or date.min, "end": end or date.max}


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        [pl.col(c).cast(pl.Float64) for c in NUMERIC_FEATURES]
        + [pl.col(c).cast(pl.String) for c in CATEGORICAL_FEATURES]
    )


def read_outcomes(con) -> pl.DataFrame:
    """One row per inspected declaration: the day of its first inspection and whether it found
    an irregularity."""
    return con.sql(OUTCOMES_SQL).pl()


def category_codes(frame: pl.DataFrame) -> dict[str, list[str]]:
    """The categories seen in ``frame`` (the training rows), sorted, per categorical feature."""
    return {c: sorted(frame[c].drop_nulls().unique().to_list()) for c in CATEGORICAL_FEATURES}


def matrix(frame: pl.DataFrame, categories: dict[str, list[str]]) -> np.ndarray:
    """The feature matrix in ``FEATURES`` order; categories as their index in ``categories``,
    unseen or missing ones as NaN (the model's missing-value branch)."""
    encoded = [
        pl.col(c).replace_strict(
            categories[c], list(range(len(categories[c]))), default=None, return_dtype=pl.Float64
        )
        for c in CATEGORICAL_FEATURES
    ]
    return (
        frame.select([pl.col(c) for c in NUMERIC_FEATURES] + encoded).to_numpy().astype(np.float64)
    )
