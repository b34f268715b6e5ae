{#
    Currency arithmetic kept in one place so every amount is converted and rounded the same way.

    ECB rates are quoted per 1 EUR, so the rate from currency A to currency B is
    rate_per_eur(B) / rate_per_eur(A) (a cross rate through the euro). The division runs in
    double precision on most engines: the cross rate is rounded to 10 decimals and stored as a
    decimal, and amounts are then multiplied in exact decimal arithmetic, so anyone can
    reproduce `amount x fx_rate` from the published row.
#}
{% macro cross_rate(from_rate_per_eur, to_rate_per_eur) -%}
    cast(round({{ to_rate_per_eur }} / {{ from_rate_per_eur }}, 10) as decimal(20, 10))
{%- endmacro %}

{# An amount in currency units, rounded half away from zero to the cent. #}
{% macro money(amount) -%}
    cast(round({{ amount }}, 2) as decimal(18, 2))
{%- endmacro %}
