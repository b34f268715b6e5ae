with

source as (
    select * from {{ source('reference', 'vat_rates') }}
),

final as (
    select
        country,
        valid_from,
        valid_to,
        standard_rate_pct
    from source
)

select * from final
