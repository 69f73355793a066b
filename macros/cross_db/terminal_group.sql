{#
    The marketplace's terminal groups: wireless (app, mobile web, mini program), pc, and
    offline (store tills). Online is wireless + pc. One definition, used by staging.
#}
{% macro terminal_group(terminal_column) -%}
    case
        when {{ terminal_column }} in ('mobile_app', 'mobile_web', 'mini_program') then 'wireless'
        when {{ terminal_column }} = 'pc' then 'pc'
        when {{ terminal_column }} = 'offline_pos' then 'offline'
    end
{%- endmacro %}
