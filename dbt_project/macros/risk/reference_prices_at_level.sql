{#
    One step of int_declaration_items_unit_values_referenced: the reference of each key at one
    level (hs6, hs4 or chapter, always x origin) for the items in `items` (one declared day;
    `code` is their level code), from the earlier items of the CTE `pool_items` in the trailing
    window: their count, the median and lower quartile of their unit values and the median of
    their values per kg.
#}
{% macro reference_prices_at_level(level, items, code) -%}
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
            {{ items }}.day_no,
            {{ code }} as level_code,
            {{ items }}.origin_country,
            {{ items }}.declared_date
        from {{ items }}
    ) as keys
    inner join pool_items as pool
        on
            keys.level_code = {{ reference_level_code("'" ~ level ~ "'", 'pool.hs6', 'pool.hs_chapter') }}
            and keys.origin_country = pool.origin_country
            and keys.declared_date > pool.declared_date
            and keys.declared_date - {{ var('reference_window_days') }} <= pool.declared_date
    group by
        keys.day_no,
        keys.level_code,
        keys.origin_country,
        keys.declared_date
{%- endmacro %}
