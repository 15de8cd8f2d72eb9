"""Every DDL statement driftline runs is built here (single node today).

A cluster deployment changes this one object: ``ON CLUSTER`` clauses, ``Replicated*MergeTree``
engines and ``Distributed`` tables in front of them. The SQL is portable to ClickHouse 18.16
(no ``IF NOT EXISTS`` on columns there: ask :attr:`Capabilities.if_not_exists_column`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from driftline.errors import ValidationError
from driftline.ingest.validation import MODEL_NAME
from driftline.storage._backend import Capabilities

__all__ = ["Dialect", "quote"]


def quote(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True, slots=True)
class Dialect:
    """DDL for the tables of ``database`` on an engine with ``capabilities``."""

    database: str
    capabilities: Capabilities = field(default_factory=Capabilities)

    def __post_init__(self) -> None:
        if not MODEL_NAME.match(self.database) or "-" in self.database:
            raise ValidationError(f"database name {self.database!r} is not a plain identifier",
                                  field="database")

    def table(self, name: str) -> str:
        """The qualified name of a table (quoted: model names may hold ``-``)."""
        return f"{self.database}.`{name}`"

    def create_database(self) -> str:
        return f"CREATE DATABASE IF NOT EXISTS {self.database}"

    def drop_database(self) -> str:
        return f"DROP DATABASE IF EXISTS {self.database}"

    def create_table(self, name: str, columns: Mapping[str, str], engine: str,
                     order_by: Sequence[str], partition_by: str | None = None) -> str:
        """``CREATE TABLE IF NOT EXISTS`` with ``engine`` (e.g. ``"MergeTree()"``)."""
        cols = ", ".join(f"{column} {ch_type}" for column, ch_type in columns.items())
        partition = f" PARTITION BY {partition_by}" if partition_by else ""
        return (f"CREATE TABLE IF NOT EXISTS {self.table(name)} ({cols}) ENGINE = {engine}"
                f"{partition} ORDER BY ({', '.join(order_by)})")

    def add_column(self, table: str, column: str, ch_type: str) -> str:
        """``ALTER TABLE ... ADD COLUMN``; idempotent only where the engine can say
        ``IF NOT EXISTS`` (callers on 18.16 check ``system.columns`` first)."""
        return self.add_columns(table, {column: ch_type})

    def add_columns(self, table: str, columns: Mapping[str, str]) -> str:
        """One ``ALTER TABLE ... ADD COLUMN a T, ADD COLUMN b T, ...`` (one metadata change
        for all, where a statement per column costs a rewrite each); idempotent as
        ``add_column``."""
        clause = "IF NOT EXISTS " if self.capabilities.if_not_exists_column else ""
        adds = ", ".join(f"ADD COLUMN {clause}{column} {ch_type}"
                         for column, ch_type in columns.items())
        return f"ALTER TABLE {self.table(table)} {adds}"

    def rename_table(self, old: str, new: str) -> str:
        return f"RENAME TABLE {self.table(old)} TO {self.table(new)}"

    def drop_table(self, name: str) -> str:
        return f"DROP TABLE IF EXISTS {self.table(name)}"

    def delete_where(self, table: str, condition: str) -> str:
        """An ``ALTER TABLE ... DELETE`` mutation (waited for where the engine can)."""
        wait = " SETTINGS mutations_sync = 1" if self.capabilities.mutations_sync else ""
        return f"ALTER TABLE {self.table(table)} DELETE WHERE {condition}{wait}"

    def columns_of(self, table: str) -> str:
        """A query of the column names of a table (column ``name``)."""
        return (f"SELECT name FROM system.columns WHERE database = {quote(self.database)}"
                f" AND table = {quote(table)}")

    def tables(self) -> str:
        """A query of the table names of the database (column ``name``)."""
        return f"SELECT name FROM system.tables WHERE database = {quote(self.database)}"
