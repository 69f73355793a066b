{#
    The column equals numerator / denominator of the same row, within a relative tolerance,
    and is null exactly when the denominator is 0 or null: the "a share is recomputed from its
    numerator and denominator" rule of the KPI catalogue, checked row by row.
#}
{% test ratio_of(model, column_name, numerator, denominator, tolerance=1e-9) %}

select
    {{ column_name }} as ratio,
    {{ numerator }} as numerator,
    {{ denominator }} as denominator
from {{ model }}
where
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then {{ column_name }} is not null
        when {{ column_name }} is null then true
        else abs(
            {{ column_name }} - cast({{ numerator }} as {{ type_double() }}) / {{ denominator }}
        ) > {{ tolerance }} * (1 + abs({{ column_name }}))
    end

{% endtest %}
