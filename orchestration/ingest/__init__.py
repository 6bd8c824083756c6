"""Ingestion: find raw files, extract them (incrementally, by content), land the rows."""
