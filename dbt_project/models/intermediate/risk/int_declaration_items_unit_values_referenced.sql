{#
    Undervaluation against a robust reference price (EU JRC "fair prices"; the "lowest
    acceptable price" of CJEU C-213/19): the declared unit value (EUR per unit and per kg)
    against the median of EARLIER declarations of the same HS6 x origin within the trailing
    window, excluding items the value-gap signal flags; HS4 x origin, then chapter x origin,
    when the HS6 reference rests on fewer than var('reference_min_observations') items.
#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuilt_days(with_lots=false) }}"
) }}

with recursive

pooled_items as (
    select * from {{ ref('int_declaration_items_unit_values_pooled') }}
),

-- The items priced: on the rebuilt days in a daily build (macros/incremental_days.sql).
valued_items as (
    select * from pooled_items
    {% if is_incremental() %}
        where data_interval >= {{ rebuild_from_date() }}
    {% endif %}
),

-- One reference key per HS6 x origin x declared day of the items.
item_keys as (
    select distinct
        hs6,
        hs_chapter,
        origin_country,
        declared_date
    from valued_items
),

reference_levels as (
    select
        unnest(['hs6', 'hs4', 'chapter']) as level_name,
        unnest([1, 2, 3]) as level_rank
),

item_keys_by_level as (
    select
        item_keys.*,
        reference_levels.level_name,
        reference_levels.level_rank,
        {{ reference_level_code(
            'reference_levels.level_name', 'item_keys.hs6', 'item_keys.hs_chapter'
        ) }} as level_code
    from item_keys
    cross join reference_levels
),

-- Earlier items not flagged by the value gap, inside the trailing window of the earliest key
-- (the stored rows, read again by each step of the recursion).
pool_items as (
    select
        hs6,
        hs_chapter,
        origin_country,
        declared_date,
        unit_value_eur,
        kg_value_eur
    from pooled_items
    where
        not is_value_gap_flagged
        {% if is_incremental() %}
            and declared_date >= (
                select min(item_keys.declared_date) - {{ var('reference_window_days') }}
                from item_keys
            )
        {% endif %}
),

reference_days as (
    select
        declared_date,
        row_number() over (order by declared_date) as day_no
    from (select distinct item_keys.declared_date from item_keys) as key_days
),

no_reference as (
    select
        cast(null as varchar) as level_name,
        cast(null as varchar) as level_code,
        cast(null as varchar) as origin_country,
        cast(null as date) as declared_date,
        cast(null as bigint) as reference_observations,
        cast(null as double[]) as unit_value_quartiles,
        cast(null as double) as reference_kg_value_eur
),

-- Priced one declared day per step of a recursive CTE: DuckDB runs each step as its own
-- query, so the join of a day's keys with their trailing pool is aggregated and freed before
-- the next day's (in one join, memory held (days built at once) x (pool in the window): a full
-- refresh or a catch-up of many days ran out of memory, docs/benchmarks.md). The keys are the
-- join's small (build) side; the pool is read from the stored table. Within a day, level by
-- level: the HS4 keys of the items whose HS6 has too few earlier items, then the chapter keys
-- of those whose HS4 has too few too (nearly every key has enough at HS6, and the coarser
-- levels held twice the pool's rows to sort for medians nobody used). Each step also yields a
-- marker row (no level) so that a day whose keys have no earlier items does not end the
-- recursion; it ends after the last day. Step 0 is the seed.
references_by_day as (
    select
        cast(0 as bigint) as day_no,
        no_reference.*
    from no_reference
    union all
    select * from (
        with

        step as (
            select distinct
                reference_days.day_no,
                reference_days.declared_date
            from references_by_day as priced
            inner join reference_days on priced.day_no + 1 = reference_days.day_no
        ),

        step_items as (
            select
                step.day_no,
                item_keys.*
            from step
            inner join item_keys on step.declared_date = item_keys.declared_date
        ),

        hs6_references as (
            {{ reference_prices_at_level('hs6', 'step_items') }}
        ),

        hs4_items as (
            {{ items_short_of_references('step_items', 'hs6_references', 'hs6') }}
        ),

        hs4_references as (
            {{ reference_prices_at_level('hs4', 'hs4_items') }}
        ),

        chapter_items as (
            {{ items_short_of_references('hs4_items', 'hs4_references', 'hs4') }}
        ),

        chapter_references as (
            {{ reference_prices_at_level('chapter', 'chapter_items') }}
        ),

        step_marker as (
            select
                step.day_no,
                no_reference.*
            from step
            cross join no_reference
        )

        select * from hs6_references
        union all
        select * from hs4_references
        union all
        select * from chapter_references
        union all
        select * from step_marker
    ) as priced_day
),

references_by_level as (
    select
        level_name,
        level_code,
        origin_country,
        declared_date,
        reference_observations,
        unit_value_quartiles[1] as reference_unit_value_eur,
        unit_value_quartiles[2] as reference_unit_value_p25_eur,
        reference_kg_value_eur
    from references_by_day
    where
        level_name is not null
        and reference_observations >= {{ var('reference_min_observations') }}
),

-- The finest level with enough observations, chosen per key (not per item: a key's items
-- share it), then joined to the items on the key (a small build side).
key_references_ranked as (
    select
        item_key.hs6,
        item_key.hs_chapter,
        item_key.origin_country,
        item_key.declared_date,
        refs.level_name as reference_level,
        refs.reference_observations,
        refs.reference_unit_value_eur,
        refs.reference_unit_value_p25_eur,
        refs.reference_kg_value_eur,
        row_number() over (
            partition by
                item_key.hs6,
                item_key.hs_chapter,
                item_key.origin_country,
                item_key.declared_date
            order by item_key.level_rank
        ) as level_preference
    from item_keys_by_level as item_key
    inner join references_by_level as refs
        on
            item_key.level_name = refs.level_name
            and item_key.level_code = refs.level_code
            and item_key.origin_country = refs.origin_country
            and item_key.declared_date = refs.declared_date
),

key_references as (
    select * exclude (level_preference)
    from key_references_ranked
    where level_preference = 1
),

items_with_reference as (
    select
        items.*,
        refs.reference_level,
        refs.reference_observations,
        refs.reference_unit_value_eur,
        refs.reference_unit_value_p25_eur,
        items.unit_value_eur / nullif(refs.reference_unit_value_eur, 0)
            as unit_value_ratio,
        items.kg_value_eur / nullif(refs.reference_kg_value_eur, 0) as kg_value_ratio
    from valued_items as items
    left join key_references as refs
        on
            items.hs6 = refs.hs6
            and items.hs_chapter = refs.hs_chapter
            and items.origin_country = refs.origin_country
            and items.declared_date = refs.declared_date
),

final as (
    select
        items.declaration_id,
        items.item_no,
        items.data_interval,
        items.reference_level,
        coalesce(items.reference_observations, 0) as reference_observations,
        cast(items.unit_value_eur as decimal(18, 4)) as unit_value_eur,
        cast(items.reference_unit_value_eur as decimal(18, 4))
            as reference_unit_value_eur,
        cast(items.reference_unit_value_p25_eur as decimal(18, 4))
            as reference_unit_value_p25_eur,
        cast(items.unit_value_ratio as decimal(18, 4)) as unit_value_ratio,
        cast(items.kg_value_ratio as decimal(18, 4)) as kg_value_ratio,
        coalesce(
            items.unit_value_ratio < {{ var('reference_undervaluation_share') }}
            and coalesce(
                items.kg_value_ratio < {{ var('reference_undervaluation_share') }},
                true
            ),
            false
        ) as is_below_reference,
        greatest(
            0,
            least(
                1,
                1 - coalesce(
                    greatest(items.unit_value_ratio, items.kg_value_ratio),
                    items.unit_value_ratio,
                    1
                )
            )
        ) as reference_score,
        cast(greatest(
            0,
            coalesce(
                items.reference_unit_value_eur * items.quantity
                - items.declared_value_eur,
                0
            )
        ) * items.tax_rate as decimal(18, 2)) as reference_revenue_eur
    from items_with_reference as items
)

select * from final
