{#
    A row-level invariant written as a SQL condition holds on every row (rows where it is
    false fail; rows where it is null pass, so write `coalesce` where null must fail).
#}
{% test expression_holds(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
