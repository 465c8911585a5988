"""The execution journal: an append-only JSON-lines file, the engine's DURABILITY POINT.

Why a journal and not DuckDB: a committed DuckDB write costs 1-5 ms, the live
tick → broker-submit path has a budget of 200 µs (p50). So every signal, order,
order transition, fill and signal status change is first written here, with ONE
``write`` on an ``O_APPEND`` file (a few µs, through the Rust
:class:`~alphastock._core.AppendFile`, which keeps the GIL: ``os.write`` would
release it, and a waiting thread could then hold the engine up to 5 ms), BEFORE anything acts
on it; :class:`~alphastock.persistence.writer.StoreWriter` then copies it to
DuckDB on a background thread, and :func:`~alphastock.persistence.writer.replay`
inserts whatever DuckDB missed at the next start.

Guarantees: once :meth:`Journal.append` returned, the line is in the kernel's page
cache and survives a crash of this process (``kill -9``). With ``fsync=True``
it is also on disk (survives power loss) at the price of an ``fsync`` per record
(~0.3 ms on a typical SSD; see ``benches/test_bench_execution.py``).

One line per record: ``{"kind": ..., "data": {...}, "ts_ns": ...}`` where kind is
one of :data:`KINDS` and ``ts_ns`` is UTC epoch ns (wall clock when written).
A torn last line (the process died inside ``write``) is skipped by :func:`read_journal`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from pydantic_core import PydanticSerializationError, to_json

from alphastock._core import AppendFile
from alphastock.private import private_dir, private_file

log = logging.getLogger(__name__)

KINDS: Final = frozenset(
    {"signal", "signal_status", "order", "order_transition", "fill", "option_trade", "option_trade_event"}
)
"""Record kinds: a new signal, a signal status change, a new order, an order transition, a fill; an
options executor's trade (its whole latest state) and one step of it."""

# The standard encoder refuses NaN and infinity (ValueError): a journal line must read back as
# it was meant, and JSON has no such numbers.
_STRICT: Final = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def encode_record(data: Mapping[str, Any]) -> str:
    """``data`` as compact JSON; ValueError for NaN or infinity, TypeError for what JSON cannot hold.

    pydantic-core's encoder (Rust, about 4x faster than ``json``; this is on the order path) writes
    non-finite floats as ``NaN``/``Infinity``: when those letters appear, the standard encoder
    encodes the record again and raises for a non-finite float (a string that merely contains
    them is encoded by it instead, equally valid).
    """
    try:
        encoded = to_json(data, inf_nan_mode="constants", fallback=_refuse).decode()
    except PydanticSerializationError as exc:
        raise TypeError(f"journal record is not JSON-serialisable: {exc}") from None
    if "NaN" in encoded or "Infinity" in encoded:
        return _STRICT(data)
    return encoded


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


class Journal:
    """Append-only JSON-lines journal at ``path`` (mode 0600, in a 0700 directory; parents created)."""

    def __init__(self, path: str | Path, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.appended = 0
        """Records appended through this object."""
        # Trading records are private: the directory 0700, the file 0600 (an older, looser one too).
        private_dir(self.path.parent, markers=(f"{self.path.name}*",))
        private_file(self.path)
        self._file: AppendFile | None = AppendFile(self.path)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._file is None

    def append(self, kind: str, data: Mapping[str, Any], ts_ns: int | None = None) -> None:
        """Write one record (``data`` JSON-serialisable); durable against a process crash on return."""
        if kind not in KINDS:  # checked before serialising, again in append_json (cheap)
            raise ValueError(f"journal kind must be one of {sorted(KINDS)}, got {kind!r}")
        self.append_json(kind, encode_record(data), ts_ns)

    def append_json(self, kind: str, data_json: str, ts_ns: int | None = None) -> None:
        """:meth:`append` with ``data`` already serialised to a JSON object (e.g. pydantic's
        ``model_dump_json()``, which is faster than ``json.dumps`` of a dict)."""
        if kind not in KINDS:
            raise ValueError(f"journal kind must be one of {sorted(KINDS)}, got {kind!r}")
        if self._file is None:
            raise ValueError(f"journal {self.path} is closed")
        stamp = time.time_ns() if ts_ns is None else int(ts_ns)
        # O_APPEND: the record lands whole at the end (a short write is continued in Rust).
        self._file.append(f'{{"kind":"{kind}","data":{data_json},"ts_ns":{stamp}}}\n'.encode())
        if self.fsync:
            self._file.sync()
        self.appended += 1

    def rotate(self, now: dt.datetime | None = None) -> Path | None:
        """Rename the file to ``<name>.<YYYYmmdd-HHMMSS>`` (never deleted) and start an empty one.

        Returns the new name of the old file, or None when it was empty (then it is kept as is).
        """
        if self._file is not None:
            self._file.close()
            self._file = None
        rotated: Path | None = None
        if self.path.exists() and self.path.stat().st_size > 0:
            stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
            rotated = self.path.with_name(f"{self.path.name}.{stamp}")
            n = 1
            while rotated.exists():
                rotated = self.path.with_name(f"{self.path.name}.{stamp}.{n}")
                n += 1
            self.path.rename(rotated)
        self._file = AppendFile(self.path)
        return rotated

    def close(self) -> None:
        """Close the file; idempotent."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r}, fsync={self.fsync}, appended={self.appended})"


def read_journal(path: str | Path) -> Iterator[dict[str, Any]]:
    """The records of the journal at ``path`` in write order (nothing when it does not exist).

    A line that does not parse (a torn write at a crash) is logged and skipped.
    """
    file = Path(path)
    if not file.exists():
        return
    with file.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                log.warning("journal %s line %d is torn or corrupt; skipped", file, number)
                continue
            if (
                isinstance(record, dict)
                and record.get("kind") in KINDS
                and isinstance(record.get("data"), dict)
            ):
                yield record
            else:
                log.warning("journal %s line %d is not a record; skipped", file, number)


__all__ = ["KINDS", "Journal", "encode_record", "read_journal"]
