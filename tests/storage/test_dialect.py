"""Dialect: every DDL statement, portable to ClickHouse 18.16."""

from __future__ import annotations

import pytest

from driftline.errors import ValidationError
from driftline.storage import Capabilities, Dialect, quote

OLD = Dialect("db", Capabilities.for_version((18, 16)))
NEW = Dialect("db", Capabilities.for_version((24, 8)))


def test_create_table() -> None:
    assert OLD.create_table("t", {"a": "String", "b": "UInt8"}, "MergeTree()", ("a",),
                            partition_by="b") == (
        "CREATE TABLE IF NOT EXISTS db.`t` (a String, b UInt8) ENGINE = MergeTree()"
        " PARTITION BY b ORDER BY (a)")


def test_statements_that_depend_on_the_engine() -> None:
    assert OLD.add_column("events_m", "f_x", "Nullable(Float64)") == (
        "ALTER TABLE db.`events_m` ADD COLUMN f_x Nullable(Float64)")
    assert NEW.add_column("events_m", "f_x", "Nullable(Float64)") == (
        "ALTER TABLE db.`events_m` ADD COLUMN IF NOT EXISTS f_x Nullable(Float64)")
    two = {"f_x": "Nullable(Float64)", "f_c": "Nullable(String)"}
    assert OLD.add_columns("events_m", two) == (
        "ALTER TABLE db.`events_m` ADD COLUMN f_x Nullable(Float64),"
        " ADD COLUMN f_c Nullable(String)")
    assert NEW.add_columns("events_m", two).count("ADD COLUMN IF NOT EXISTS") == 2
    assert OLD.delete_where("t", "a = 1") == "ALTER TABLE db.`t` DELETE WHERE a = 1"
    assert NEW.delete_where("t", "a = 1").endswith("SETTINGS mutations_sync = 1")


def test_database_and_table_statements() -> None:
    assert OLD.create_database() == "CREATE DATABASE IF NOT EXISTS db"
    assert OLD.drop_database() == "DROP DATABASE IF EXISTS db"
    assert OLD.rename_table("a", "b") == "RENAME TABLE db.`a` TO db.`b`"
    assert OLD.drop_table("events_m-1") == "DROP TABLE IF EXISTS db.`events_m-1`"


def test_quote_escapes() -> None:
    assert quote("it's a \\ test") == "'it\\'s a \\\\ test'"


@pytest.mark.parametrize("name", ["", "has-dash", "a b", "x;DROP"])
def test_database_names_are_plain_identifiers(name: str) -> None:
    with pytest.raises(ValidationError, match="plain identifier"):
        Dialect(name)
