{#
    numerator / denominator as a double, null when the denominator is 0 or null. Every share
    and rate in the marts goes through here, so "no denominator" always means null, never 0
    and never an error.
#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0))
{%- endmacro %}
