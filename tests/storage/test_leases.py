"""store.leases: at most one holder per key, on chDB and the server."""

from __future__ import annotations

import threading
import time

import pytest

from driftline.errors import ValidationError
from driftline.storage import Lease, Store


def test_two_racing_workers_never_both_win(store: Store) -> None:
    for round_ in range(20):
        key = f"monitor-{round_}"
        won: dict[str, Lease | None] = {}
        start = threading.Barrier(2)

        def claim(owner: str, key: str = key, won: dict[str, Lease | None] = won,
                  start: threading.Barrier = start) -> None:
            start.wait()
            won[owner] = store.leases.acquire(key, owner, ttl_s=30, settle_s=0.1)

        threads = [threading.Thread(target=claim, args=(o,)) for o in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [o for o, lease in won.items() if lease is not None]
        assert len(winners) <= 1, f"round {round_}: both won"
        if winners:
            assert store.leases.holder(key) == winners[0]


def test_a_held_lease_is_refused_then_freed_by_release(store: Store) -> None:
    lease = store.leases.acquire("k", "a", ttl_s=30, settle_s=0)
    assert lease is not None and lease.owner == "a" and lease.expires_at > time.time()
    assert store.leases.acquire("k", "b", ttl_s=30, settle_s=0) is None
    assert store.leases.holder("k") == "a"
    assert store.leases.acquire("other", "b", ttl_s=30, settle_s=0) is not None
    store.leases.release(lease)
    assert store.leases.holder("k") is None
    taken = store.leases.acquire("k", "b", ttl_s=30, settle_s=0)
    assert taken is not None and store.leases.holder("k") == "b"
    assert not store.leases.renew(lease, 30)  # released: not ours any more


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    dead = store.leases.acquire("k", "killed", ttl_s=0.5, settle_s=0)
    assert dead is not None
    assert store.leases.acquire("k", "b", ttl_s=30, settle_s=0) is None
    time.sleep(0.6)
    assert store.leases.holder("k") is None
    taken = store.leases.acquire("k", "b", ttl_s=30, settle_s=0)
    assert taken is not None
    assert not store.leases.renew(dead, 30)  # the late worker learns it lost
    assert store.leases.holder("k") == "b"


def test_renew_extends_a_held_lease(store: Store) -> None:
    lease = store.leases.acquire("k", "a", ttl_s=1, settle_s=0)
    assert lease is not None
    assert store.leases.renew(lease, 30)
    assert lease.expires_at > time.time() + 20
    time.sleep(1.1)  # past the first term: still held
    assert store.leases.acquire("k", "b", ttl_s=30, settle_s=0) is None
    assert store.leases.holder("k") == "a"


def test_a_lease_needs_a_positive_term(store: Store) -> None:
    with pytest.raises(ValidationError, match="positive term"):
        store.leases.acquire("k", "a", ttl_s=0)
