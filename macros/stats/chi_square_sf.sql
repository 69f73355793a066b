{#
    Survival function (upper tail) of the chi-square distribution, P(X >= x), for integer
    degrees of freedom 1..max_dof, in closed form (no incomplete-gamma routine needed):
      even k = 2m: exp(-x/2) * sum_{i<m} (x/2)^i / i!
      odd k = 2m+1: erfc(sqrt(x/2)) + sqrt(2x/pi) * exp(-x/2) * sum_{i<m} x^i / (1*3*...*(2i+1))
    An experiment with up to max_dof + 1 variants is covered; beyond that the result is null.
#}
{% macro chi_square_sf(x, dof, max_dof=9) -%}
    {%- set xd = 'cast(' ~ x ~ ' as ' ~ type_double() ~ ')' -%}
    (case
    {%- for k in range(1, max_dof + 1) %}
        {%- set m = k // 2 %}
        {%- set terms = [] %}
        {%- if k % 2 == 0 %}
            {%- set ns = namespace(fact=1) %}
            {%- for i in range(m) %}
                {%- if i > 0 %}{% set ns.fact = ns.fact * i %}{% endif %}
                {%- do terms.append('power(' ~ xd ~ ' / 2.0e0, ' ~ i ~ ') / ' ~ ns.fact ~ '.0e0') %}
            {%- endfor %}
        when {{ dof }} = {{ k }} then exp(-{{ xd }} / 2.0e0) * ({{ terms | join(' + ') }})
        {%- else %}
            {%- set ns = namespace(odd=1) %}
            {%- for i in range(m) %}
                {%- set ns.odd = ns.odd * (2 * i + 1) %}
                {%- do terms.append('power(' ~ xd ~ ', ' ~ i ~ ') / ' ~ ns.odd ~ '.0e0') %}
            {%- endfor %}
        when {{ dof }} = {{ k }} then {{ erfc('sqrt(' ~ xd ~ ' / 2.0e0)') }}
            {%- if m > 0 %}
            + sqrt(2.0e0 * {{ xd }} / 3.14159265358979323846e0) * exp(-{{ xd }} / 2.0e0)
            * ({{ terms | join(' + ') }})
            {%- endif %}
        {%- endif %}
    {%- endfor %}
    end)
{%- endmacro %}
