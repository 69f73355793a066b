{#
    On every row, the listed parts add up to the total (e.g. wireless_gmv + pc_gmv =
    online_gmv), within `tolerance` for money.
#}
{% test sum_equals(model, parts, total, tolerance=0.005, column_name=none) %}

select
    {{ parts | join(' + ') }} as sum_of_parts,
    {{ total }} as total
from {{ model }}
where abs(({{ parts | join(' + ') }}) - ({{ total }})) > {{ tolerance }}

{% endtest %}
