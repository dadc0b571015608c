"""persona_dagster: user personas and new-service recommendations from clickstream."""

__version__ = "0.1.0"
