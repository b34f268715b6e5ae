{#
    Data tests of a daily build check the rows it wrote.

    dbt wraps the model of every generic data test in `get_where_subquery`. This project sets
    `where: rebuilt_rows` on the tests of the incremental models (dbt_project.yml,
    `data_tests:`), and this override turns it into the rows a daily build recomputed:
    `in_rebuilt_days` (data_interval on or after the first rebuilt day, and the warehouse
    entries still revalued in the sales window), or the rescored declarations of the risk
    models, for the models listed in var('rebuilt_rows_tested_models'), each with the same
    predicate as its pre_hook. Rows
    built before are unchanged since the build that tested them: delete+insert replaces
    whole keys, so a duplicate of the unique key cannot pair a new row with an old one.
    Without the vars (a full refresh, a plain `dbt build`) and for a model not listed, the
    whole model is tested, as every full refresh does. docs/data-quality.md.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where == 'rebuilt_deliveries' -%}
        {%- set delivered = rebuilt_deliveries_of(relation) -%}
        {%- do return(delivered if delivered else relation) -%}
    {%- endif -%}
    {%- if where == 'rebuilt_rows' -%}
        {%- set where = rebuilt_rows_of(relation) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} as tested where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#
    The condition selecting the rows of `relation` a daily build recomputed; none to test all.
    The models tested this way are listed in var('rebuilt_rows_tested_models') with the rows
    their pre_hook deletes and a daily build writes again, the same predicate:
    - `days`: data_interval from the first rebuilt day (`delete_rebuilt_days(with_lots=false)`);
    - `days_and_lots`: and the warehouse entries still in the sales window
      (`delete_rebuilt_days()`);
    - `days_lots_and_consignments`: and every item of a consignment with an item of a rebuilt
      day (`delete_rebuilt_days(consignments_of=...)`, `in_rebuilt_consignments` read from the
      model itself).
    The risk models rescore from the first rescored day (int_declarations_rescored_from, read
    through `rescored_from_relation`, macros/incremental_days.sql):
    - `rescored`: the declarations their pre_hook deletes and a daily build scores again
      (`delete_rescored_declarations(with_lots=false)`);
    - `rescored_entity_days`: the entity days from the first rescored day
      (`delete_rescored_entity_days()`);
    - `rescored_queues`: every row of an inspection queue (jurisdiction, declared day, queue)
      holding a declaration rescored with the warehouse entries of the sales window
      (`delete_rescored_declarations()`): its post_hook ranks those queues again, so a rank
      test reads whole queues.
    A lookup, not a scan of the graph or a query of the database's columns: either cost about
    25 ms per data test, 2-3 s per build.
#}
{% macro rebuilt_rows_of(relation) -%}
    {%- set rows = var('rebuilt_rows_tested_models', {}).get(relation.identifier | lower) -%}
    {%- if not execute or not var('rebuild_from', none) or not rows -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- if rows == 'rescored' -%}
        {%- do return(in_rescored_declarations('tested.', with_lots=false)) -%}
    {%- elif rows == 'rescored_entity_days' -%}
        {%- do return('tested.event_date >= ' ~ rescored_from_date('event_date')) -%}
    {%- elif rows == 'rescored_queues' -%}
        {%- set queue_of_a_rescored_declaration -%}
            exists (
                select 1
                from ({{ queues_of_rescored_declarations(relation) }}) as rescored_queues
                where {{ same_inspection_queue('rescored_queues', 'tested') }}
            )
        {%- endset -%}
        {%- do return(queue_of_a_rescored_declaration) -%}
    {%- endif -%}
    {%- set condition = in_rebuilt_days(with_lots=(rows != 'days')) -%}
    {%- if rows == 'days_lots_and_consignments' -%}
        {%- set condition = '(' ~ condition ~ ' or ' ~ in_rebuilt_consignments(relation) ~ ')' -%}
    {%- endif -%}
    {%- do return(condition) -%}
{%- endmacro %}

{#
    `where: rebuilt_deliveries` (see above): the rows of a staging view whose key was delivered
    on a rebuilt day, as a subquery; none to test all. The views tested this way are listed in
    var('rebuilt_deliveries_tested_models') with their feed (the `load_id` prefix); the key is
    the test's own columns (`combination_of_columns`, or `column_name`). Comparing `load_id`
    skips the Parquet files of earlier days (macros/incremental_days.sql:
    loaded_on_rebuilt_days); the key columns of the others are read for the match.
#}
{% macro rebuilt_deliveries_of(relation) -%}
    {%- set feeds = var('rebuilt_deliveries_tested_models', {}) -%}
    {%- set feed = feeds.get(relation.identifier | lower) -%}
    {%- set arguments = ((model or {}).get('test_metadata') or {}).get('kwargs') or {} -%}
    {%- set key = arguments.get('combination_of_columns')
        or ([arguments.get('column_name')] if arguments.get('column_name') else []) -%}
    {%- if not execute or not var('rebuild_from', none) or not feed or not key -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set same_key = [] -%}
    {%- for column in key -%}
        {%- do same_key.append('delivered.' ~ column ~ ' is not distinct from tested.' ~ column) -%}
    {%- endfor -%}
    {%- set subquery -%}
        (
            select * from {{ relation }} as tested
            where exists (
                select 1
                from {{ relation }} as delivered
                where {{ loaded_on_rebuilt_days(feed, 'delivered.load_id') }}
                    and {{ same_key | join(' and ') }}
            )
        ) dbt_subquery
    {%- endset -%}
    {%- do return(subquery) -%}
{%- endmacro %}
