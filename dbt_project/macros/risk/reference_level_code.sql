{#
    The code of an item at a reference-price level (`level_name`: hs6, hs4 or chapter), from its
    HS6 subheading and its HS chapter (int_declaration_items_unit_values_referenced).
#}
{% macro reference_level_code(level_name, hs6, hs_chapter) -%}
    case {{ level_name }}
        when 'hs6' then {{ hs6 }}
        when 'hs4' then substring({{ hs6 }}, 1, 4)
        else {{ hs_chapter }}
    end
{%- endmacro %}
