"""Assets by layer: `raw` (ingestion), `dbt` (staging, intermediate, marts), `publish`."""
