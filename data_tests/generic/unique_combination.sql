{#
    The combination of `columns` is unique in the model: a composite-key test that needs no
    package (the dbt hub is out of reach from our build machines).
#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
