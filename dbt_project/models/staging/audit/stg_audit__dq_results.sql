with

source as (
    select * from {{ source('audit', 'dq_results') }}
),

final as (
    select
        run_id,
        suite,
        {{ dbt.safe_cast('data_interval', api.Column.translate_type('date')) }} as data_interval,
        expectation_type,
        {{ adapter.quote('column') }} as column_name,
        severity,
        cast(success as boolean) as success,
        cast(observed_value as {{ dbt.type_string() }}) as observed_value,
        cast(unexpected_count as bigint) as unexpected_count,
        cast(details as {{ dbt.type_string() }}) as details,
        checked_at
    from source
)

select * from final
