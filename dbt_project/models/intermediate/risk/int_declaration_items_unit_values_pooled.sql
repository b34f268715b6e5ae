{#
    The pool reference prices are drawn from (int_declaration_items_unit_values_referenced):
    each non-WH item with a quantity, once per reference level (HS6, HS4, chapter; always x
    origin), with its declared unit value and value per kg in EUR and its value-gap flag.
    Narrow and stored, so the reference-price model reads it from disk one declared day at a
    time instead of holding (items x 3 levels) wide rows in memory. Incremental on
    data_interval like the valuation chain (macros/incremental_days.sql).
#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['declaration_id', 'item_no', 'level_name'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuilt_days(with_lots=false) }}"
) }}

with

valued_items as (
    select
        declaration_id,
        item_no,
        data_interval,
        declared_date,
        hs6,
        hs_chapter,
        origin_country,
        quantity,
        gross_mass_kg,
        declared_value_jc / fx_rate_eur as declared_value_eur
    from {{ ref('fct_customs_valuation') }}
    where
        procedure != 'WH' and quantity > 0
        {% if is_incremental() %}
            and data_interval >= {{ rebuild_from_date() }}
        {% endif %}
),

value_gap_items as (
    select
        declaration_id,
        item_no,
        is_value_gap_flagged
    from {{ ref('int_declaration_items_value_gap_scored') }}
),

reference_levels as (
    select unnest(['hs6', 'hs4', 'chapter']) as level_name
),

final as (
    select
        valued_items.declaration_id,
        valued_items.item_no,
        valued_items.data_interval,
        valued_items.declared_date,
        reference_levels.level_name,
        case reference_levels.level_name
            when 'hs6' then valued_items.hs6
            when 'hs4' then substring(valued_items.hs6, 1, 4)
            else valued_items.hs_chapter
        end as level_code,
        valued_items.origin_country,
        valued_items.declared_value_eur / valued_items.quantity as unit_value_eur,
        valued_items.declared_value_eur
        / nullif(valued_items.gross_mass_kg, 0) as kg_value_eur,
        value_gap_items.is_value_gap_flagged
    from valued_items
    inner join value_gap_items
        on
            valued_items.declaration_id = value_gap_items.declaration_id
            and valued_items.item_no = value_gap_items.item_no
    cross join reference_levels
)

select * from final
