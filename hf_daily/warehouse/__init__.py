"""The DuckDB warehouse: schema, connections and locks, the raw store, the analytics views.

The names most callers need are re-exported here: ``from hf_daily import warehouse as wh``.
"""

from hf_daily.warehouse.raw import fetched_days, possibly_truncated_days, store_fetch, stored_fetches
from hf_daily.warehouse.schema import TABLES, Column, Table, schema_ddl
from hf_daily.warehouse.store import (
    Warehouse,
    WarehouseError,
    WarehouseLockedError,
    ensure_schema,
    replace_days,
    upsert,
)

__all__ = [
    "TABLES", "Column", "Table", "Warehouse", "WarehouseError", "WarehouseLockedError", "ensure_schema",
    "fetched_days", "possibly_truncated_days", "replace_days", "schema_ddl", "store_fetch", "stored_fetches", "upsert",
]
