{#
    One row per entity (seller, declarant or importer: `entity_column` of fct_risk_scores) with
    its risk history, for dim_seller, dim_declarant and dim_importer. The history score is
    computed as in int_declarations_entity_history_scored, as of the day after the latest
    declaration or inspection in the warehouse (every event counts, decayed from that day).

    Incremental on DuckDB (dim_importer; docs/incremental.md): a daily build computes again only
    the entities it touched (a rescored declaration, a declaration inspected on or after the
    first rescored day, or a stored last event from that day on: a declaration or inspection
    that may be gone) and deletes those left without a declaration. The others' rows change
    only by the decay, as the history day moves on: the post_hook scales their stored decayed
    sums by 0.5 ^ (days moved / half-life) and derives their scores again
    (decay_entity_history).
#}
{% macro risk_entity_dimension(entity_column) -%}
with

scores as (
    select
        declaration_id,
        declared_date,
        {{ entity_column }} as entity_id,
        declared_value_eur,
        composite_score,
        rank_in_jurisdiction_day,
        (
            case when is_value_gap_flagged then 1 else 0 end
            + case when is_below_reference then 1 else 0 end
            + case when is_misclassified then 1 else 0 end
            + case when is_split_consignment then 1 else 0 end
            + case when is_lot_undervalued then 1 else 0 end
        ) as signals_fired
    from {{ ref('fct_risk_scores') }}
    where {{ entity_column }} is not null
),

inspections as (
    select
        declaration_id,
        min(inspected_date) as inspected_date,
        max(inspected_date) as last_inspected_date,
        bool_or(result != 'no_irregularity') as is_finding
    from {{ ref('stg_customs_feeds__inspections') }}
    group by declaration_id
),

as_of as (
    select {{ entity_history_as_of(entity_column) }} as as_of_date
),

{% if is_incremental() and var('rebuild_from', none) %}
    -- The entities whose rows a daily build computes again (the others only decay).
    touched_entities as (
        select rescored.{{ entity_column }} as entity_id
        from {{ ref('fct_risk_scores') }} as rescored
        where {{ in_rescored_declarations('rescored.') }}
        union
        select scores.entity_id
        from scores
        inner join inspections
            on scores.declaration_id = inspections.declaration_id
        where inspections.last_inspected_date >= {{ rescored_from_date() }}
        union
        select stored.{{ entity_column }} as entity_id
        from {{ this }} as stored
        where stored.last_event_date >= {{ rescored_from_date() }}
    ),

    entity_scores as (
        select *
        from scores
        where entity_id in (select touched.entity_id from touched_entities as touched)
    ),
{% else %}
    entity_scores as (
        select * from scores
    ),
{% endif %}

events as (
    select
        entity_scores.*,
        inspections.inspected_date,
        inspections.last_inspected_date,
        coalesce(inspections.is_finding, false) as is_finding,
        power(
            0.5,
            (as_of.as_of_date - entity_scores.declared_date)
            / {{ var('entity_history_half_life_days') }}
        ) as declaration_weight,
        power(
            0.5,
            (as_of.as_of_date - inspections.inspected_date)
            / {{ var('entity_history_half_life_days') }}
        ) as inspection_weight
    from entity_scores
    cross join as_of
    left join inspections
        on entity_scores.declaration_id = inspections.declaration_id
),

entities as (
    select
        entity_id,
        min(declared_date) as first_seen_date,
        max(declared_date) as last_seen_date,
        greatest(max(declared_date), max(last_inspected_date)) as last_event_date,
        count(*) as declarations,
        sum(declared_value_eur) as declared_value_eur,
        count(inspected_date) as inspections,
        count(*) filter (where is_finding) as findings,
        count(*) filter (where signals_fired > 0) as signalled_declarations,
        sum(signals_fired) as signals_fired,
        coalesce(
            sum(inspection_weight * case when is_finding then 1 else 0 end), 0
        ) as decayed_findings,
        coalesce(sum(inspection_weight), 0) as decayed_inspections,
        sum(
            declaration_weight * case when signals_fired > 0 then 1 else 0 end
        ) as decayed_signalled_declarations,
        sum(declaration_weight) as decayed_declarations
    from events
    group by entity_id
),

latest_day as (
    select
        entity_scores.entity_id,
        count(*) as last_day_declarations,
        min(entity_scores.rank_in_jurisdiction_day) as last_day_best_rank,
        avg(entity_scores.rank_in_jurisdiction_day) as last_day_mean_rank,
        max(entity_scores.composite_score) as last_day_max_composite_score
    from entity_scores
    inner join entities
        on
            entity_scores.entity_id = entities.entity_id
            and entity_scores.declared_date = entities.last_seen_date
    group by entity_scores.entity_id
),

final as (
    select
        entities.entity_id as {{ entity_column }},
        entities.first_seen_date,
        entities.last_seen_date,
        entities.last_event_date,
        cast(entities.declarations as bigint) as declarations,
        cast(entities.declared_value_eur as decimal(18, 2)) as declared_value_eur,
        cast(entities.inspections as bigint) as inspections,
        cast(entities.findings as bigint) as findings,
        cast(entities.signalled_declarations as bigint) as signalled_declarations,
        cast(entities.signals_fired as bigint) as signals_fired,
        as_of.as_of_date as history_as_of_date,
        cast(entities.decayed_findings as double) as decayed_findings,
        cast(entities.decayed_inspections as double) as decayed_inspections,
        cast(entities.decayed_signalled_declarations as double)
            as decayed_signalled_declarations,
        cast(entities.decayed_declarations as double) as decayed_declarations,
        {{ entity_history_scores(
            'entities.decayed_findings', 'entities.decayed_inspections',
            'entities.decayed_signalled_declarations', 'entities.decayed_declarations'
        ) }},
        cast(latest_day.last_day_declarations as bigint) as last_day_declarations,
        cast(latest_day.last_day_best_rank as bigint) as last_day_best_rank,
        cast(latest_day.last_day_mean_rank as double) as last_day_mean_rank,
        cast(latest_day.last_day_max_composite_score as double)
            as last_day_max_composite_score
    from entities
    cross join as_of
    inner join latest_day
        on entities.entity_id = latest_day.entity_id
)

select * from final
{%- endmacro %}

{# The day the history scores are decayed to: the day after the latest declaration or
   inspection in the warehouse. #}
{% macro entity_history_as_of(entity_column) -%}
    greatest(
        (
            select max(dated.declared_date) from {{ ref('fct_risk_scores') }} as dated
            where dated.{{ entity_column }} is not null
        ),
        coalesce(
            (
                select max(inspected.inspected_date)
                from {{ ref('stg_customs_feeds__inspections') }} as inspected
            ),
            date '1970-01-01'
        )
    ) + 1
{%- endmacro %}

{#
    The three history score columns from the four decayed sums (SQL expressions): as select
    items (`expr as name`), or with assign=true as update assignments (`name = expr`).
#}
{% macro entity_history_scores(findings, inspections, signalled, declarations, assign=false) -%}
    {%- set from_inspections = '(' ~ findings ~ ') / ((' ~ inspections ~ ') + '
        ~ var('entity_history_prior_inspections') ~ ')' -%}
    {%- set from_signals = '(' ~ signalled ~ ') / ((' ~ declarations ~ ') + '
        ~ var('entity_history_prior_declarations') ~ ')' -%}
    {%- set scores = {
        'inspection_history_score': from_inspections,
        'signal_history_score': from_signals,
        'history_score': 'greatest(' ~ from_inspections ~ ', ' ~ from_signals ~ ')',
    } -%}
    {%- for name, expression in scores.items() %}
        {% if assign %}{{ name }} = {% endif %}cast({{ expression }} as double)
        {%- if not assign %} as {{ name }}{% endif %}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#
    post_hooks of the incremental entity dimension (none in a full refresh). First: delete the
    touched entities left without a declaration (delete+insert replaces only the entities it
    inserts); without the vars, when every entity is computed again, any such entity.
#}
{% macro delete_vanished_entities(entity_column) -%}
    {%- if is_incremental() -%}
        {%- set touched = 'last_event_date >= ' ~ rescored_from_date() -%}
        {%- set daily = var('rebuild_from', none) -%}
        {%- set touched_only = ('and stored.' ~ touched) if daily else '' -%}
        {#- A daily build looks up the scores of the touched entities only: the anti-join
            then hashes those, not the key of every declaration of the history. -#}
        {%- set scores_of_touched = (
            'where scores.' ~ entity_column ~ ' in (select touched.' ~ entity_column
            ~ ' from ' ~ this ~ ' as touched where touched.' ~ touched ~ ')'
        ) if daily else '' -%}
        delete from {{ this }} as stored
        where
            not exists (
                select 1
                from (
                    select scores.{{ entity_column }}
                    from {{ ref('fct_risk_scores') }} as scores {{ scores_of_touched }}
                ) as scores
                where scores.{{ entity_column }} = stored.{{ entity_column }}
            )
            {{ touched_only }}
    {%- endif -%}
{%- endmacro %}

{#
    Then decay every row stored as of an earlier day to today's history day: its decayed sums
    scale by 0.5 ^ (days / half-life), and its scores follow from them.
#}
{% macro decay_entity_history(entity_column) -%}
    {%- if is_incremental() and var('rebuild_from', none) -%}
        {%- set scaled = [] -%}
        {%- for column in [
            'decayed_findings', 'decayed_inspections',
            'decayed_signalled_declarations', 'decayed_declarations',
        ] -%}
            {%- do scaled.append('stored.' ~ column ~ ' * decay.factor') -%}
        {%- endfor -%}
        update {{ this }} as stored
        set
            decayed_findings = {{ scaled[0] }},
            decayed_inspections = {{ scaled[1] }},
            decayed_signalled_declarations = {{ scaled[2] }},
            decayed_declarations = {{ scaled[3] }},
            {{ entity_history_scores(
                scaled[0], scaled[1], scaled[2], scaled[3], assign=true
            ) }},
            history_as_of_date = decay.as_of_date
        from (
            select
                rows_as_of.history_as_of_date,
                today.as_of_date,
                power(
                    0.5,
                    (today.as_of_date - rows_as_of.history_as_of_date)
                    / {{ var('entity_history_half_life_days') }}
                ) as factor
            from (select distinct history_as_of_date from {{ this }}) as rows_as_of
            cross join (
                select {{ entity_history_as_of(entity_column) }} as as_of_date
            ) as today
            where rows_as_of.history_as_of_date != today.as_of_date
        ) as decay
        where stored.history_as_of_date = decay.history_as_of_date
    {%- endif -%}
{%- endmacro %}
