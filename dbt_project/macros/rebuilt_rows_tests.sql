{#
    Data tests of a daily build check the rows it wrote.

    dbt wraps the model of every generic data test in `get_where_subquery`. This project sets
    `where: rebuilt_rows` on the tests of the incremental models (dbt_project.yml,
    `data_tests:`), and this override turns it into the rows a daily build recomputed:
    `in_rebuilt_days` (data_interval on or after the first rebuilt day, and the warehouse
    entries still revalued in the sales window) for the models listed in
    var('rebuilt_rows_tested_models'). Rows built
    before are unchanged since the build that tested them: delete+insert replaces whole keys,
    so a duplicate cannot pair a new row with an old one. Without the vars (a full refresh, a
    plain `dbt build`) and for a model not listed, the whole model is tested, as every full
    refresh does. docs/data-quality.md.
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
    The models tested this way are listed in var('rebuilt_rows_tested_models') with the rows a
    daily build recomputes in each: `days` (data_interval from the first rebuilt day) or
    `days_and_lots` (and the warehouse entries still in the sales window). A model not listed
    is tested whole. (A lookup, not a scan of the graph or a query of the database's columns:
    either cost about 25 ms per data test, 2-3 s per build.)
#}
{% macro rebuilt_rows_of(relation) -%}
    {%- set rows = var('rebuilt_rows_tested_models', {}).get(relation.identifier | lower) -%}
    {%- if not execute or not var('rebuild_from', none) or not rows -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return(in_rebuilt_days(with_lots=(rows == 'days_and_lots'))) -%}
{%- endmacro %}
