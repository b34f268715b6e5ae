{#
    One row per declaration: the rule signals, a composite score (weighted mean of the signal
    scores, weights var('risk_weight_<signal>')), the rank within jurisdiction and day, one sentence per
    firing signal, and the revenue at stake (EUR).

    Incremental on DuckDB (macros/incremental_days.sql, docs/incremental.md): a build scores
    again the declarations of the days it recomputed and the later days (their entity history
    and split consignments rest on earlier days), and the warehouse entries still revalued in
    the sales window; a post_hook then ranks again the queues of the days holding one of them.
    Only the rescored declarations' rows of the fact and of the signal models are read: each
    signal model is filtered to them before it is grouped by declaration (grouping every
    declaration of the history and joining the few rescored ones cost most of a daily build's
    time in this model; docs/benchmarks.md, ninth round). (The risk models build on DuckDB
    only for now: selectors.yml.)
#}
-- depends_on: {{ ref('int_declarations_rescored_from') }}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key='declaration_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rescored_declarations() }}",
    post_hook="{{ rerank_rescored_days() }}"
) }}
{#- In a daily build, the rows of the rescored declarations only. -#}
{%- set rescored_only = (
    'where declaration_id in (select rescored.declaration_id'
    ~ ' from rescored_declarations as rescored)'
) if is_incremental() else '' -%}
{%- set signals = [
    'value_gap', 'reference_price', 'misclassification',
    'split_consignment', 'warehouse_lot', 'entity_history',
] -%}

with

{% if is_incremental() %}
    rescored_declarations as (
        select distinct rescored.declaration_id
        from {{ ref('fct_customs_valuation') }} as rescored
        where {{ in_rescored_declarations('rescored.') }}
    ),
{% endif %}

valued_items as (
    select
        declaration_id,
        jurisdiction,
        declared_date,
        procedure,
        seller_id,
        declarant_id,
        importer_id,
        declared_value_jc / fx_rate_eur as declared_value_eur,
        case
            when procedure = 'WH' then revenue_at_risk_jc / fx_rate_eur else 0
        end as lot_revenue_eur,
        data_interval
    from {{ ref('fct_customs_valuation') }}
    {{ rescored_only }}
),

value_gaps as (
    select * from {{ ref('int_declaration_items_value_gap_scored') }}
    {{ rescored_only }}
),

reference_prices as (
    select * from {{ ref('int_declaration_items_unit_values_referenced') }}
    {{ rescored_only }}
),

misclassifications as (
    select * from {{ ref('int_declaration_items_misclassification_flagged') }}
    {{ rescored_only }}
),

splits as (
    select * from {{ ref('int_consignments_split_flagged') }}
    {{ rescored_only }}
),

lots as (
    select * from {{ ref('int_declarations_warehouse_lot_flagged') }}
    {{ rescored_only }}
),

entity_histories as (
    select * from {{ ref('int_declarations_entity_history_scored') }}
    {{ rescored_only }}
),

declarations as (
    select
        declaration_id,
        min(jurisdiction) as jurisdiction,
        min(declared_date) as declared_date,
        min(procedure) as procedure,  -- noqa: RF04
        min(seller_id) as seller_id,
        min(declarant_id) as declarant_id,
        min(importer_id) as importer_id,
        count(*) as item_count,
        sum(declared_value_eur) as declared_value_eur,
        sum(lot_revenue_eur) as lot_revenue_eur,
        max(data_interval) as data_interval
    from valued_items
    group by declaration_id
),

value_gaps_by_declaration as (
    select
        declaration_id,
        min(declared_to_transaction_ratio) as min_declared_to_transaction_ratio,
        bool_or(is_value_gap_flagged) as is_value_gap_flagged,
        max(value_gap_score) as value_gap_score,
        sum(value_gap_revenue_eur) as value_gap_revenue_eur
    from value_gaps
    group by declaration_id
),

references_by_declaration as (
    select
        declaration_id,
        min(unit_value_ratio) as min_unit_value_ratio,
        min(reference_observations) as min_reference_observations,
        bool_or(is_below_reference) as is_below_reference,
        max(reference_score) as reference_score,
        sum(reference_revenue_eur) as reference_revenue_eur
    from reference_prices
    group by declaration_id
),

misclassifications_by_declaration as (
    select
        declaration_id,
        max(duty_rate_gap_pct) as max_duty_rate_gap_pct,
        bool_or(is_listing_mismatch) as is_listing_mismatch,
        max(description_duty_gap_pct) filter (
            where is_description_mismatch
        ) as max_description_duty_gap_pct,
        min(description_hs_chapter) filter (
            where is_description_mismatch
        ) as description_hs_chapter,
        bool_or(is_misclassified) as is_misclassified,
        sum(misclassification_revenue_eur) as misclassification_revenue_eur
    from misclassifications
    group by declaration_id
),

signals as (
    select
        declarations.*,
        value_gaps.min_declared_to_transaction_ratio,
        coalesce(value_gaps.is_value_gap_flagged, false)
            as is_value_gap_flagged,
        coalesce(value_gaps.value_gap_score, 0) as value_gap_score,
        refs.min_unit_value_ratio,
        coalesce(refs.min_reference_observations, 0)
            as min_reference_observations,
        coalesce(refs.is_below_reference, false) as is_below_reference,
        coalesce(refs.reference_score, 0) as reference_score,
        miscl.max_duty_rate_gap_pct,
        coalesce(miscl.is_misclassified, false) as is_misclassified,
        coalesce(miscl.is_listing_mismatch, false) as is_listing_mismatch,
        miscl.description_hs_chapter,
        miscl.max_description_duty_gap_pct,
        coalesce(splits.split_sibling_count, 0) as split_sibling_count,
        splits.split_group_value_eur,
        coalesce(splits.is_split_consignment, false) as is_split_consignment,
        lots.declared_to_deductive_ratio,
        coalesce(lots.is_lot_undervalued, false) as is_lot_undervalued,
        coalesce(lots.lot_score, 0) as lot_score,
        coalesce(history.entity_past_findings, 0) as entity_past_findings,
        coalesce(history.entity_past_signalled, 0) as entity_past_signalled,
        history.riskiest_entity_type,
        history.entity_history_source,
        coalesce(history.entity_history_score, 0) as entity_history_score,
        greatest(
            coalesce(value_gaps.value_gap_revenue_eur, 0),
            coalesce(refs.reference_revenue_eur, 0),
            coalesce(miscl.misclassification_revenue_eur, 0),
            case
                when splits.is_split_consignment
                    then coalesce(splits.split_revenue_eur, 0)
                else 0
            end,
            declarations.lot_revenue_eur
        ) as revenue_at_stake_eur
    from declarations
    left join value_gaps_by_declaration as value_gaps
        on declarations.declaration_id = value_gaps.declaration_id
    left join references_by_declaration as refs
        on declarations.declaration_id = refs.declaration_id
    left join misclassifications_by_declaration as miscl
        on declarations.declaration_id = miscl.declaration_id
    left join splits
        on declarations.declaration_id = splits.declaration_id
    left join lots
        on declarations.declaration_id = lots.declaration_id
    left join entity_histories as history
        on declarations.declaration_id = history.declaration_id
),

scored as (
    select
        *,
        (
            {{ var('risk_weight_value_gap') }} * value_gap_score
            + {{ var('risk_weight_reference_price') }} * reference_score
            + {{ var('risk_weight_misclassification') }}
            * case when is_misclassified then 1 else 0 end
            + {{ var('risk_weight_split_consignment') }}
            * case when is_split_consignment then 1 else 0 end
            + {{ var('risk_weight_warehouse_lot') }} * lot_score
            + {{ var('risk_weight_entity_history') }} * least(1, entity_history_score)
        ) / (
            {%- for signal in signals %}
                {{ var('risk_weight_' ~ signal) }}{% if not loop.last %} +{% endif %}
            {%- endfor %}
        ) as composite_score
    from signals
),

final as (
    select
        declaration_id,
        jurisdiction,
        declared_date,
        procedure,
        {{ inspection_queue('procedure') }} as inspection_queue,
        seller_id,
        declarant_id,
        importer_id,
        cast(item_count as integer) as item_count,
        cast(declared_value_eur as decimal(18, 2)) as declared_value_eur,
        cast(min_declared_to_transaction_ratio as decimal(18, 4))
            as min_declared_to_transaction_ratio,
        is_value_gap_flagged,
        cast(value_gap_score as double) as value_gap_score,
        cast(min_unit_value_ratio as decimal(18, 4)) as min_unit_value_ratio,
        cast(min_reference_observations as bigint)
            as min_reference_observations,
        is_below_reference,
        cast(reference_score as double) as reference_score,
        cast(max_duty_rate_gap_pct as decimal(6, 2)) as max_duty_rate_gap_pct,
        is_misclassified,
        cast(split_sibling_count as bigint) as split_sibling_count,
        cast(split_group_value_eur as decimal(18, 2)) as split_group_value_eur,
        is_split_consignment,
        cast(declared_to_deductive_ratio as decimal(18, 4))
            as declared_to_deductive_ratio,
        is_lot_undervalued,
        cast(lot_score as double) as lot_score,
        cast(entity_past_findings as bigint) as entity_past_findings,
        cast(entity_past_signalled as bigint) as entity_past_signalled,
        cast(entity_history_score as double) as entity_history_score,
        entity_history_score >= {{ var('entity_history_flag_score') }}
            as has_entity_history,
        cast(composite_score as double) as composite_score,
        cast(row_number() over (
            partition by jurisdiction, declared_date, {{ inspection_queue('procedure') }}
            order by {{ risk_rank_order(
                revenue='cast(revenue_at_stake_eur as decimal(18, 2))'
            ) }}
        ) as bigint) as rank_in_jurisdiction_day,
        concat_ws(
            ' ',
            case when is_value_gap_flagged then
                    'Declared at ' || cast(
                        round(100 * min_declared_to_transaction_ratio) as integer
                    ) || '% of the price paid on the marketplace.'
            end,
            case when is_below_reference then
                    'Unit value at ' || cast(
                        round(100 * min_unit_value_ratio) as integer
                    ) || '% of the median of ' || min_reference_observations
                    || ' earlier declarations of the same goods and origin.'
            end,
            case when is_listing_mismatch then
                    'Declared under another chapter than the marketplace listing, '
                    || max_duty_rate_gap_pct || ' duty points lower.'
            end,
            case when description_hs_chapter is not null then
                    'The description points to chapter ' || description_hs_chapter
                    || ', ' || max_description_duty_gap_pct
                    || ' duty points above the declared one.'
            end,
            case when is_split_consignment then
                    'One of ' || (split_sibling_count + 1)
                    || ' parcels from the same seller to the same importer,'
                    || ' each under the threshold, together EUR '
                    || split_group_value_eur || '.'
            end,
            case when is_lot_undervalued then
                    'Warehouse lot declared at ' || cast(
                        round(100 * declared_to_deductive_ratio) as integer
                    ) || '% of the deductive value from its resales.'
            end,
            case
                when
                    entity_history_score
                    >= {{ var('entity_history_flag_score') }}
                    then
                        'The ' || riskiest_entity_type || ' had '
                        || case
                            when entity_history_source = 'signals'
                                then entity_past_signalled
                                    || ' earlier declarations flagged by these signals.'
                            else entity_past_findings
                                || ' irregularities found at earlier inspections.'
                        end
            end
        ) as reasons,
        cast(revenue_at_stake_eur as decimal(18, 2)) as revenue_at_stake_eur,
        cast(composite_score * revenue_at_stake_eur as decimal(18, 2))
            as expected_revenue_eur,
        data_interval
    from scored
)

select * from final
