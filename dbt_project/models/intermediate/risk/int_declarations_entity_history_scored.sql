{#
    Entity history: for each declaration, the past of its seller, declarant and importer on
    strictly earlier days, each event weighted 0.5 ^ (age in days /
    var('entity_history_half_life_days')), from their events per day
    (int_entity_days_accumulated, which carries the sums):
    - inspections (inspected before the declaration's day): decayed findings over decayed
      inspections plus var('entity_history_prior_inspections') clean ones;
    - earlier signals: decayed declarations a rule signal fired on (value gap, reference price,
      misclassification, split consignment) over decayed declarations plus
      var('entity_history_prior_declarations') clean ones. The warehouse-lot signal is left out:
      it rests on resales after the lot's declaration.
    An entity scores the higher of the two; the declaration takes its riskiest entity.

    Incremental on DuckDB, as fct_risk_scores (macros/incremental_days.sql): a build scores
    again the declarations from the first rescored day on; earlier ones rest on earlier days.
#}
-- depends_on: {{ ref('int_declarations_rescored_from') }}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key='declaration_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rescored_declarations(with_lots=false) }}"
) }}
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
        importer_id,
        data_interval
    from {{ ref('fct_customs_valuation') }}
    {% if is_incremental() %}
        where declared_date >= {{ rescored_from_date() }}
    {% endif %}
),

entity_days as (
    select * from {{ ref('int_entity_days_accumulated') }}
    where
        declarations > 0
        {% if is_incremental() %}
            and event_date >= {{ rescored_from_date() }}
        {% endif %}
),

declarations as (
    select
        declaration_id,
        min(declared_date) as declared_date,
        min(seller_id) as seller_id,
        min(declarant_id) as declarant_id,
        min(importer_id) as importer_id,
        max(data_interval) as data_interval
    from declaration_items
    group by declaration_id
),

-- Scores are rounded to 12 decimals: the rescaled sums differ from the direct ones in the
-- last bits.
entity_scores as (
    select
        entity_type,
        entity_id,
        event_date as declared_date,
        coalesce(past_findings, 0) as past_findings,
        coalesce(past_signalled, 0) as past_signalled,
        coalesce(
            round(
                grown_findings / growth / (
                    grown_inspections / growth
                    + {{ var('entity_history_prior_inspections') }}
                ),
                12
            ),
            0
        ) as inspection_score,
        coalesce(
            round(
                grown_signalled / growth / (
                    grown_declarations / growth
                    + {{ var('entity_history_prior_declarations') }}
                ),
                12
            ),
            0
        ) as signal_score
    from entity_days
),

-- Each declaration with the scores of its three entities (one join per entity type: a
-- declaration has at most one of each).
declaration_entity_scores as (
    select
        declarations.declaration_id,
        declarations.declared_date,
        declarations.data_interval,
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
        coalesce(riskiest_score, 0) as entity_history_score,
        declared_date,
        data_interval
    from riskiest_values
)

select * from final
