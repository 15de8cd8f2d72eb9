"""Send batches to a driftline service: ``POST /v1/events`` and ``POST /v1/labels``.

Events go column by column, one request per model (``{"model": …, "columns": {…}}``; the
service validates them with numpy, several times faster than one object per event); events
the columnar path cannot carry (not a dict, no valid model name) go as ``{"events": […]}`` so
the service rejects them one by one with the reason. Labels go as objects."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Mapping
from typing import Any

import httpx

from driftline.sdk._columns import group_columns, to_columns
from driftline.sdk._json import dumps, encode_items
from driftline.sdk.exporters._base import ExportResult
from driftline.wire import BINARY_CONTENT_TYPE, encode_binary

_JSON = "application/json"

__all__ = ["RETRYABLE_STATUSES", "HttpExporter"]

#: statuses worth sending the same batch again for (the service may come back)
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_TOO_LARGE = "HTTP 413: the batch is larger than the service accepts"


class HttpExporter:
    """Deliver to the service at ``url`` (e.g. ``http://127.0.0.1:8650``).

    Connection errors, timeouts, 408/429 and 5xx are retryable; 413 splits the batch in
    halves; any other 4xx (bad key, malformed envelope) drops the batch as
    ``rejected_by_server``. Per-item rejections in a 200 answer count as ``invalid_event``.
    ``probe`` (``GET /readyz``) tells the client cheaply when a service that was down is back.
    """

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        *,
        client_id: str | None = None,
        binary: bool = True,
    ) -> None:
        """``binary``: send columns in the binary format (numeric columns as raw float64);
        False sends the JSON columnar envelope."""
        self.url = url.rstrip("/")
        self.binary = binary
        self.timeout = timeout
        self._headers = {}
        if api_key:
            self._headers["authorization"] = f"Bearer {api_key}"
        self._client_id = client_id
        self._http = self._new_http()
        self._local = threading.local()

    def _new_http(self) -> httpx.Client:
        return httpx.Client(timeout=self.timeout, headers=self._headers)

    @property
    def last_rejections(self) -> list[dict[str, Any]]:
        """The items the service rejected in this thread's last export (diagnostics)."""
        rejections: list[dict[str, Any]] = getattr(self._local, "rejections", [])
        return rejections

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
        self._local.rejections = []
        result = ExportResult()
        if events:
            result = self._send_events(events, dict(dropped or {}))
            if result.retryable:
                return result
        elif dropped and any(dropped.values()):  # no event carries the drops: report alone
            result, _ = self._post("/v1/events", self._report_body(dropped), 0)
            if result.retryable:
                return result
        if labels:
            raw, kept, bad = encode_items(labels)
            label_result, rejected = self._post("/v1/labels", b'{"labels":' + raw + b"}",
                                                len(kept))
            self.last_rejections.extend(rejected)
            if label_result.retryable:
                return label_result
            result = _merge(result, _merge(label_result, _unserializable(bad)))
        return result

    def probe(self) -> ExportResult:
        """Whether the service is back: ``GET /readyz`` (no data, no auth), 200 = ready."""
        try:
            response = self._http.get(self.url + "/readyz", timeout=min(self.timeout, 2.0))
        except httpx.HTTPError as exc:
            return ExportResult.retry(f"{type(exc).__name__}: {exc}")
        if response.status_code == 200:
            return ExportResult()
        return ExportResult.retry(f"HTTP {response.status_code} from {self.url}/readyz",
                                  _retry_after(response.headers.get("retry-after")))

    def _report_body(self, dropped: Mapping[str, int]) -> bytes:
        report = {"id": self.client_id, "dropped": {k: v for k, v in dropped.items() if v}}
        return b'{"events":[],"client":' + dumps(report) + b"}"

    def _send_events(self, events: list[dict[str, Any]], dropped: dict[str, int]) -> ExportResult:
        groups, irregular = group_columns(events)
        sends: list[tuple[str | None, list[int]]] = list(groups.items())
        if irregular:
            sends.append((None, irregular))
        result = ExportResult()
        for model, positions in sends:
            sent = self._send(model, events, positions, dropped)
            if sent.retryable:
                return sent
            result, dropped = _merge(result, sent), {}  # drops are reported once
        return result

    def _send(self, model: str | None, events: list[dict[str, Any]], positions: list[int],
              dropped: dict[str, int]) -> ExportResult:
        """``events[i] for i in positions`` in one request: the columns of ``model``, or one
        object per event when ``model`` is None. Rejections get their index in ``events``."""
        chosen = events if len(positions) == len(events) else [events[i] for i in positions]
        report = {"id": self.client_id, "dropped": {k: v for k, v in dropped.items() if v}}
        try:
            (body, content_type), bad = self._encode(model, chosen, report), 0
        except (TypeError, ValueError, OverflowError):  # leave out what cannot be encoded
            _, kept, bad = encode_items(chosen)
            ids = {id(e) for e in kept}
            positions = [i for i, e in zip(positions, chosen, strict=True) if id(e) in ids]
            chosen = kept
            body, content_type = self._encode(model, chosen, report)
        result, rejected = self._post("/v1/events", body, len(chosen), content_type)
        if result.retryable:
            return result
        for rejection in rejected:
            index = rejection.get("index") if isinstance(rejection, dict) else None
            if isinstance(index, int) and 0 <= index < len(positions):
                rejection["index"] = positions[index]
        self.last_rejections.extend(rejected)
        if result.error == _TOO_LARGE and len(chosen) > 1:  # too large: send halves
            half = len(positions) // 2
            first = self._send(model, events, positions[:half], dropped)
            if first.retryable:
                return first
            result = _merge(first, self._send(model, events, positions[half:], {}))
        return _merge(result, _unserializable(bad))

    def _encode(self, model: str | None, events: list[dict[str, Any]],
                report: dict[str, Any]) -> tuple[bytes, str]:
        """The body and its content type; raises TypeError for unserializable values."""
        if model is None:
            return b'{"events":' + dumps(events) + b',"client":' + dumps(report) + b"}", _JSON
        columns = to_columns(events)
        if self.binary:
            return encode_binary(model, columns, report, dumps), BINARY_CONTENT_TYPE
        body = b'{"model":' + dumps(model) + b',"columns":' + dumps(columns)
        return body + b',"client":' + dumps(report) + b"}", _JSON

    def _post(self, path: str, body: bytes, n: int,
              content_type: str = _JSON) -> tuple[ExportResult, list[Any]]:
        """The result of one request and, on a 200, the items the service rejected."""
        try:
            response = self._http.post(self.url + path, content=body,
                                       headers={"content-type": content_type})
        except httpx.HTTPError as exc:
            return ExportResult.retry(f"{type(exc).__name__}: {exc}"), []
        status = response.status_code
        if status == 200:
            try:
                answer = response.json()
                rejected = list(answer.get("rejected", []))
                # a duplicate (its id already stored, e.g. a batch re-sent after a lost answer)
                # is delivered too
                accepted = int(answer.get("accepted", n - len(rejected)))
                accepted += int(answer.get("duplicates", 0))
            except (ValueError, AttributeError, TypeError):
                return ExportResult(accepted=n), []
            return ExportResult(
                accepted=accepted,
                dropped={"invalid_event": len(rejected)} if rejected else {},
                error=_first_reason(rejected),
            ), rejected
        if status in RETRYABLE_STATUSES:
            return ExportResult.retry(
                f"HTTP {status} from {self.url}{path}",
                _retry_after(response.headers.get("retry-after")),
            ), []
        if status == 413:
            return ExportResult.drop_all(n, "rejected_by_server", _TOO_LARGE), []
        return ExportResult.drop_all(
            n, "rejected_by_server", f"HTTP {status} from {self.url}{path}: {response.text[:200]}"
        ), []

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
