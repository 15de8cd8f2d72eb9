"""Leases: which worker runs a monitor now, without compare-and-set.

ClickHouse cannot update a row conditionally, so a lease is decided by reading: every claim is
a row (key, owner, token, claimed_ns, expires_at), renewals and releases are later rows of the
same token (``written_ns`` orders them), and the holder of a key is its *active* claim
(``expires_at`` in the future) with the smallest (claimed_ns, token). A claimant that sees
itself as the holder waits ``settle_s`` and reads again, so a concurrent claim that was made
earlier but written later is seen before either side acts. A killed worker's lease expires.
Clocks of the workers are assumed to agree to well under ``settle_s``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from driftline.errors import ValidationError
from driftline.storage._backend import Columns
from driftline.storage.dialect import quote

if TYPE_CHECKING:
    from driftline.storage.store import Store

__all__ = ["LEASE_COLUMNS", "LEASE_ORDER", "Lease", "Leases"]

LEASE_COLUMNS = {"key": "String", "owner": "String", "token": "String", "claimed_ns": "UInt64",
                 "expires_at": "Float64", "written_ns": "UInt64"}
LEASE_ORDER = ("key", "token", "written_ns")


@dataclass(slots=True)
class Lease:
    """A held lease; ``expires_at`` (epoch seconds) moves on with each renewal."""

    key: str
    owner: str
    token: str
    claimed_ns: int
    expires_at: float


class Leases:
    """``store.leases``: acquire, renew and release named leases."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _table(self) -> str:
        return self._store.dialect.table("leases")

    def acquire(self, key: str, owner: str, ttl_s: float, *,
                settle_s: float = 0.2) -> Lease | None:
        """The lease of ``key`` for ``ttl_s`` seconds, or None while someone else holds it."""
        if ttl_s <= 0:
            raise ValidationError(f"a lease needs a positive term, got {ttl_s!r}", field="ttl_s")
        lease = Lease(key, owner, uuid.uuid4().hex, time.time_ns(), time.time() + ttl_s)
        self._write(lease, lease.expires_at)
        if self._holder(key) == lease.token:
            time.sleep(settle_s)
            if self._holder(key) == lease.token:
                return lease
        self._write(lease, 0.0)
        return None

    def renew(self, lease: Lease, ttl_s: float) -> bool:
        """Extend a held lease by ``ttl_s`` from now; False when it has expired or someone
        else holds the key (then stop working on it). Renew well before it expires."""
        if time.time() >= lease.expires_at or self._holder(lease.key) != lease.token:
            return False
        expires_at = time.time() + ttl_s
        self._write(lease, expires_at)
        lease.expires_at = expires_at
        return True

    def release(self, lease: Lease) -> None:
        """Give the lease up now (another worker may take it at once)."""
        self._write(lease, 0.0)
        lease.expires_at = 0.0

    def holder(self, key: str) -> str | None:
        """The owner holding ``key`` now (None: nobody)."""
        rows = self._active(key)
        return str(rows["owner"][0]) if len(rows["owner"]) else None

    def _write(self, lease: Lease, expires_at: float) -> None:
        self._store.backend.insert(self._table, {
            "key": [lease.key], "owner": [lease.owner], "token": [lease.token],
            "claimed_ns": [lease.claimed_ns], "expires_at": [expires_at],
            "written_ns": [time.time_ns()],
        }, LEASE_COLUMNS)

    def _holder(self, key: str) -> str | None:
        rows = self._active(key)
        return str(rows["token"][0]) if len(rows["token"]) else None

    def _active(self, key: str) -> Columns:
        """The winning active claim of ``key`` (token, owner), as columns of 0 or 1 rows."""
        return self._store.backend.select(
            f"SELECT token, owner FROM (SELECT token, argMax(owner, written_ns) AS owner,"
            f" argMax(claimed_ns, written_ns) AS claimed, argMax(expires_at, written_ns)"
            f" AS expires FROM {self._table} WHERE key = {quote(key)} GROUP BY token)"
            f" WHERE expires > {time.time()!r} ORDER BY claimed, token LIMIT 1")
