with

lots as (
    select
        declaration_id,
        lot_id,
        declared_to_deductive_ratio,
        is_flagged_undervalued
    from {{ ref('fct_warehouse_lot_valuation') }}
),

final as (
    select
        declaration_id,
        min(lot_id) as lot_id,
        min(declared_to_deductive_ratio) as declared_to_deductive_ratio,
        coalesce(bool_or(is_flagged_undervalued), false)
            as is_lot_undervalued,
        greatest(
            0, least(1, 1 - coalesce(min(declared_to_deductive_ratio), 1))
        ) as lot_score
    from lots
    group by declaration_id
)

select * from final
