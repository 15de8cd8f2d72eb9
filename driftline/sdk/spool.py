"""Where undelivered batches wait for the destination to come back.

``DiskSpool`` keeps one JSON file per batch in a directory, written atomically (temp file +
``os.replace``), bounded in bytes, redelivered oldest first and deleted only once the
destination acknowledged it; a new process on the same directory picks up what an earlier one
left (a prediction server restart loses nothing). ``MemorySpool`` is the same without a
directory, bounded in items, and lost with the process.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from driftline.sdk._json import encode_items, loads

__all__ = ["STALE_TEMP_S", "DiskSpool", "Items", "MemorySpool", "Spool", "SpooledBatch"]

logger = logging.getLogger("driftline.sdk")

Items = list[dict[str, Any]]
#: a temp file this old was left by a writer that died mid-write
STALE_TEMP_S = 3600.0


@dataclass(frozen=True, slots=True)
class SpooledBatch:
    key: Any
    events: Items
    labels: Items
    size: int


class Spool(Protocol):
    def put(self, events: Items, labels: Items) -> dict[str, int]:
        """Keep a batch; returns the items that could not be kept, by reason."""

    def oldest(self) -> SpooledBatch | None: ...

    def ack(self, batch: SpooledBatch) -> None:
        """The batch was delivered (or dropped for good): forget it."""

    def __len__(self) -> int: ...


class MemorySpool:
    """An in-memory spool of at most ``max_items`` events and labels."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._batches: deque[SpooledBatch] = deque()
        self._items = 0
        self._keys = itertools.count()

    def put(self, events: Items, labels: Items) -> dict[str, int]:
        n = len(events) + len(labels)
        if self._items + n > self.max_items:
            return {"spool_full": n}
        self._batches.append(SpooledBatch(next(self._keys), events, labels, n))
        self._items += n
        return {}

    def oldest(self) -> SpooledBatch | None:
        return self._batches[0] if self._batches else None

    def ack(self, batch: SpooledBatch) -> None:
        if self._batches and self._batches[0] is batch:
            self._batches.popleft()
            self._items -= batch.size

    def __len__(self) -> int:
        return len(self._batches)


class DiskSpool:
    """A spool directory of at most ``max_bytes`` bytes of batch files."""

    def __init__(self, directory: str | os.PathLike[str], max_bytes: int = 256 << 20) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._seq = itertools.count()
        self._pending: deque[tuple[Path, int]] = deque()
        self._bytes = 0
        self._remove_stale_temp_files()
        self._rescan()

    @property
    def bytes(self) -> int:
        return self._bytes

    def _files(self) -> Iterator[tuple[Path, int]]:
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if entry.name.endswith(".json") and not entry.name.startswith("."):
                    try:
                        yield Path(entry.path), entry.stat().st_size
                    except FileNotFoundError:  # delivered by another process meanwhile
                        continue

    def _rescan(self) -> None:
        files = sorted(self._files())  # names start with time_ns: sorted = oldest first
        self._pending = deque(files)
        self._bytes = sum(size for _, size in files)

    def _remove_stale_temp_files(self) -> None:
        cutoff = time.time() - STALE_TEMP_S
        for path in self.directory.glob(".tmp-*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except FileNotFoundError:
                continue

    def put(self, events: Items, labels: Items) -> dict[str, int]:
        raw_events, kept_events, bad_events = encode_items(events)
        raw_labels, kept_labels, bad_labels = encode_items(labels)
        dropped = {"unserializable": bad_events + bad_labels} if bad_events + bad_labels else {}
        if not kept_events and not kept_labels:
            return dropped
        body = b'{"events":' + raw_events + b',"labels":' + raw_labels + b"}"
        if self._bytes + len(body) > self.max_bytes:
            dropped["spool_full"] = len(kept_events) + len(kept_labels)
            return dropped
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._seq):08d}.json"
        final = self.directory / name
        temp = self.directory / f".tmp-{name}"
        try:
            with open(temp, "wb") as handle:
                handle.write(body)
            os.replace(temp, final)
        except OSError as exc:
            logger.warning("cannot write the spool file %s: %s", final, exc)
            temp.unlink(missing_ok=True)
            dropped["spool_failed"] = len(kept_events) + len(kept_labels)
            return dropped
        self._pending.append((final, len(body)))
        self._bytes += len(body)
        return dropped

    def oldest(self) -> SpooledBatch | None:
        if not self._pending:
            self._rescan()
        while self._pending:
            path, size = self._pending[0]
            try:
                data = loads(path.read_bytes())
                return SpooledBatch(path, list(data["events"]), list(data["labels"]), size)
            except FileNotFoundError:  # another process on this directory delivered it
                pass
            except (ValueError, KeyError, TypeError) as exc:
                logger.warning("dropping the unreadable spool file %s: %s", path, exc)
                path.unlink(missing_ok=True)
            self._pending.popleft()
            self._bytes -= size
        return None

    def ack(self, batch: SpooledBatch) -> None:
        batch.key.unlink(missing_ok=True)
        if self._pending and self._pending[0][0] == batch.key:
            self._pending.popleft()
            self._bytes -= batch.size

    def __len__(self) -> int:
        return len(self._pending)
