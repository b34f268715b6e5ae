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

-- One row per entity and day with its events; the entity's declaration days are the rows
-- with declarations.
entity_timeline as (
    select
        entity_type,
        entity_id,
        event_date,
        sum(inspections) as inspections,
        sum(findings) as findings,
        sum(declarations) as declarations,
        sum(signalled) as signalled
    from (
        select
            entity_type,
            entity_id,
            event_date,
            inspections,
            findings,
            0 as declarations,
            0 as signalled
        from inspection_days
        union all
        select
            entity_type,
            entity_id,
            event_date,
            0 as inspections,
            0 as findings,
            declarations,
            signalled
        from signal_days
    ) as events
    group by entity_type, entity_id, event_date
),

-- Decayed sums over strictly earlier days as running sums over the entity's earlier rows (a
-- join of every day with every earlier day grew with the square of the history). With a the
-- entity's first day, 0.5 ^ ((d - e) / h) = 0.5 ^ ((d - a) / h) * 2 ^ ((e - a) / h): the
-- running sums carry 2 ^ ((e - a) / h), which stays finite for histories shorter than about
-- 1,000 half-lives.
entity_timeline_weighted as (
    select
        *,
        power(
            2.0,
            {{ dbt.datediff(
                'min(event_date) over (partition by entity_type, entity_id)',
                'event_date',
                'day'
            ) }} / {{ var('entity_history_half_life_days') }}
        ) as growth
    from entity_timeline
),

running_history as (
    select
        entity_type,
        entity_id,
        event_date as declared_date,
        declarations,
        1.0 / growth as decay,
        sum(findings) over earlier_days as past_findings,
        sum(findings * growth) over earlier_days as grown_findings,
        sum(inspections * growth) over earlier_days as grown_inspections,
        sum(signalled) over earlier_days as past_signalled,
        sum(signalled * growth) over earlier_days as grown_signalled,
        sum(declarations * growth) over earlier_days as grown_declarations
    from entity_timeline_weighted
    window earlier_days as (
        partition by entity_type, entity_id
        order by event_date
        rows between unbounded preceding and 1 preceding
    )
),

-- Scores are rounded to 12 decimals: the rescaled sums differ from the direct ones in the
-- last bits.
entity_scores as (
    select
        entity_type,
        entity_id,
        declared_date,
        coalesce(past_findings, 0) as past_findings,
        coalesce(past_signalled, 0) as past_signalled,
        coalesce(
            round(
                decay * grown_findings / (
                    decay * grown_inspections
                    + {{ var('entity_history_prior_inspections') }}
                ),
                12
            ),
            0
        ) as inspection_score,
        coalesce(
            round(
                decay * grown_signalled / (
                    decay * grown_declarations
                    + {{ var('entity_history_prior_declarations') }}
                ),
                12
            ),
            0
        ) as signal_score
    from running_history
    where declarations > 0
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

-- The riskiest entity of each declaration; on a tie the first entity type in alphabetical
-- order (declarant, importer, seller), so that a rebuild picks the same one.
ranked_entities as (
    select
        *,
        row_number() over (
            partition by declaration_id
            order by entity_score desc, entity_type asc
        ) as entity_rank
    from declaration_entity_scores
),

final as (
    select
        declaration_id,
        coalesce(
            max(case when entity_rank = 1 then past_findings end), 0
        ) as entity_past_findings,
        coalesce(
            max(case when entity_rank = 1 then past_signalled end), 0
        ) as entity_past_signalled,
        max(
            case when entity_rank = 1 and entity_score > 0 then entity_type end
        ) as riskiest_entity_type,
        max(
            case
                when entity_rank = 1 and entity_score > 0
                    then
                        case
                            when inspection_score >= signal_score then 'inspections'
                            else 'signals'
                        end
            end
        ) as entity_history_source,
        coalesce(max(inspection_score), 0) as entity_inspection_score,
        coalesce(max(signal_score), 0) as entity_signal_score,
        coalesce(max(entity_score), 0) as entity_history_score
    from ranked_entities
    group by declaration_id
)

select * from final
