with

source as (
    select * from {{ source('customs_feeds', 'inspections') }}
),

final as (
    select
        declaration_id,
        inspected_at,
        {{ utc_date('inspected_at') }} as inspected_date,
        result,
        assessed_value,
        currency,
        additional_revenue,
        source_file,
        source_row,
        load_id
    from source
)

select * from final
