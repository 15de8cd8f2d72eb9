"""``ClickHouseExporter``: straight to a ClickHouse server over the native protocol."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import pytest

from driftline.sdk import ClickHouseExporter
from driftline.storage import Store
from tests.conftest import server_url
from tests.sdk.conftest import events, free_port


@pytest.mark.server
def test_clickhouse_exporter_writes_straight_to_the_server() -> None:
    database = f"t_{uuid.uuid4().hex[:12]}"
    url = urlparse(server_url())._replace(path=f"/{database}").geturl()
    exporter = ClickHouseExporter(url)
    store = Store.clickhouse(url)
    try:
        batch = events(200)
        assert exporter.export(batch, []).accepted == 200
        assert exporter.export(batch, []).accepted == 200
        assert store.events.count("m1") == 200
    finally:
        exporter.close()
        store.drop_database()
        store.close()


def test_clickhouse_exporter_on_an_unreachable_server_is_retryable() -> None:
    exporter = ClickHouseExporter(f"clickhouse://127.0.0.1:{free_port()}/x")
    result = exporter.export(events(1), [])
    assert result.retryable
    assert "cannot open" in (result.error or "")
    exporter.close()
