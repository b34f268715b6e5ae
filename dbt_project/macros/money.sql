{#
    Currency arithmetic kept in one place so every amount is converted and rounded the same way.

    ECB rates are quoted per 1 EUR, so the rate from currency A to currency B is
    rate_per_eur(B) / rate_per_eur(A) (a cross rate through the euro). The division runs in
    double precision on most engines: the cross rate is rounded to 10 decimals and stored as a
    decimal, and amounts are then multiplied in exact decimal arithmetic, so anyone can
    reproduce `amount x fx_rate` from the published row.
#}
{% macro cross_rate(from_rate_per_eur, to_rate_per_eur) -%}
    cast({{ round_half_away(divide(to_rate_per_eur, from_rate_per_eur), 10) }} as decimal(20, 10))
{%- endmacro %}

{# An amount in currency units, rounded half away from zero to the cent. #}
{% macro money(amount) -%}
    cast({{ round_half_away(amount, 2) }} as decimal(18, 2))
{%- endmacro %}

{#
    Division and rounding spelled so every engine computes the same digits. DuckDB divides
    decimals in double precision, and rounds a double half away from zero on its exact binary
    value (830.025 is stored as 830.02499999999997... and rounds to 830.02). Spark divides
    decimals exactly and rounds a double through its shortest decimal text (830.025 -> 830.03).
    The Spark versions below do what DuckDB does; on decimals both engines round half away from
    zero exactly.
#}
{% macro divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('divide', 'customs')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__divide(numerator, denominator) -%}
    {{ numerator }} / {{ denominator }}
{%- endmacro %}

{% macro spark__divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / cast({{ denominator }} as double)
{%- endmacro %}

{% macro round_half_away(amount, digits) -%}
    {{ return(adapter.dispatch('round_half_away', 'customs')(amount, digits)) }}
{%- endmacro %}

{% macro default__round_half_away(amount, digits) -%}
    round({{ amount }}, {{ digits }})
{%- endmacro %}

{#
    A double x scaled by m = 10^digits is p = x * m rounded to a double; the exact product is
    p + error, with the error computed exactly (Dekker's two-product: x split into two 26-bit
    halves; 10^digits has at most 26 significant bits up to 11 digits). Only when p is exactly
    k + 0.5 can the exact product lie on the other side of the tie, so only then does the error
    decide; otherwise rounding p gives the exact answer.
#}
{% macro spark__round_half_away(amount, digits) -%}
    {%- set x = '(' ~ amount ~ ')' -%}
    {%- set m = (10 ** digits) ~ 'BD' -%}
    {%- set p = '(' ~ x ~ ' * ' ~ m ~ ')' -%}
    {%- set split = '(134217729BD * ' ~ x ~ ')' -%}
    {%- set high = '(' ~ split ~ ' - (' ~ split ~ ' - ' ~ x ~ '))' -%}
    {%- set low = '(' ~ x ~ ' - ' ~ high ~ ')' -%}
    {%- set error = '((' ~ high ~ ' * ' ~ m ~ ' - ' ~ p ~ ') + ' ~ low ~ ' * ' ~ m ~ ')' -%}
    {%- set is_tie = 'abs(' ~ p ~ ') - floor(abs(' ~ p ~ ')) = 0.5' -%}
    case
        when typeof({{ x }}) != 'double' then round({{ x }}, {{ digits }})
        when {{ is_tie }} and {{ error }} > 0 then ceil({{ p }}) / {{ m }}
        when {{ is_tie }} and {{ error }} < 0 then floor({{ p }}) / {{ m }}
        else round({{ p }}) / {{ m }}
    end
{%- endmacro %}

{#
    A double cast to decimal(precision, scale): DuckDB scales the double (x * 10^scale, rounded
    to a double) and rounds that half away from zero; Spark casts through the shortest decimal
    text. The Spark version scales and rounds like DuckDB first.
#}
{% macro double_to_decimal(amount, precision, scale) -%}
    {{ return(adapter.dispatch('double_to_decimal', 'customs')(amount, precision, scale)) }}
{%- endmacro %}

{% macro default__double_to_decimal(amount, precision, scale) -%}
    cast({{ amount }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__double_to_decimal(amount, precision, scale) -%}
    cast(
        round(({{ amount }}) * {{ 10 ** scale }}BD) / {{ 10 ** scale }}BD
        as decimal({{ precision }}, {{ scale }})
    )
{%- endmacro %}
