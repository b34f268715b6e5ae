{#
    The latest delivery of each order line of `lines` (a later file wins: load_id starts with
    the feed and the data interval, so it sorts by interval). With `keys` (a relation of
    marketplace, order_id, line_id), only the lines it names, every delivery of each ranked.
#}
{% macro latest_deliveries(lines, keys=none) -%}
    select *
    from (
        select
            lines.*,
            row_number() over (
                partition by lines.marketplace, lines.order_id, lines.line_id
                order by lines.load_id desc, lines.source_row desc
            ) as delivery_rank
        from {{ lines }} as lines
    {%- if keys %}
            inner join {{ keys }} as needed
                on
                    lines.marketplace = needed.marketplace
                    and lines.order_id = needed.order_id
                    and lines.line_id = needed.line_id
    {%- endif %}
    ) as ranked
    where delivery_rank = 1
{%- endmacro %}
