{#
    Incremental daily builds (docs/incremental.md). customs.warehouse.build_marts finds the
    earliest feed day changed since the last successful build and passes it as the var
    `rebuild_from`, with `lots_revalued_from` (warehouse entries declared on or after it are
    revalued by every build: their deductive value grows with each day of sales). An
    incremental model then deletes the rows of those days (pre_hook) and inserts them again,
    replacing moved keys too (delete+insert on the unique key). Without the vars (a plain
    `dbt build`) the latest data interval already built is recomputed, as before.
#}

{# The first rebuilt day, as an SQL date expression. #}
{% macro rebuild_from_date() -%}
    {%- if var('rebuild_from', none) -%}
        cast('{{ var("rebuild_from") }}' as date)
    {%- else -%}
        coalesce(
            (select max(built.data_interval) from {{ this }} as built), date '1900-01-01'
        )
    {%- endif -%}
{%- endmacro %}

{# The first declaration date of the warehouse entries revalued by every build. #}
{% macro lots_revalued_from_date() -%}
    {%- if var('lots_revalued_from', none) -%}
        cast('{{ var("lots_revalued_from") }}' as date)
    {%- else -%}
        (
            select
                cast({{ dbt.dateadd(
                    'day',
                    '-' ~ var('deductive_sales_window_days') ~ ' - 1',
                    'max(built.declared_date)'
                ) }} as date)
            from {{ this }} as built
        )
    {%- endif -%}
{%- endmacro %}

{#
    The rows a build recomputes: the rebuilt days, and (with_lots) the warehouse entries still
    inside the deductive sales window.
#}
{% macro in_rebuilt_days(with_lots=true, prefix='') -%}
    ({{ prefix }}data_interval >= {{ rebuild_from_date() }}
    {%- if with_lots %}
        or ({{ prefix }}procedure = 'WH'
            and {{ prefix }}declared_date >= {{ lots_revalued_from_date() }})
    {%- endif %})
{%- endmacro %}

{#
    Consignment thresholds sum every item of a parcel: an item of a rebuilt day (a re-delivered
    item, say) changes the duty of the parcel's other items, which may belong to earlier days.
    True for the rows of a consignment with an item of a rebuilt day in `upstream` (a model
    name, or a relation; its rows carry parcel_id, declaration_id and data_interval).
#}
{% macro in_rebuilt_consignments(upstream, prefix='') -%}
    coalesce({{ prefix }}parcel_id, {{ prefix }}declaration_id) in (
        select coalesce(rebuilt.parcel_id, rebuilt.declaration_id)
        from {{ ref(upstream) if upstream is string else upstream }} as rebuilt
        where rebuilt.data_interval >= {{ rebuild_from_date() }}
    )
{%- endmacro %}

{#
    pre_hook of an incremental model: delete the rows it is about to recompute, so that a row
    gone from a re-delivered day is gone from the model too. Only with the vars: the fallback
    (latest day of the table itself) must be read before anything is deleted.
#}
{% macro delete_rebuilt_days(with_lots=true, consignments_of=none) -%}
    {%- if is_incremental() and var('rebuild_from', none) -%}
        delete from {{ this }} where {{ in_rebuilt_days(with_lots) }}
        {%- if consignments_of %}
            or {{ in_rebuilt_consignments(consignments_of) }}
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{# The load day of a standardised row: load_id is `<feed>:<YYYY-MM-DD>:<sha256[:16]>`. #}
{% macro load_day(load_id='load_id') -%}
    cast({{ dbt.split_part(load_id, "':'", 2) }} as date)
{%- endmacro %}

{#
    True for the rows of a feed's staging model loaded on a rebuilt day: the same as
    `load_day(load_id) >= rebuild_from_date()`, written as a comparison of load_id itself
    (`<feed>:<YYYY-MM-DD>:...` sorts by day within a feed), which DuckDB checks against each
    Parquet file's statistics: the files of earlier days are skipped, not read and parsed.
#}
{% macro loaded_on_rebuilt_days(feed, load_id='load_id') -%}
    {{ load_id }} >= concat('{{ feed }}:', cast({{ rebuild_from_date() }} as {{ dbt.type_string() }}))
{%- endmacro %}

{#
    The risk models are incremental per declaration (fct_risk_scores, split consignments,
    entity history; per entity and day for the entity events). A build scores again every
    declaration declared on or after the first rescored day (int_declarations_rescored_from,
    computed once per build), every declaration with an item of a rebuilt day (data_interval:
    one that a re-delivery moved or dropped too), and the warehouse entries in the sales
    window. Without the vars: from the latest day already in the model's own table.
#}
{% macro rescored_from_date(day_column='declared_date') -%}
    {%- if var('rebuild_from', none) -%}
        (select bound.rescored_from from {{ rescored_from_relation() }} as bound)
    {%- else -%}
        coalesce(
            (select max(built.{{ day_column }}) from {{ this }} as built), date '1900-01-01'
        )
    {%- endif -%}
{%- endmacro %}

{#
    The table int_declarations_rescored_from. A model refs it (and declares the dependency:
    `-- depends_on:`). A data test cannot: dbt allows a test to ref only the model it tests, so
    the where of a risk model's test (macros/rebuilt_rows_tests.sql) names the table from the
    project's graph; dbt build runs it before every model whose tests read it.
#}
{% macro rescored_from_relation() -%}
    {%- if model is mapping and model.get('resource_type') == 'test' -%}
        {{- graph.nodes['model.' ~ project_name ~ '.int_declarations_rescored_from'].relation_name -}}
    {%- else -%}
        {{- ref('int_declarations_rescored_from') -}}
    {%- endif -%}
{%- endmacro %}

{% macro in_rescored_declarations(prefix='', with_lots=true) -%}
    ({{ in_rebuilt_days(with_lots=with_lots, prefix=prefix) }}
        or {{ prefix }}declared_date >= {{ rescored_from_date() }})
{%- endmacro %}

{% macro delete_rescored_declarations(with_lots=true) -%}
    {%- if is_incremental() and var('rebuild_from', none) -%}
        delete from {{ this }} where {{ in_rescored_declarations(with_lots=with_lots) }}
    {%- endif -%}
{%- endmacro %}

{# pre_hook of int_entity_days_accumulated: the entity days a build computes again. #}
{% macro delete_rescored_entity_days() -%}
    {%- if is_incremental() and var('rebuild_from', none) -%}
        delete from {{ this }} where event_date >= {{ rescored_from_date('event_date') }}
    {%- endif -%}
{%- endmacro %}

{#
    The order of rank_in_jurisdiction_day (1 = inspect first), for fct_risk_scores and its
    post_hook: composite score, then revenue at stake (as stored: rounded to the cent), then
    the declaration.
#}
{% macro risk_rank_order(prefix='', revenue=none) -%}
    {{ prefix }}composite_score desc,
    {{ revenue or (prefix ~ 'revenue_at_stake_eur') }} desc,
    {{ prefix }}declaration_id asc
{%- endmacro %}

{#
    The inspection queue of a declaration (fct_risk_scores.inspection_queue), from its
    procedure: warehouse entries (WH) are audited after clearance, the rest at the border.
#}
{% macro inspection_queue(procedure) -%}
    case when {{ procedure }} = 'WH' then 'post_clearance' else 'border' end
{%- endmacro %}

{#
    post_hook of fct_risk_scores: the rank of a declaration is its place in its jurisdiction,
    day and inspection queue, so inserting or rescoring some declarations of a queue moves
    others of it (a warehouse entry revalued in the sales window passes the other warehouse
    entries of its day). Rank again every queue with a rescored declaration, and any whose
    ranks are not 1..n (a declaration a re-delivery dropped from a day not otherwise
    rescored); every queue without the vars. Only the ranks that changed are written.
#}
{#
    An inspection queue is a jurisdiction, declared day and queue (fct_risk_scores): the queues
    holding a rescored declaration of `relation`, and the condition that two rows share one.
    The post_hook below ranks those queues again; a daily build's data tests read them whole
    (macros/rebuilt_rows_tests.sql).
#}
{% macro queues_of_rescored_declarations(relation) -%}
    select distinct
        rescored.jurisdiction,
        rescored.declared_date,
        rescored.inspection_queue
    from {{ relation }} as rescored
    where {{ in_rescored_declarations('rescored.') }}
{%- endmacro %}

{% macro same_inspection_queue(left, right) -%}
    {{ left }}.jurisdiction = {{ right }}.jurisdiction
    and {{ left }}.declared_date = {{ right }}.declared_date
    and {{ left }}.inspection_queue = {{ right }}.inspection_queue
{%- endmacro %}

{% macro rerank_rescored_days() -%}
    {%- if is_incremental() -%}
        update {{ this }} as scores
        set rank_in_jurisdiction_day = ranked.new_rank
        from (
            select
                queue_rows.declaration_id,
                row_number() over (
                    partition by
                        queue_rows.jurisdiction,
                        queue_rows.declared_date,
                        queue_rows.inspection_queue
                    order by {{ risk_rank_order('queue_rows.') }}
                ) as new_rank
            from {{ this }} as queue_rows
        {%- if var('rebuild_from', none) %}
                inner join (
                    {{ queues_of_rescored_declarations(this) }}
                    union
                    select
                        ranked_queues.jurisdiction,
                        ranked_queues.declared_date,
                        ranked_queues.inspection_queue
                    from {{ this }} as ranked_queues
                    group by all
                    having count(*) != max(ranked_queues.rank_in_jurisdiction_day)
                ) as rescored_queues
                    on {{ same_inspection_queue('queue_rows', 'rescored_queues') }}
        {%- endif %}
        ) as ranked
        where
            scores.declaration_id = ranked.declaration_id
            and scores.rank_in_jurisdiction_day != ranked.new_rank
    {%- endif -%}
{%- endmacro %}
