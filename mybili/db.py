"""Small helpers for the hand-written SQL of the engine and the ranking selectors."""

from django.db import connection


def index_hint(index: str) -> str:
    """Pin a query to `index` on the backends that take a hint (MySQL, SQLite)."""
    if connection.vendor == "mysql":
        return f"FORCE INDEX ({index})"
    if connection.vendor == "sqlite":
        return f"INDEXED BY {index}"
    return ""


def quoted_table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)
