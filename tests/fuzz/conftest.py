"""Fuzz and property fixtures: the service app in-process over the shared chDB store (ASGI,
no socket), and the counts every test adds to (printed at the end of the run, so a CI log
says how many requests, events and injections were tried)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from driftline.storage import Store

#: requests sent, events acknowledged, injections tried, ... over the whole run
COUNTS: Counter[str] = Counter()
#: how many examples a fuzz test generates (the folder stays under a minute on 2 cores)
MAX_EXAMPLES = 30


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if COUNTS:
        terminalreporter.section("driftline fuzz counts")
        for name, n in sorted(COUNTS.items()):
            terminalreporter.write_line(f"{name}: {n}")


@pytest.fixture(scope="module")
def fuzz_store(chdb_path: Path) -> Iterator[Store]:
    """A fresh chDB database (as ``chdb_store``) shared by a module's tests: migrating one
    costs seconds, and reads should see what the ingest tests wrote."""
    from tests.conftest import open_test_store

    store = open_test_store("chdb", chdb_path)
    yield store
    store.drop_database()
    store.close()


@pytest.fixture(scope="module")
def fuzz_app(fuzz_store: Store) -> Any:
    """The service app (no API keys, at most 50 items per request) on ``fuzz_store``."""
    from driftline.api import create_app
    from driftline.settings import Settings

    return create_app(Settings(max_batch=50, _env_file=None), store=fuzz_store)


@pytest.fixture(scope="module")
def http(fuzz_app: Any) -> Iterator[Any]:
    from starlette.testclient import TestClient

    with TestClient(fuzz_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Any) -> Any:
    import schemathesis

    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


def fuzz_settings(max_examples: int = MAX_EXAMPLES, **overrides: Any) -> Any:
    """Hypothesis settings of the fuzz tests: bounded, no deadline (chDB DDL is slow), no
    example database in the work tree."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=max_examples, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), **overrides)
