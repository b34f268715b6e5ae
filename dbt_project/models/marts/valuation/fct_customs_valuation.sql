{#
    Incremental on DuckDB (macros/incremental_days.sql, docs/incremental.md): a build values
    again the days from the var `rebuild_from` (the earliest feed day changed since the last
    build) and the warehouse entries still inside the deductive sales window, whose value grows
    with each day of sales; their rows are deleted first, moved items replaced by key, so a full
    refresh gives the same rows. The whole chain above (matched, valued, taxed) is incremental
    the same way.
    On Spark the table is rebuilt whole each run: with plain Parquet (no Delta or Iceberg) dbt-spark
    has no delete+insert or merge, and insert_overwrite of data_interval partitions would drop the
    rows of the earlier intervals whose warehouse entries are revalued (docs/scaling.md).
#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuilt_days(consignments_of='int_declaration_items_taxed') }}"
) }}

with

items_to_value as (
    select * from {{ ref('int_declaration_items_taxed') }}
    {% if is_incremental() %}
        where
            {{ in_rebuilt_days() }}
            or {{ in_rebuilt_consignments('int_declaration_items_taxed') }}
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
