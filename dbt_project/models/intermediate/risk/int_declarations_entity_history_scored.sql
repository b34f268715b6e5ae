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
    are summed per entity and day first, so the sums run per entity-day, not per declaration.
#}
{%- set entity_types = ['declarant', 'importer', 'seller'] -%}
{%- set entity_columns = [
    'past_findings', 'past_signalled', 'inspection_score', 'signal_score', 'score',
] -%}
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

-- The declarations a rule signal fired on (a few percent of them: only those rows are read
-- on, not every item's flag).
signalled_declarations as (
    select declaration_id
    from {{ ref('int_declaration_items_value_gap_scored') }}
    where is_value_gap_flagged
    union
    select declaration_id
    from {{ ref('int_declaration_items_unit_values_referenced') }}
    where is_below_reference
    union
    select declaration_id
    from {{ ref('int_declaration_items_misclassification_flagged') }}
    where is_misclassified
    union
    select declaration_id
    from {{ ref('int_consignments_split_flagged') }}
    where is_split_consignment
),

declarations_of_items as (
    select
        declaration_id,
        min(declared_date) as declared_date,
        min(seller_id) as seller_id,
        min(declarant_id) as declarant_id,
        min(importer_id) as importer_id
    from declaration_items
    group by declaration_id
),

declarations as (
    select
        declarations_of_items.*,
        signalled.declaration_id is not null as is_signalled
    from declarations_of_items
    left join signalled_declarations as signalled
        on declarations_of_items.declaration_id = signalled.declaration_id
),

entities_of_declarations as (
    select
        declaration_id,
        declared_date,
        is_signalled,
        entity_type,
        entity_id
    from declarations
    unpivot (
        entity_id for entity_type in (seller_id, declarant_id, importer_id)
    )
),

signal_days as (
    select
        entity_type,
        entity_id,
        declared_date as event_date,
        count(*) as declarations,
        count(*) filter (where is_signalled) as signalled
    from entities_of_declarations
    group by entity_type, entity_id, declared_date
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
-- first day of the whole timeline, 0.5 ^ ((d - e) / h) = 0.5 ^ ((d - a) / h) * 2 ^ ((e - a) / h):
-- the running sums carry 2 ^ ((e - a) / h), which stays finite for histories shorter than
-- about 1,000 half-lives (80 years at the default 30 days).
timeline_start as (
    select min(event_date) as first_event_date
    from entity_timeline
),

entity_timeline_weighted as (
    select
        entity_timeline.*,
        power(
            2.0,
            {{ dbt.datediff(
                'timeline_start.first_event_date',
                'entity_timeline.event_date',
                'day'
            ) }} / {{ var('entity_history_half_life_days') }}
        ) as growth
    from entity_timeline
    cross join timeline_start
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

-- Each declaration with the scores of its three entities (one join per entity type: a
-- declaration has at most one of each).
declaration_entity_scores as (
    select
        declarations.declaration_id,
    {%- for entity in entity_types %}
        {{ entity }}_scores.past_findings as {{ entity }}_past_findings,
        {{ entity }}_scores.past_signalled as {{ entity }}_past_signalled,
        {{ entity }}_scores.inspection_score as {{ entity }}_inspection_score,
        {{ entity }}_scores.signal_score as {{ entity }}_signal_score,
        greatest(
            {{ entity }}_scores.inspection_score, {{ entity }}_scores.signal_score
        ) as {{ entity }}_score{{ ',' if not loop.last }}
    {%- endfor %}
    from declarations
    {%- for entity in entity_types %}
        left join entity_scores as {{ entity }}_scores
            on
                {{ entity }}_scores.entity_type = '{{ entity }}_id'
                and declarations.{{ entity }}_id = {{ entity }}_scores.entity_id
                and declarations.declared_date = {{ entity }}_scores.declared_date
    {%- endfor %}
    where
        declarations.declarant_id is not null
        or declarations.importer_id is not null
        or declarations.seller_id is not null
),

-- The riskiest entity of each declaration; on a tie the first entity type in alphabetical
-- order (declarant, importer, seller), so that a rebuild picks the same one. Scores are >= 0.
riskiest_entities as (
    select
        *,
        case
            when
                declarant_score >= coalesce(importer_score, -1)
                and declarant_score >= coalesce(seller_score, -1)
                then 'declarant'
            when importer_score >= coalesce(seller_score, -1) then 'importer'
            else 'seller'
        end as riskiest_type
    from declaration_entity_scores
),

riskiest_values as (
    select
        *,
    {%- for column in entity_columns %}
        case riskiest_type
            {%- for entity in entity_types %}
                when '{{ entity }}' then {{ entity }}_{{ column }}
            {%- endfor %}
        end as riskiest_{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
    from riskiest_entities
),

final as (
    select
        declaration_id,
        coalesce(riskiest_past_findings, 0) as entity_past_findings,
        coalesce(riskiest_past_signalled, 0) as entity_past_signalled,
        case when riskiest_score > 0 then riskiest_type end as riskiest_entity_type,
        case
            when riskiest_score > 0
                then
                    case
                        when riskiest_inspection_score >= riskiest_signal_score then 'inspections'
                        else 'signals'
                    end
        end as entity_history_source,
        coalesce(
            greatest(
                declarant_inspection_score, importer_inspection_score, seller_inspection_score
            ),
            0
        ) as entity_inspection_score,
        coalesce(
            greatest(declarant_signal_score, importer_signal_score, seller_signal_score), 0
        ) as entity_signal_score,
        coalesce(riskiest_score, 0) as entity_history_score
    from riskiest_values
)

select * from final
