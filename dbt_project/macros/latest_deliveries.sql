{#
    The latest delivery of each order line of `lines` (a later file wins: load_id starts with
    the feed and the data interval, so it sorts by interval).
#}
{% macro latest_deliveries(lines) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by marketplace, order_id, line_id
                order by load_id desc, source_row desc
            ) as delivery_rank
        from {{ lines }}
    ) as ranked
    where delivery_rank = 1
{%- endmacro %}
