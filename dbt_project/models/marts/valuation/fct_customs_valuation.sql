with

valued_items as (
    select * from {{ ref('int_declaration_items_valued') }}
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
        marketplace,
        has_order_match,
        transaction_value,
        order_currency as transaction_currency,
        jurisdiction_currency,
        fx_rate_declared,
        fx_rate_transaction,
        fx_rate_date,
        fx_rule,
        declared_value_jc,
        transaction_value_jc,
        customs_value,
        valuation_method,
        value_gap,
        source_file,
        source_row,
        load_id,
        order_load_id
    from valued_items
)

select * from final
