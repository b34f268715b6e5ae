{#
    The latest delivery of each row of `rows` identified by the columns `key` (a row delivered
    again in a later file counts once: load_id starts with the feed and the data interval, so
    it sorts by interval; within a file the later row wins). With `needed` (a relation holding
    the `key` columns, each combination once), only the rows it names, every delivery of each
    ranked. The rows keep their columns plus `delivery_rank` (1).
#}
{% macro latest_deliveries(rows, key, needed=none) -%}
    {%- set partition = 'delivered.' ~ key | join(', delivered.') -%}
    select *
    from (
        select
            delivered.*,
            row_number() over (
                partition by {{ partition }}
                order by delivered.load_id desc, delivered.source_row desc
            ) as delivery_rank
        from {{ rows }} as delivered
    {%- if needed %}
            inner join {{ needed }} as needed
                using ({{ key | join(', ') }})
    {%- endif %}
    ) as ranked
    where delivery_rank = 1
{%- endmacro %}
