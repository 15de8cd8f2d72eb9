"""API-key authentication for the ``/v1`` routes.

Keys come from ``settings.api_key_set`` (``DRIFTLINE_API_KEYS``); with none configured auth is
off. A client sends ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. Keys are compared
in constant time, against every configured key, so timing reveals neither key nor match.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status

__all__ = ["api_key_from", "require_api_key"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="driftline"'}


def api_key_from(request: Request) -> str | None:
    """The key a request carries, or None."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return request.headers.get("x-api-key") or None


def _matches(key: str, keys: frozenset[str]) -> bool:
    given = key.encode()
    found = False
    for candidate in keys:  # no early exit: the time taken does not depend on which key
        found |= hmac.compare_digest(given, candidate.encode())
    return found


def require_api_key(request: Request) -> None:
    keys: frozenset[str] = request.app.state.settings.api_key_set
    if not keys:
        return
    key = api_key_from(request)
    if key is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers=_CHALLENGE,
        )
    if not _matches(key, keys):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid API key (check DRIFTLINE_API_KEYS on the server)",
            headers=_CHALLENGE,
        )
