{#
    One row: the first declared day whose declarations a daily build scores again, computed
    once per build for the incremental risk models and their hooks (macros/incremental_days.sql:
    rescored_from_date). A declaration's signals rest on its own items and on earlier days, so
    it is the earliest of: the first rebuilt day (var rebuild_from), the first declared day of
    the fact rows the build recomputed (their consignments' earlier items included), and the
    first day of an inspection it loaded (an outcome weighs on later declarations of the
    entities). Null without the vars (a plain `dbt build`: each model starts from its own
    latest day).
#}
-- depends_on: {{ ref('fct_customs_valuation') }}, {{ ref('stg_customs_feeds__inspections') }}
with

{% if var('rebuild_from', none) %}
    rebuilt_items as (
        select min(valued.declared_date) as first_declared_date
        from {{ ref('fct_customs_valuation') }} as valued
        where
            valued.data_interval >= {{ rebuild_from_date() }}
            or {{ in_rebuilt_consignments('fct_customs_valuation', 'valued.') }}
    ),

    loaded_inspections as (
        select min(loaded.inspected_date) as first_inspected_date
        from {{ ref('stg_customs_feeds__inspections') }} as loaded
        where {{ loaded_on_rebuilt_days('inspections', 'loaded.load_id') }}
    ),

    final as (
        select
            least(
                {{ rebuild_from_date() }},
                coalesce(
                    rebuilt_items.first_declared_date, {{ rebuild_from_date() }}
                ),
                coalesce(
                    loaded_inspections.first_inspected_date,
                    {{ rebuild_from_date() }}
                )
            ) as rescored_from
        from rebuilt_items
        cross join loaded_inspections
    )
{% else %}
    final as (
        select cast(null as date) as rescored_from
    )
{% endif %}

select * from final
