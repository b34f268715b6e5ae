{#
    Fails with one row per combination of the columns that occurs more than once.
    (dbt_utils has the same test; the project installs no packages so it builds offline.)
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

grouped as (
    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
)

select * from grouped
where occurrences > 1

{% endtest %}
