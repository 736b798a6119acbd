"""prefmark core: domain types, SQLite store, importers, exporters, routing and CLI (no Qt)."""

__version__ = "0.1.0"
