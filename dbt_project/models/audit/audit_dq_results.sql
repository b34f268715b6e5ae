with

dq_results as (
    select * from {{ ref('stg_audit__dq_results') }}
),

final as (
    select * from dq_results
)

select * from final
