{#
    Incremental: a run values the declaration items of the latest data interval already in the
    table and every later one (re-running an interval replaces its rows), plus the warehouse
    entries still inside the deductive sales window, whose value grows with each day of sales.
    Items are replaced by key (delete+insert), so a full refresh gives the same rows.
    On Spark the table is rebuilt whole each run: with plain Parquet (no Delta or Iceberg) dbt-spark
    has no delete+insert or merge, and insert_overwrite of data_interval partitions would drop the
    rows of the earlier intervals whose warehouse entries are revalued (docs/scaling.md).
#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    on_schema_change='fail'
) }}

with

taxed_items as (
    select
        *,
        cast({{ dbt.split_part('load_id', "':'", 2) }} as date) as data_interval
    from {{ ref('int_declaration_items_taxed') }}
),

items_to_value as (
    select * from taxed_items
    {% if is_incremental() %}
        where data_interval >= (select max(built.data_interval) from {{ this }} as built)
            or (
                procedure = 'WH'
                and declared_date >= (
                    select
                        cast({{ dbt.dateadd(
                            'day',
                            '-' ~ var('deductive_sales_window_days') ~ ' - 1',
                            'max(built.declared_date)'
                        ) }} as date)
                    from {{ this }} as built
                )
            )
    {% endif %}
),

final as (
    select
        declaration_id,
        item_no,
        jurisdiction,
        declared_at,
        declared_date,
        procedure,
        hs_code,
        hs6,
        hs_chapter,
        origin_country,
        seller_id,
        declarant_id,
        importer_id,
        parcel_id,
        consignment_id,
        ioss_number,
        description,
        quantity,
        gross_mass_kg,
        declared_value,
        declared_currency,
        transport_cost,
        insurance_cost,
        matched_order_id,
        matched_line_id,
        order_date,
        marketplace,
        has_order_match,
        match_rule,
        match_confidence,
        lot_id,
        transaction_value,
        order_currency as transaction_currency,
        jurisdiction_currency,
        valuation_basis,
        fx_rate_declared,
        fx_rate_transaction,
        fx_rate_eur,
        fx_reference_date,
        fx_rate_date,
        fx_rule,
        declared_value_jc,
        transaction_value_jc,
        deductive_value_jc,
        intrinsic_value_jc,
        transport_addition_jc,
        transport_addition_source,
        insurance_addition_jc,
        insurance_addition_source,
        additions_jc,
        customs_value,
        valuation_method,
        value_gap,
        consignment_intrinsic_value_jc,
        low_value_regime,
        duty_treatment,
        duty_rate_pct,
        duty_jc,
        flat_duty_jc,
        import_tax_name,
        import_tax_rate_pct,
        import_tax_collection,
        import_tax_base_jc,
        import_tax_jc,
        revenue_at_risk_jc,
        source_file,
        source_row,
        load_id,
        data_interval,
        order_load_id
    from items_to_value
)

select * from final
