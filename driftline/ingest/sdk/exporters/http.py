"""Send batches to a driftline service: ``POST /v1/events`` and ``POST /v1/labels``."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

import httpx

from driftline.ingest.sdk._json import dumps, encode_items
from driftline.ingest.sdk.exporters._base import ExportResult

__all__ = ["HttpExporter"]

#: statuses worth sending the same batch again for (the service may come back)
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_TOO_LARGE = "HTTP 413: the batch is larger than the service accepts"


class HttpExporter:
    """Deliver to the service at ``url`` (e.g. ``http://127.0.0.1:8650``).

    Connection errors, timeouts, 408/429 and 5xx are retryable; 413 splits the batch in
    halves; any other 4xx (bad key, malformed envelope) drops the batch as
    ``rejected_by_server``. Per-item rejections in a 200 answer count as ``invalid_event``.
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        client_id: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._headers = {"content-type": "application/json"}
        if api_key:
            self._headers["authorization"] = f"Bearer {api_key}"
        self._client_id = client_id
        self._http = self._new_http()
        self.last_rejections: list[dict[str, Any]] = []

    def _new_http(self) -> httpx.Client:
        return httpx.Client(timeout=self.timeout, headers=self._headers)

    @property
    def client_id(self) -> str:
        return self._client_id or f"{socket.gethostname()}-{os.getpid()}"

    def export(
        self,
        events: list[dict[str, Any]],
        labels: list[dict[str, Any]],
        *,
        dropped: Mapping[str, int] | None = None,
    ) -> ExportResult:
        self.last_rejections = []
        result = ExportResult()
        if events:
            result = self._send_events(events, dict(dropped or {}))
            if result.retryable:
                return result
        if labels:
            raw, kept, bad = encode_items(labels)
            label_result = self._post("/v1/labels", b'{"labels":' + raw + b"}", len(kept))
            if label_result.retryable:
                return label_result
            result = _merge(result, _merge(label_result, _unserializable(bad)))
        return result

    def _send_events(self, events: list[dict[str, Any]], dropped: dict[str, int]) -> ExportResult:
        raw, kept, bad = encode_items(events)
        client = dumps({"id": self.client_id, "dropped": {k: v for k, v in dropped.items() if v}})
        body = b'{"events":' + raw + b',"client":' + client + b"}"
        result = self._post("/v1/events", body, len(kept))
        if result.retryable:
            return result
        if result.error == _TOO_LARGE and len(kept) > 1:  # too large: send halves
            half = len(kept) // 2
            first = self._send_events(kept[:half], dropped)
            if first.retryable:
                return first
            result = _merge(first, self._send_events(kept[half:], {}))
        return _merge(result, _unserializable(bad))

    def _post(self, path: str, body: bytes, n: int) -> ExportResult:
        try:
            response = self._http.post(self.url + path, content=body)
        except httpx.HTTPError as exc:
            return ExportResult.retry(f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if status == 200:
            try:
                answer = response.json()
                rejected = list(answer.get("rejected", []))
                accepted = int(answer.get("accepted", n - len(rejected)))
            except (ValueError, AttributeError, TypeError):
                return ExportResult(accepted=n)
            self.last_rejections.extend(rejected)
            return ExportResult(
                accepted=accepted,
                dropped={"invalid_event": len(rejected)} if rejected else {},
                error=_first_reason(rejected),
            )
        if status in RETRYABLE_STATUSES:
            return ExportResult.retry(
                f"HTTP {status} from {self.url}{path}",
                _retry_after(response.headers.get("retry-after")),
            )
        if status == 413:
            return ExportResult.drop_all(n, "rejected_by_server", _TOO_LARGE)
        return ExportResult.drop_all(
            n, "rejected_by_server", f"HTTP {status} from {self.url}{path}: {response.text[:200]}"
        )

    def after_fork(self) -> None:
        """In a forked child: never touch the parent's pooled sockets."""
        _ABANDONED.append(self._http)
        self._http = self._new_http()

    def close(self) -> None:
        self._http.close()


#: httpx clients inherited across fork: kept referenced so the child never closes them
_ABANDONED: list[httpx.Client] = []


def _merge(a: ExportResult, b: ExportResult) -> ExportResult:
    dropped = dict(a.dropped)
    for reason, n in b.dropped.items():
        dropped[reason] = dropped.get(reason, 0) + n
    return ExportResult(accepted=a.accepted + b.accepted, dropped=dropped, error=a.error or b.error)


def _unserializable(n: int) -> ExportResult:
    return ExportResult(dropped={"unserializable": n} if n else {})


def _first_reason(rejected: list[Any]) -> str | None:
    if not rejected:
        return None
    first = rejected[0] if isinstance(rejected[0], dict) else {}
    return f"{len(rejected)} items rejected, e.g. {first.get('field')!r}: {first.get('reason')}"


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
