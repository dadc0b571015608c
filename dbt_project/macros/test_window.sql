{# A partition run tests the rows it wrote: generic tests on a day-grained (incremental) model read
   only the partition window of it. Rows outside the window were not touched by the run and were
   tested by the run that wrote them; without this, each day's tests scan the whole history (day
   366 of a simulated year: 2.2 s of tests, most of them on history). A hand-run `dbt build`
   without a window (min_date/max_date defaults) still tests every row. Overrides dbt's
   default__get_where_subquery (dispatch search order in dbt_project.yml); a test's own `where`
   config still applies, and-ed with the window. #}
{% macro default__get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set column = partition_window_column(relation) -%}
    {%- if column -%}
        {%- do filters.append(in_window(column)) -%}
    {%- endif -%}
    {%- if filters -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ filters | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# The window column of the incremental model behind `relation` (config window_column, default
   event_date; none for a model that is not day-grained), or none for anything else. #}
{% macro partition_window_column(relation) -%}
    {%- if not execute or relation.identifier is none -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
              and (node.alias or node.name) == relation.identifier
              and node.config.materialized == 'incremental' -%}
            {%- do return(node.config.get('window_column', 'event_date')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}
