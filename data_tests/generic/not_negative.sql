{#
    Counts, amounts and durations are never below zero (null is allowed).
#}
{% test not_negative(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
