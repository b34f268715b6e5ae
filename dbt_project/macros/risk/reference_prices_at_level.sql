{#
    Steps of int_declaration_items_unit_values_referenced, one level (hs6, hs4 or chapter,
    always x origin) at a time, for the items of one declared day.

    `reference_prices_at_level`: the reference of each key of the items in `items` at `level`,
    from the earlier items of the CTE `pool_items` in the trailing window: their count, the
    median and lower quartile of their unit values and the median of their values per kg.
#}
{% macro reference_prices_at_level(level, items) -%}
    select
        keys.day_no,
        '{{ level }}' as level_name,
        keys.level_code,
        keys.origin_country,
        keys.declared_date,
        count(*) as reference_observations,
        quantile_cont(pool.unit_value_eur, [0.5, 0.25]) as unit_value_quartiles,
        median(pool.kg_value_eur) as reference_kg_value_eur
    from (
        select distinct
            day_no,
            {{ level_code_of(level, 'hs6', 'hs_chapter') }} as level_code,
            origin_country,
            declared_date
        from {{ items }}
    ) as keys
    inner join pool_items as pool
        on
            keys.level_code = {{ level_code_of(level, 'pool.hs6', 'pool.hs_chapter') }}
            and keys.origin_country = pool.origin_country
            and keys.declared_date > pool.declared_date
            and keys.declared_date - {{ var('reference_window_days') }} <= pool.declared_date
    group by
        keys.day_no,
        keys.level_code,
        keys.origin_country,
        keys.declared_date
{%- endmacro %}

{#
    `items_short_of_references`: the items of `items` whose key at `level` has fewer than
    var('reference_min_observations') earlier items in `references` (or none): those priced
    at the next, coarser level.
#}
{% macro items_short_of_references(items, references, level) -%}
    select items.*
    from {{ items }} as items
    left join {{ references }} as refs
        on
            {{ level_code_of(level, 'items.hs6', 'items.hs_chapter') }} = refs.level_code
            and items.origin_country = refs.origin_country
            and refs.reference_observations >= {{ var('reference_min_observations') }}
    where refs.level_code is null
{%- endmacro %}
