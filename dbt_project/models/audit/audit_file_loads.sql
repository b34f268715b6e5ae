with

file_loads as (
    select * from {{ ref('stg_audit__file_loads') }}
),

final as (
    select * from file_loads
)

select * from final
