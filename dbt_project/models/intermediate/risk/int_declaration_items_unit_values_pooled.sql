{#
    The items reference prices are about (int_declaration_items_unit_values_referenced): each
    non-WH declaration item with a quantity, with its declared unit value and value per kg in
    EUR, its tax rate and whether the value-gap signal flags it (flagged items are priced but
    do not price others). Narrow and stored, so the reference-price model reads its pool from
    disk one declared day at a time instead of holding wide rows in memory. Incremental on
    data_interval like the valuation chain (macros/incremental_days.sql).
#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['declaration_id', 'item_no'],
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
        declared_value_jc / fx_rate_eur as declared_value_eur,
        gross_mass_kg,
        (
            coalesce(duty_rate_pct, 0) / 100
            + coalesce(import_tax_rate_pct, 0) / 100
            * (1 + coalesce(duty_rate_pct, 0) / 100)
        ) as tax_rate
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

final as (
    select
        valued_items.declaration_id,
        valued_items.item_no,
        valued_items.data_interval,
        valued_items.declared_date,
        valued_items.hs6,
        valued_items.hs_chapter,
        valued_items.origin_country,
        valued_items.quantity,
        valued_items.declared_value_eur,
        valued_items.declared_value_eur / valued_items.quantity as unit_value_eur,
        valued_items.declared_value_eur
        / nullif(valued_items.gross_mass_kg, 0) as kg_value_eur,
        valued_items.tax_rate,
        value_gap_items.is_value_gap_flagged
    from valued_items
    inner join value_gap_items
        on
            valued_items.declaration_id = value_gap_items.declaration_id
            and valued_items.item_no = value_gap_items.item_no
)

select * from final
