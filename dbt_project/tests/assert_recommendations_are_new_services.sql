{{ config(tags=['ml_mart'], meta={'dagster': {'ref': {'name': 'service_recommendations'}}}) }}
{# A recommendation must be a service the user had not used by the day it was made. #}
select r.user_id, r.service, r.as_of_date, a.first_used_date
from {{ ref('service_recommendations') }} as r
join {{ ref('user_service_adoption') }} as a
    on a.user_id = r.user_id and a.service = r.service and a.first_used_date <= r.as_of_date
