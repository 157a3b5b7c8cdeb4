"""lead_funnel: synthetic raw data, loading and orchestration around the lead_funnel dbt project."""

__version__ = "0.1.0"
