{#
    HS subheadings (6 digits) from the nomenclature file given in var('hs_nomenclature_path');
    no rows when none is given (the project builds with the chapter seed alone).
#}
with

{% if var('hs_nomenclature_path') %}
    source as (
        select * from {{ read_csv_file(var('hs_nomenclature_path')) }}
    ),

    final as (
        select
            hscode as hs6,
            substring(hscode, 1, 2) as hs_chapter,
            description
        from source
        where level = '6'
    )
{% else %}
    final as (
        select
            cast(null as {{ dbt.type_string() }}) as hs6,
            cast(null as {{ dbt.type_string() }}) as hs_chapter,
            cast(null as {{ dbt.type_string() }}) as description
        where 1 = 0
    )
{% endif %}

select * from final
