{#
    Incremental on DuckDB (macros/incremental_days.sql): a build matches the items of the
    rebuilt days (their latest delivery among the rebuilt days' files: a later file always wins)
    against the order lines of their parcels and of the fallback window.
#}
{%- set order_line_key = ['marketplace', 'order_id', 'line_id'] -%}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuilt_days(with_lots=false) }}"
) }}

with

all_declaration_items as (
    select
        *,
        {{ load_day() }} as data_interval
    from {{ ref('stg_customs_feeds__declarations') }}
),

declaration_items as (
    select * from all_declaration_items
    {% if is_incremental() %}
        where {{ loaded_on_rebuilt_days('declarations') }}
    {% endif %}
),

-- Not materialized on DuckDB: each reader scans the Parquet files for the columns and rows it
-- needs (a daily build's readers need a few), instead of one copy of every column of every line.
all_order_lines as {% if target.type == 'duckdb' %}not materialized {% endif %}(
    select
        marketplace,
        order_id,
        line_id,
        parcel_id,
        seller_id,
        hs6,
        ordered_at,
        ordered_date,
        quantity,
        unit_price,
        discount,
        shipping_fee,
        insurance_fee,
        order_currency,
        load_id,
        source_row
    from {{ ref('stg_customs_feeds__orders') }}
),

-- A row delivered again in a later file counts once (macros/latest_deliveries.sql).
latest_declaration_items as (
    {{ latest_deliveries('declaration_items', ['declaration_id', 'item_no']) }}
),

-- A rebuild reads only the order lines the rebuilt items can match (every delivery of such
-- a line, so that the latest one still wins): first those of their parcels; then, for the
-- items left without a parcel match, the lines ordered inside the fallback window before the
-- earliest of them that have the seller, HS6 and quantity of one of those items (a line none
-- of whose deliveries has one cannot be a fallback candidate).
{% if is_incremental() %}
    parcel_order_line_keys as (
        select distinct
            marketplace,
            order_id,
            line_id
        from all_order_lines
        where parcel_id in (
                select items.parcel_id from latest_declaration_items as items
            )
    ),

    latest_parcel_order_lines as (
        {{ latest_deliveries('all_order_lines', order_line_key, 'parcel_order_line_keys') }}
    ),
{% else %}
    latest_order_lines as (
        {{ latest_deliveries('all_order_lines', order_line_key) }}
    ),

    latest_parcel_order_lines as (
        select * from latest_order_lines
    ),
{% endif %}

-- Declarants list a parcel's items in the order of the marketplace's lines: the n-th line of
-- the parcel (by line_id) is item n of the declaration of that parcel. Numbered on narrow rows.
order_lines_numbered_in_parcel as (
    select
        parcel_id,
        marketplace,
        order_id,
        line_id,
        row_number() over (
            partition by parcel_id
            order by line_id, marketplace, order_id
        ) as position_in_parcel
    from latest_parcel_order_lines
    where parcel_id is not null
),

items_matched_by_parcel as (
    select
        declaration_items.*,
        order_lines.marketplace,
        order_lines.order_id,
        order_lines.line_id
    from latest_declaration_items as declaration_items
    left join order_lines_numbered_in_parcel as order_lines
        on declaration_items.parcel_id = order_lines.parcel_id
            and declaration_items.item_no = order_lines.position_in_parcel
),

{% if is_incremental() %}
    fallback_keys as (
        select distinct
            seller_id,
            hs6,
            quantity
        from items_matched_by_parcel
        where line_id is null and coalesce(procedure, '') != 'WH'
    ),

    window_order_line_keys as (
        select distinct
            order_lines_in_window.marketplace,
            order_lines_in_window.order_id,
            order_lines_in_window.line_id
        from all_order_lines as order_lines_in_window
        inner join fallback_keys
            on
                order_lines_in_window.seller_id = fallback_keys.seller_id
                and order_lines_in_window.hs6 = fallback_keys.hs6
                and order_lines_in_window.quantity = fallback_keys.quantity
        where order_lines_in_window.ordered_date >= (
                select
                    cast({{ dbt.dateadd(
                    'day',
                    '-' ~ var('fallback_match_window_days'),
                    'min(items.declared_date)'
                ) }} as date)
                from latest_declaration_items as items
            )
    ),

    -- a line can be in both sets, with the same latest delivery in each
    latest_order_lines as (
        select * from latest_parcel_order_lines
        union
        select * from (
            {{ latest_deliveries('all_order_lines', order_line_key, 'window_order_line_keys') }}
        ) as window_lines
    ),
{% endif %}

-- Fallback for items not matched by parcel (never warehouse entries, which have no sale at
-- import): an order line of the same seller, same HS6 and same quantity, ordered within
-- var('fallback_match_window_days') days before the declaration, and not in a declared parcel.
-- The closest order in time wins; confidence 0.8 shared among the candidates.
order_lines_outside_declared_parcels as (
    select latest_order_lines.*
    from latest_order_lines
    where latest_order_lines.parcel_id is null
        or latest_order_lines.parcel_id not in (
            select declared.parcel_id
            from latest_declaration_items as declared
            where declared.parcel_id is not null
            {% if is_incremental() %}
                union all
                select kept.parcel_id
                from {{ this }} as kept
                where kept.parcel_id is not null
                    and kept.data_interval < {{ rebuild_from_date() }}
            {% endif %}
        )
),

fallback_candidates as (
    select
        items.declaration_id,
        items.item_no,
        candidates.marketplace,
        candidates.order_id,
        candidates.line_id,
        count(*) over (
            partition by items.declaration_id, items.item_no
        ) as candidate_count,
        row_number() over (
            partition by items.declaration_id, items.item_no
            order by
                candidates.ordered_at desc,
                candidates.marketplace asc,
                candidates.order_id asc,
                candidates.line_id asc
        ) as candidate_rank
    from items_matched_by_parcel as items
    inner join order_lines_outside_declared_parcels as candidates
        on items.seller_id = candidates.seller_id
            and items.hs6 = candidates.hs6
            and items.quantity = candidates.quantity
            and items.declared_at >= candidates.ordered_at
            and candidates.ordered_date >= cast({{ dbt.dateadd(
                'day', '-' ~ var('fallback_match_window_days'), 'items.declared_date'
            ) }} as date)
    where items.line_id is null
        and coalesce(items.procedure, '') != 'WH'
),

items_matched as (
    select
        items.*,
        coalesce(items.marketplace, fallback.marketplace) as matched_marketplace,
        coalesce(items.order_id, fallback.order_id) as matched_order_id,
        coalesce(items.line_id, fallback.line_id) as matched_line_id,
        case
            when items.line_id is not null then 'parcel_position'
            when fallback.line_id is not null then 'seller_hs6_quantity_window'
            else 'none'
        end as match_rule,
        cast(
            case
                when items.line_id is not null then 1
                when fallback.line_id is not null
                    then {{ round_half_away(divide('0.8', 'fallback.candidate_count'), 2) }}
                else 0
            end as decimal(3, 2)
        ) as match_confidence
    from items_matched_by_parcel as items
    left join fallback_candidates as fallback
        on items.declaration_id = fallback.declaration_id
            and items.item_no = fallback.item_no
            and fallback.candidate_rank = 1
),

final as (
    select
        declaration_items.declaration_id,
        declaration_items.item_no,
        declaration_items.declared_at,
        declaration_items.declared_date,
        declaration_items.jurisdiction,
        declaration_items.declarant_id,
        declaration_items.importer_id,
        declaration_items.seller_id,
        declaration_items.parcel_id,
        declaration_items.ioss_number,
        declaration_items.procedure,
        declaration_items.hs_code,
        declaration_items.hs6,
        declaration_items.hs_chapter,
        declaration_items.description,
        declaration_items.origin_country,
        declaration_items.quantity,
        declaration_items.gross_mass_kg,
        declaration_items.declared_value,
        declaration_items.declared_currency,
        declaration_items.transport_cost,
        declaration_items.insurance_cost,
        declaration_items.source_file,
        declaration_items.source_row,
        declaration_items.load_id,
        declaration_items.data_interval,
        order_lines.marketplace,
        order_lines.order_id as matched_order_id,
        order_lines.line_id as matched_line_id,
        order_lines.ordered_date as order_date,
        order_lines.quantity as order_quantity,
        order_lines.unit_price as order_unit_price,
        order_lines.discount as order_discount,
        order_lines.shipping_fee as order_shipping_fee,
        order_lines.insurance_fee as order_insurance_fee,
        order_lines.order_currency,
        order_lines.load_id as order_load_id,
        declaration_items.match_rule,
        declaration_items.match_confidence,
        order_lines.line_id is not null as has_order_match
    from items_matched as declaration_items
    left join latest_order_lines as order_lines
        on declaration_items.matched_marketplace = order_lines.marketplace
            and declaration_items.matched_order_id = order_lines.order_id
            and declaration_items.matched_line_id = order_lines.line_id
)

select * from final
