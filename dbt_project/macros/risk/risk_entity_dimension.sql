{#
    One row per entity (seller, declarant or importer: `entity_column` of fct_risk_scores) with
    its risk history, for dim_seller, dim_declarant and dim_importer. The history score is
    computed as in int_declarations_entity_history_scored, as of the day after the latest
    declaration or inspection in the warehouse (every event counts, decayed from that day).
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
        bool_or(result != 'no_irregularity') as is_finding
    from {{ ref('stg_customs_feeds__inspections') }}
    group by declaration_id
),

as_of as (
    select
        greatest(
            (select max(declared_date) from scores),
            coalesce((select max(inspected_date) from inspections), date '1970-01-01')
        ) + 1 as as_of_date
),

events as (
    select
        scores.*,
        inspections.inspected_date,
        coalesce(inspections.is_finding, false) as is_finding,
        power(
            0.5,
            (as_of.as_of_date - scores.declared_date)
            / {{ var('entity_history_half_life_days') }}
        ) as declaration_weight,
        power(
            0.5,
            (as_of.as_of_date - inspections.inspected_date)
            / {{ var('entity_history_half_life_days') }}
        ) as inspection_weight
    from scores
    cross join as_of
    left join inspections
        on scores.declaration_id = inspections.declaration_id
),

entities as (
    select
        entity_id,
        min(declared_date) as first_seen_date,
        max(declared_date) as last_seen_date,
        count(*) as declarations,
        sum(declared_value_eur) as declared_value_eur,
        count(inspected_date) as inspections,
        count(*) filter (where is_finding) as findings,
        count(*) filter (where signals_fired > 0) as signalled_declarations,
        sum(signals_fired) as signals_fired,
        coalesce(sum(inspection_weight * case when is_finding then 1 else 0 end), 0)
        / (
            coalesce(sum(inspection_weight), 0)
            + {{ var('entity_history_prior_inspections') }}
        ) as inspection_history_score,
        sum(declaration_weight * case when signals_fired > 0 then 1 else 0 end)
        / (
            sum(declaration_weight) + {{ var('entity_history_prior_declarations') }}
        ) as signal_history_score
    from events
    group by entity_id
),

latest_day as (
    select
        scores.entity_id,
        count(*) as last_day_declarations,
        min(scores.rank_in_jurisdiction_day) as last_day_best_rank,
        avg(scores.rank_in_jurisdiction_day) as last_day_mean_rank,
        max(scores.composite_score) as last_day_max_composite_score
    from scores
    inner join entities
        on
            scores.entity_id = entities.entity_id
            and scores.declared_date = entities.last_seen_date
    group by scores.entity_id
),

final as (
    select
        entities.entity_id as {{ entity_column }},
        entities.first_seen_date,
        entities.last_seen_date,
        cast(entities.declarations as bigint) as declarations,
        cast(entities.declared_value_eur as decimal(18, 2)) as declared_value_eur,
        cast(entities.inspections as bigint) as inspections,
        cast(entities.findings as bigint) as findings,
        cast(entities.signalled_declarations as bigint) as signalled_declarations,
        cast(entities.signals_fired as bigint) as signals_fired,
        cast(entities.inspection_history_score as double) as inspection_history_score,
        cast(entities.signal_history_score as double) as signal_history_score,
        cast(greatest(
            entities.inspection_history_score, entities.signal_history_score
        ) as double) as history_score,
        cast(latest_day.last_day_declarations as bigint) as last_day_declarations,
        cast(latest_day.last_day_best_rank as bigint) as last_day_best_rank,
        cast(latest_day.last_day_mean_rank as double) as last_day_mean_rank,
        cast(latest_day.last_day_max_composite_score as double)
            as last_day_max_composite_score
    from entities
    inner join latest_day
        on entities.entity_id = latest_day.entity_id
)

select * from final
{%- endmacro %}
