"""Dagster assets: ingest (Python), dbt models, and publishing."""
