select
    store_id,
    store_name,
    brand_id,
    brand_id is null as is_department_store,
    city,
    city_tier,
    opened_on
from {{ ref('stg_reference__stores') }}
