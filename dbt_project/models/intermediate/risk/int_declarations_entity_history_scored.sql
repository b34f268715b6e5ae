{#
    Entity history: for each declaration, the past of its seller, declarant and importer on
    strictly earlier days, each event weighted 0.5 ^ (age in days /
    var('entity_history_half_life_days')):
    - inspections (inspected before the declaration's day): decayed findings over decayed
      inspections plus var('entity_history_prior_inspections') clean ones;
    - earlier signals: decayed declarations a rule signal fired on (value gap, reference price,
      misclassification, split consignment) over decayed declarations plus
      var('entity_history_prior_declarations') clean ones. The warehouse-lot signal is left out:
      it rests on resales after the lot's declaration.
    An entity scores the higher of the two; the declaration takes its riskiest entity. Events
    are summed per entity and day first, so the join is per entity-day, not per declaration.
#}
with

declaration_items as (
    select
        declaration_id,
        declared_date,
        seller_id,
        declarant_id,
        importer_id
    from {{ ref('fct_customs_valuation') }}
),

inspections as (
    select distinct
        declaration_id,
        inspected_date,
        result
    from {{ ref('stg_customs_feeds__inspections') }}
),

item_signals as (
    select
        declaration_id,
        is_value_gap_flagged as is_signalled
    from {{ ref('int_declaration_items_value_gap_scored') }}
    union all
    select
        declaration_id,
        is_below_reference
    from {{ ref('int_declaration_items_unit_values_referenced') }}
    union all
    select
        declaration_id,
        is_misclassified
    from {{ ref('int_declaration_items_misclassification_flagged') }}
    union all
    select
        declaration_id,
        is_split_consignment
    from {{ ref('int_consignments_split_flagged') }}
),

declaration_signals as (
    select
        declaration_id,
        bool_or(is_signalled) as is_signalled
    from item_signals
    group by declaration_id
),

declarations as (
    select
        declaration_id,
        min(declared_date) as declared_date,
        min(seller_id) as seller_id,
        min(declarant_id) as declarant_id,
        min(importer_id) as importer_id
    from declaration_items
    group by declaration_id
),

entities_of_declarations as (
    select
        declaration_id,
        declared_date,
        entity_type,
        entity_id
    from declarations
    unpivot (
        entity_id for entity_type in (seller_id, declarant_id, importer_id)
    )
),

signal_days as (
    select
        entities.entity_type,
        entities.entity_id,
        entities.declared_date as event_date,
        count(*) as declarations,
        count(*) filter (where signals.is_signalled) as signalled
    from entities_of_declarations as entities
    left join declaration_signals as signals
        on entities.declaration_id = signals.declaration_id
    group by all
),

inspection_days as (
    select
        entities.entity_type,
        entities.entity_id,
        inspections.inspected_date as event_date,
        count(*) as inspections,
        count(*) filter (
            where inspections.result != 'no_irregularity'
        ) as findings
    from inspections
    inner join entities_of_declarations as entities
        on inspections.declaration_id = entities.declaration_id
    group by all
),

entity_days as (
    select distinct
        entity_type,
        entity_id,
        declared_date
    from entities_of_declarations
),

inspection_history as (
    select
        entity_days.entity_type,
        entity_days.entity_id,
        entity_days.declared_date,
        sum(past.findings) as past_findings,
        sum(
            power(
                0.5,
                (entity_days.declared_date - past.event_date)
                / {{ var('entity_history_half_life_days') }}
            ) * past.findings
        ) as decayed_findings,
        sum(
            power(
                0.5,
                (entity_days.declared_date - past.event_date)
                / {{ var('entity_history_half_life_days') }}
            ) * past.inspections
        ) as decayed_inspections
    from entity_days
    inner join inspection_days as past
        on
            entity_days.entity_type = past.entity_type
            and entity_days.entity_id = past.entity_id
            and entity_days.declared_date > past.event_date
    group by all
),

signal_history as (
    select
        entity_days.entity_type,
        entity_days.entity_id,
        entity_days.declared_date,
        sum(past.signalled) as past_signalled,
        sum(
            power(
                0.5,
                (entity_days.declared_date - past.event_date)
                / {{ var('entity_history_half_life_days') }}
            ) * past.signalled
        ) as decayed_signalled,
        sum(
            power(
                0.5,
                (entity_days.declared_date - past.event_date)
                / {{ var('entity_history_half_life_days') }}
            ) * past.declarations
        ) as decayed_declarations
    from entity_days
    inner join signal_days as past
        on
            entity_days.entity_type = past.entity_type
            and entity_days.entity_id = past.entity_id
            and entity_days.declared_date > past.event_date
    group by all
),

entity_scores as (
    select
        entity_days.entity_type,
        entity_days.entity_id,
        entity_days.declared_date,
        coalesce(inspection_history.past_findings, 0) as past_findings,
        coalesce(signal_history.past_signalled, 0) as past_signalled,
        coalesce(
            inspection_history.decayed_findings / (
                inspection_history.decayed_inspections
                + {{ var('entity_history_prior_inspections') }}
            ),
            0
        ) as inspection_score,
        coalesce(
            signal_history.decayed_signalled / (
                signal_history.decayed_declarations
                + {{ var('entity_history_prior_declarations') }}
            ),
            0
        ) as signal_score
    from entity_days
    left join inspection_history
        on
            entity_days.entity_type = inspection_history.entity_type
            and entity_days.entity_id = inspection_history.entity_id
            and entity_days.declared_date = inspection_history.declared_date
    left join signal_history
        on
            entity_days.entity_type = signal_history.entity_type
            and entity_days.entity_id = signal_history.entity_id
            and entity_days.declared_date = signal_history.declared_date
),

declaration_entity_scores as (
    select
        entities.declaration_id,
        replace(entities.entity_type, '_id', '') as entity_type,
        scores.past_findings,
        scores.past_signalled,
        scores.inspection_score,
        scores.signal_score,
        greatest(scores.inspection_score, scores.signal_score) as entity_score
    from entities_of_declarations as entities
    inner join entity_scores as scores
        on
            entities.entity_type = scores.entity_type
            and entities.entity_id = scores.entity_id
            and entities.declared_date = scores.declared_date
),

final as (
    select
        declaration_id,
        coalesce(
            arg_max(past_findings, entity_score), 0
        ) as entity_past_findings,
        coalesce(
            arg_max(past_signalled, entity_score), 0
        ) as entity_past_signalled,
        case
            when max(entity_score) > 0 then arg_max(entity_type, entity_score)
        end as riskiest_entity_type,
        case
            when max(entity_score) > 0
                then arg_max(
                        case
                            when inspection_score >= signal_score then 'inspections'
                            else 'signals'
                        end,
                        entity_score
                    )
        end as entity_history_source,
        coalesce(max(inspection_score), 0) as entity_inspection_score,
        coalesce(max(signal_score), 0) as entity_signal_score,
        coalesce(max(entity_score), 0) as entity_history_score
    from declaration_entity_scores
    group by declaration_id
)

select * from final
