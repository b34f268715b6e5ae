{#
    Entity history: for each declaration, the earlier inspections (inspected before the day it
    was declared) of its seller, declarant and importer, each weighted 0.5 ^ (age in days /
    var('entity_history_half_life_days')). The score of an entity is its decayed findings over
    its decayed inspections plus var('entity_history_prior_inspections') clean ones (a small
    history cannot score high); the declaration takes the highest of its three entities.
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

inspected_entities as (
    select
        entities.entity_type,
        entities.entity_id,
        inspections.inspected_date,
        inspections.result != 'no_irregularity' as is_finding
    from inspections
    inner join entities_of_declarations as entities
        on inspections.declaration_id = entities.declaration_id
),

weighted_history as (
    select
        entities.declaration_id,
        entities.entity_type,
        sum(
            case when past.is_finding then 1 else 0 end
        ) as past_findings,
        sum(
            power(
                0.5,
                (entities.declared_date - past.inspected_date)
                / {{ var('entity_history_half_life_days') }}
            ) * case when past.is_finding then 1 else 0 end
        ) as decayed_findings,
        sum(
            power(
                0.5,
                (entities.declared_date - past.inspected_date)
                / {{ var('entity_history_half_life_days') }}
            )
        ) as decayed_inspections
    from entities_of_declarations as entities
    inner join inspected_entities as past
        on
            entities.entity_type = past.entity_type
            and entities.entity_id = past.entity_id
            and entities.declared_date > past.inspected_date
    group by entities.declaration_id, entities.entity_type
),

entity_scores as (
    select
        declaration_id,
        entity_type,
        past_findings,
        decayed_findings / (
            decayed_inspections + {{ var('entity_history_prior_inspections') }}
        ) as entity_score
    from weighted_history
),

final as (
    select
        declarations.declaration_id,
        coalesce(
            arg_max(entity_scores.past_findings, entity_scores.entity_score), 0
        ) as entity_past_findings,
        arg_max(
            replace(entity_scores.entity_type, '_id', ''),
            entity_scores.entity_score
        ) as riskiest_entity_type,
        coalesce(max(entity_scores.entity_score), 0) as entity_history_score
    from declarations
    left join entity_scores
        on declarations.declaration_id = entity_scores.declaration_id
    group by declarations.declaration_id
)

select * from final
