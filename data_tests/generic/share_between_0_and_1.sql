{#
    A share or rate lies in [0, 1] (null is allowed: no denominator).
#}
{% test share_between_0_and_1(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1

{% endtest %}
