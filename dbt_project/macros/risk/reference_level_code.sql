{#
    The code of an item at a reference-price level (hs6, hs4 or chapter), from its HS6
    subheading and its HS chapter (int_declaration_items_unit_values_referenced):
    `level_code_of` for a level known when the SQL is written, `reference_level_code` for a
    column or expression holding the level's name.
#}
{% macro level_code_of(level, hs6, hs_chapter) -%}
    {%- if level == 'hs6' -%}
        {{ hs6 }}
    {%- elif level == 'hs4' -%}
        substring({{ hs6 }}, 1, 4)
    {%- else -%}
        {{ hs_chapter }}
    {%- endif -%}
{%- endmacro %}

{% macro reference_level_code(level_name, hs6, hs_chapter) -%}
    case {{ level_name }}
        when 'hs6' then {{ level_code_of('hs6', hs6, hs_chapter) }}
        when 'hs4' then {{ level_code_of('hs4', hs6, hs_chapter) }}
        else {{ level_code_of('chapter', hs6, hs_chapter) }}
    end
{%- endmacro %}
