"""Importers that convert real public clickstream logs into the landing event schema."""

from persona_dagster.importers.eshop import import_eshop
from persona_dagster.importers.msnbc import import_msnbc
from persona_dagster.importers.source import SHARED_DATA_DIR, ImportSourceError

__all__ = ["SHARED_DATA_DIR", "ImportSourceError", "import_eshop", "import_msnbc"]
