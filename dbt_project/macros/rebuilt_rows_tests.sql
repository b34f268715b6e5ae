{#
    Data tests of a daily build check the rows it wrote.

    dbt wraps the model of every generic data test in `get_where_subquery`. This project sets
    `where: rebuilt_rows` on the tests of the incremental models (dbt_project.yml,
    `data_tests:`), and this override turns it into the rows a daily build recomputed:
    `in_rebuilt_days` (data_interval on or after the first rebuilt day, and the warehouse
    entries still revalued in the sales window) for a model that has those columns. Rows built
    before are unchanged since the build that tested them: delete+insert replaces whole keys,
    so a duplicate cannot pair a new row with an old one. Without the vars (a full refresh, a
    plain `dbt build`) and for a model without a data_interval column, the whole model is
    tested, as every full refresh does. docs/data-quality.md.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where == 'rebuilt_rows' -%}
        {%- set where = rebuilt_rows_of(relation) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#
    The condition selecting the rows of `relation` a daily build recomputed; none to test all.
    The model's columns are those its YAML declares (every model here has an enforced contract
    or a documented column list), read from the graph: no query to the database per test.
#}
{% macro rebuilt_rows_of(relation) -%}
    {%- if not execute or not var('rebuild_from', none) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model'
            and (node.alias or node.name) | lower == relation.identifier | lower -%}
            {%- do columns.extend(node.columns.keys() | map('lower')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if 'data_interval' not in columns -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set with_lots = 'procedure' in columns and 'declared_date' in columns -%}
    {%- do return(in_rebuilt_days(with_lots=with_lots)) -%}
{%- endmacro %}
