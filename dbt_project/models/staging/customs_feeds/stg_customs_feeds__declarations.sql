with

source as (
    select * from {{ source('customs_feeds', 'declarations') }}
),

final as (
    select
        declaration_id,
        item_no,
        declared_at,
        {{ utc_date('declared_at') }} as declared_date,
        jurisdiction,
        declarant_id,
        importer_id,
        seller_id,
        parcel_id,
        ioss_number,
        procedure,
        hs_code,
        substring(hs_code, 1, 6) as hs6,
        substring(hs_code, 1, 2) as hs_chapter,
        description,
        origin_country,
        quantity,
        gross_mass_kg,
        declared_value,
        currency as declared_currency,
        transport_cost,
        insurance_cost,
        source_file,
        source_row,
        load_id
    from source
)

select * from final
