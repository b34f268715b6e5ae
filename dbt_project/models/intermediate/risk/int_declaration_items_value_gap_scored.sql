{#
    A view on DuckDB: a projection of the fact, one row per item. Its readers take a few rows
    each (the flagged items for the entity events, the rebuilt items for the reference pool,
    the rescored declarations for fct_risk_scores), so a table rewrote every item each build
    for nothing. A table on Spark, which plans a view again for every reader.
#}
{{ config(materialized='table' if target.type == 'spark' else 'view') }}

with

valued_items as (
    select
        declaration_id,
        item_no,
        valuation_method,
        declared_value_jc,
        transaction_value_jc,
        revenue_at_risk_jc,
        fx_rate_eur
    from {{ ref('fct_customs_valuation') }}
),

ratios as (
    select
        declaration_id,
        item_no,
        case
            when
                valuation_method in ('transaction', 'fallback')
                and transaction_value_jc > 0
                then declared_value_jc / transaction_value_jc
        end as declared_to_transaction_ratio,
        case
            when valuation_method in ('transaction', 'fallback')
                then revenue_at_risk_jc / fx_rate_eur
            else 0
        end as value_gap_revenue_eur
    from valued_items
),

final as (
    select
        declaration_id,
        item_no,
        cast(declared_to_transaction_ratio as decimal(18, 4))
            as declared_to_transaction_ratio,
        coalesce(
            declared_to_transaction_ratio < {{ var('value_gap_ratio_threshold') }},
            false
        ) as is_value_gap_flagged,
        greatest(
            0, least(1, 1 - coalesce(declared_to_transaction_ratio, 1))
        ) as value_gap_score,
        cast(value_gap_revenue_eur as decimal(18, 2)) as value_gap_revenue_eur
    from ratios
)

select * from final
