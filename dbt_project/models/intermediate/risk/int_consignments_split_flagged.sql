{#
    Split consignments: parcels of one seller to one importer in one jurisdiction declared
    within the var('split_consignment_window_days') days before a declaration or on its day,
    each at or under var('split_consignment_threshold_eur'), together over it (one declaration
    per consignment). Only parcels declared up to and including the declaration's own day
    count: a score never changes when later parcels arrive.

    Incremental on DuckDB, as fct_risk_scores (macros/incremental_days.sql): a build flags
    again the declarations it rescores, reading the parcels of the window before them; the
    others keep their rows, which only earlier parcels decide.
#}
-- depends_on: {{ ref('int_declarations_rescored_from') }}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key='declaration_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rescored_declarations(with_lots=false) }}"
) }}

with

valued_items as (
    select
        declaration_id,
        jurisdiction,
        declared_date,
        seller_id,
        importer_id,
        intrinsic_value_jc / fx_rate_eur as intrinsic_value_eur,
        intrinsic_value_jc / fx_rate_eur * coalesce(duty_rate_pct, 0) / 100
        * (1 + coalesce(import_tax_rate_pct, 0) / 100) as duty_at_stake_eur,
        data_interval
    from {{ ref('fct_customs_valuation') }}
    where
        procedure != 'WH'
        {% if is_incremental() %}
            and declared_date >= {{ dbt.dateadd(
                'day',
                '-' ~ var('split_consignment_window_days'),
                rescored_from_date()
            ) }}
        {% endif %}
),

consignments as (
    select
        declaration_id,
        jurisdiction,
        min(declared_date) as declared_date,
        min(seller_id) as seller_id,
        min(importer_id) as importer_id,
        sum(intrinsic_value_eur) as consignment_value_eur,
        sum(duty_at_stake_eur) as duty_at_stake_eur,
        max(data_interval) as data_interval
    from valued_items
    group by declaration_id, jurisdiction
),

under_threshold as (
    select * from consignments
    where consignment_value_eur <= {{ var('split_consignment_threshold_eur') }}
),

siblings as (
    select
        this.declaration_id,
        count(*) - 1 as split_sibling_count,
        sum(other.consignment_value_eur) as split_group_value_eur
    from under_threshold as this
    inner join under_threshold as other
        on
            this.seller_id = other.seller_id
            and this.importer_id = other.importer_id
            and this.jurisdiction = other.jurisdiction
            and other.declared_date between
            this.declared_date - {{ var('split_consignment_window_days') }}
            and this.declared_date
    group by this.declaration_id
),

final as (
    select
        consignments.declaration_id,
        coalesce(siblings.split_sibling_count, 0) as split_sibling_count,
        cast(siblings.split_group_value_eur as decimal(18, 2))
            as split_group_value_eur,
        coalesce(
            siblings.split_sibling_count > 0
            and siblings.split_group_value_eur
            > {{ var('split_consignment_threshold_eur') }},
            false
        ) as is_split_consignment,
        cast(consignments.duty_at_stake_eur as decimal(18, 2))
            as split_revenue_eur,
        consignments.declared_date,
        consignments.data_interval
    from consignments
    left join siblings
        on consignments.declaration_id = siblings.declaration_id
    {% if is_incremental() %}
        where consignments.declared_date >= {{ rescored_from_date() }}
    {% endif %}
)

select * from final
