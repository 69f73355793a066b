{#
    The person behind a platform account: the unified buyer id its identity link names, else
    'platform:platform_user_id' (an anonymous person of their own). Links are timeless, so the
    same account resolves to the same person on every day; int_content_events__resolved and
    kpi_content_uv_growth's yearly reach both resolve through this one definition.
#}
{% macro resolved_person(buyer_id, platform, platform_user_id) -%}
    coalesce({{ buyer_id }}, {{ dbt.concat([platform, "':'", platform_user_id]) }})
{%- endmacro %}
