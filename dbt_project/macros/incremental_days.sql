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
        (select max(built.data_interval) from {{ this }} as built)
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
    name; its rows carry parcel_id, declaration_id and data_interval).
#}
{% macro in_rebuilt_consignments(upstream, prefix='') -%}
    coalesce({{ prefix }}parcel_id, {{ prefix }}declaration_id) in (
        select coalesce(rebuilt.parcel_id, rebuilt.declaration_id)
        from {{ ref(upstream) }} as rebuilt
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
    The risk models are incremental per declaration (fct_risk_scores, split consignments,
    entity history; per entity and day for the entity events). A declaration's signals rest on
    its own items and on earlier days (entity history, split consignments, reference prices),
    so a build scores again every declaration declared on or after the first declared day of
    the fact rows it recomputed (their consignments' earlier items included) or the first day
    of an inspection it loaded (an outcome weighs on later declarations of the entities), every
    declaration with an item of a rebuilt day (data_interval: one that a re-delivery moved or
    dropped too), and the warehouse entries in the sales window. Without the vars: from the
    latest declared day already scored.
#}
{% macro rescored_from_date(day_column='declared_date') -%}
    {%- if var('rebuild_from', none) -%}
        least(
            coalesce((
                select min(rebuilt.declared_date)
                from {{ ref('fct_customs_valuation') }} as rebuilt
                where
                    rebuilt.data_interval >= {{ rebuild_from_date() }}
                    or {{ in_rebuilt_consignments('fct_customs_valuation', 'rebuilt.') }}
            ), {{ rebuild_from_date() }}),
            coalesce((
                select min(loaded.inspected_date)
                from {{ ref('stg_customs_feeds__inspections') }} as loaded
                where {{ load_day('loaded.load_id') }} >= {{ rebuild_from_date() }}
            ), {{ rebuild_from_date() }})
        )
    {%- else -%}
        (select max(built.{{ day_column }}) from {{ this }} as built)
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
    post_hook of fct_risk_scores: the rank of a declaration is its place in its jurisdiction
    and day, so inserting or rescoring some declarations of a day moves others of that day (a
    warehouse entry revalued in the sales window passes the parcels of its day). Rank again
    every jurisdiction and day with a rescored declaration (every day without the vars), and
    write only the ranks that changed. The order is the model's own, on the stored columns.
#}
{% macro rerank_rescored_days() -%}
    {%- if is_incremental() -%}
        update {{ this }} as scores
        set rank_in_jurisdiction_day = ranked.new_rank
        from (
            select
                day_rows.declaration_id,
                row_number() over (
                    partition by day_rows.jurisdiction, day_rows.declared_date
                    order by
                        day_rows.composite_score desc,
                        day_rows.revenue_at_stake_eur desc,
                        day_rows.declaration_id asc
                ) as new_rank
            from {{ this }} as day_rows
        {%- if var('rebuild_from', none) %}
                inner join (
                    select distinct
                        rescored.jurisdiction,
                        rescored.declared_date
                    from {{ this }} as rescored
                    where {{ in_rescored_declarations('rescored.') }}
                ) as rescored_days
                    on
                        day_rows.jurisdiction = rescored_days.jurisdiction
                        and day_rows.declared_date = rescored_days.declared_date
        {%- endif %}
        ) as ranked
        where
            scores.declaration_id = ranked.declaration_id
            and scores.rank_in_jurisdiction_day != ranked.new_rank
    {%- endif -%}
{%- endmacro %}
