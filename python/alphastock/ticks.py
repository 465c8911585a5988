"""The tick store: per-instrument ring buffers of ticks, kept in the Rust core.

Each instrument gets a fixed-capacity columnar ring on its first stored tick
(72 bytes per tick, ``capacity`` rounded up to a multiple of 8, allocated at once);
when full, the oldest tick is overwritten. The columns are stored in blocks of 8
ticks (each column's 8 values fill one cache line), so that ticks arriving for
hundreds of instruments in turn do not touch nine memory pages each. Columns:

=============  =======  =========================================================
``ts_ns``      int64    UTC epoch nanoseconds
``last_price`` float64  rupees (or the segment's quote unit)
``last_qty``   int64    units of the last trade; 0 when not carried
``volume``     int64    units traded today (cumulative, as Kite sends it); 0 when not carried
``oi``         int64    open interest in units; 0 when not carried
``bid``        float64  best bid in rupees; NaN when not carried or the book side is empty
``ask``        float64  best ask in rupees; NaN when not carried or the book side is empty
``bid_qty``    int64    units at the best bid; 0 when not carried
``ask_qty``    int64    units at the best ask; 0 when not carried
=============  =======  =========================================================

A tick is stored only if it is valid; otherwise it is counted under one reason
of :meth:`TickStore.rejected_counts` (the first that applies, in this order):
``invalid_token`` (outside Kite's uint32 range), ``non_finite_price`` (last price
NaN or ±inf, or bid/ask ±inf: NaN bid/ask means "not carried"),
``negative_price``, ``negative_quantity``, ``out_of_order`` (older than the
token's newest stored tick) and ``duplicate_ts`` (equal to it). Undecodable
packets of a Kite frame count as ``malformed_packet``.
"""

from __future__ import annotations

import math
from typing import Any, Final, NamedTuple, TypeAlias, TypedDict, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from alphastock import _core

TickColumns: TypeAlias = dict[str, NDArray[np.int64] | NDArray[np.float64]]

TICK_COLUMNS: Final[tuple[str, ...]] = (
    "ts_ns",
    "last_price",
    "last_qty",
    "volume",
    "oi",
    "bid",
    "ask",
    "bid_qty",
    "ask_qty",
)
"""Columns of :meth:`TickStore.window`, in storage order."""


class TokenWindows(TypedDict):
    """:meth:`TickStore.window_many`: rows of several tokens, ``token`` naming each row's token."""

    token: NDArray[np.int64]
    ts_ns: NDArray[np.int64]
    last_price: NDArray[np.float64]
    last_qty: NDArray[np.int64]
    volume: NDArray[np.int64]
    oi: NDArray[np.int64]
    bid: NDArray[np.float64]
    ask: NDArray[np.float64]
    bid_qty: NDArray[np.int64]
    ask_qty: NDArray[np.int64]


class LatestTicks(TokenWindows):
    """:meth:`TickStore.latest_many`: one row per requested token, in request order.

    ``found`` is False for a token without stored ticks; its row reads ``ts_ns`` 0,
    prices NaN and quantities 0. Units as in the module docstring.
    """

    found: NDArray[np.bool_]


REJECT_REASONS: Final[tuple[str, ...]] = (
    "invalid_token",
    "non_finite_price",
    "negative_price",
    "negative_quantity",
    "out_of_order",
    "duplicate_ts",
    "malformed_packet",
)
"""Keys of :meth:`TickStore.rejected_counts`, in the order they are checked."""

_NO_INT = np.zeros(1, dtype=np.int64)
_NO_PRICE = np.full(1, math.nan)
_NO_INT.flags.writeable = False
_NO_PRICE.flags.writeable = False


class Tick(NamedTuple):
    """One stored tick (see the module docstring for units and "not carried" values)."""

    token: int
    ts_ns: int
    last_price: float
    last_qty: int
    volume: int
    oi: int
    bid: float
    ask: float
    bid_qty: int
    ask_qty: int


def _one_dimensional(array: NDArray[Any], name: str) -> NDArray[Any]:
    if array.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {array.shape}")
    return array


def _ints(values: ArrayLike | None, name: str) -> NDArray[np.int64]:
    if values is None:
        return _NO_INT
    array = np.ascontiguousarray(values)
    if array.dtype.kind not in "iub" and array.size > 0:  # [] is float64 to numpy
        raise ValueError(f"{name} must hold integers, got dtype {array.dtype}")
    return np.ascontiguousarray(_one_dimensional(array, name), dtype=np.int64)


def _floats(values: ArrayLike | None, name: str) -> NDArray[np.float64]:
    if values is None:
        return _NO_PRICE
    array = np.ascontiguousarray(values)
    if array.dtype.kind not in "iubf":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    return np.ascontiguousarray(_one_dimensional(array, name), dtype=np.float64)


class TickStore:
    """Ring buffers of ticks per instrument token, filled from Kite frames or arrays.

    ``capacity`` is the number of ticks kept per instrument (at least 1). Tokens
    appear on their first stored tick. Reads return copies.

    One store belongs to one thread (the engine's loop). Long calls (``push_batch``,
    large frames) release the GIL; another thread calling into the same store
    meanwhile gets a ``RuntimeError`` (already borrowed) rather than a torn read.
    """

    __slots__ = ("_store",)

    def __init__(self, capacity: int) -> None:
        if isinstance(capacity, bool) or int(capacity) != capacity or capacity < 1:
            raise ValueError(
                f"capacity must be an integer of at least 1 tick per instrument, got {capacity!r}"
            )
        self._store = _core.TickStore(int(capacity))

    @property
    def capacity(self) -> int:
        """Ticks kept per instrument."""
        return self._store.capacity

    def ingest_kite(
        self, frame: bytes | bytearray | memoryview, recv_ts_ns: int | None = None, *, strict: bool = False
    ) -> NDArray[np.int64]:
        """Decode a Kite binary frame straight into the rings; the tokens stored, in packet order.

        Kite packets carry no sub-second time (most carry none at all), so every
        packet of the frame is stamped ``recv_ts_ns`` (UTC epoch ns). By default
        that is the wall clock at the call, nudged to 1 ns after the previous
        default stamp if the clock has not advanced or stepped back, so
        successive frames never collide. A token appearing twice in one frame gets
        the same stamp twice: the second is rejected as ``duplicate_ts`` (Kite does
        not send such frames).

        Per packet: ``last_price``; ``last_qty``, ``volume`` from 44/184-byte packets;
        ``oi`` and best ``bid``/``ask`` with their quantities (depth level 0) from
        184-byte packets; 0 or NaN otherwise (see the module docstring).

        With ``strict=False`` (the default, for a live feed) undecodable packets are
        skipped and counted as ``malformed_packet``; with ``strict=True`` a malformed
        frame raises :class:`alphastock.FrameError` and stores nothing.
        Heartbeats (frames under 2 bytes) store nothing.
        """
        data = frame if isinstance(frame, bytes) else bytes(frame)
        return self._store.ingest_kite(data, recv_ts_ns, strict)

    def push(
        self,
        token: int,
        ts_ns: int,
        last_price: float,
        last_qty: int = 0,
        volume: int = 0,
        oi: int = 0,
        bid: float = math.nan,
        ask: float = math.nan,
        bid_qty: int = 0,
        ask_qty: int = 0,
    ) -> bool:
        """Store one tick (``ts_ns`` UTC epoch ns, prices in rupees, quantities in units).

        Returns False if the tick was rejected; the reason is counted in
        :meth:`rejected_counts`.
        """
        return self._store.push(token, ts_ns, last_price, last_qty, volume, oi, bid, ask, bid_qty, ask_qty)

    def push_batch(
        self,
        tokens: ArrayLike,
        ts_ns: ArrayLike,
        last_price: ArrayLike,
        last_qty: ArrayLike | None = None,
        volume: ArrayLike | None = None,
        oi: ArrayLike | None = None,
        bid: ArrayLike | None = None,
        ask: ArrayLike | None = None,
        bid_qty: ArrayLike | None = None,
        ask_qty: ArrayLike | None = None,
    ) -> int:
        """Store many ticks in row order, exactly as repeated :meth:`push` calls would.

        Every argument is an array of length n or 1 (a scalar broadcasts); omitted
        columns are "not carried" (0 or NaN). Integer columns must hold integers.
        Returns the number of ticks stored; the others are counted by reason.
        """
        return self._store.push_batch(
            _ints(tokens, "tokens"),
            _ints(ts_ns, "ts_ns"),
            _floats(last_price, "last_price"),
            _ints(last_qty, "last_qty"),
            _ints(volume, "volume"),
            _ints(oi, "oi"),
            _floats(bid, "bid"),
            _floats(ask, "ask"),
            _ints(bid_qty, "bid_qty"),
            _ints(ask_qty, "ask_qty"),
        )

    def latest(self, token: int) -> Tick | None:
        """The newest tick of ``token``, or None if it has none."""
        row = self._store.latest(token)
        return None if row is None else Tick._make(row)

    def latest_many(self, tokens: ArrayLike) -> LatestTicks:
        """The newest tick of each of ``tokens`` as columns (see :class:`LatestTicks`), in one call.

        Row ``i`` equals ``latest(tokens[i])`` field by field (``found`` False where that is
        None); duplicates give repeated rows and an empty input gives empty columns. Prices in
        rupees, quantities in units, ``ts_ns`` UTC epoch ns; the arrays are new.
        """
        return cast(LatestTicks, self._store.latest_many(_ints(tokens, "tokens")))

    def window_many(self, tokens: ArrayLike, counts: ArrayLike) -> TokenWindows:
        """Each of ``tokens``' newest ``min(counts[i], len)`` ticks, oldest first, concatenated in order.

        ``counts`` is one count per token or one for all (non-negative). Row ``j`` belongs to
        ``token[j]``; unknown tokens add no rows. Equal to concatenating :meth:`window` per token.
        """
        counts_array = _ints(counts, "counts")
        if counts_array.size and int(counts_array.min()) < 0:
            raise ValueError("counts must be non-negative")
        return cast(TokenWindows, self._store.window_many(_ints(tokens, "tokens"), counts_array))

    def window(self, token: int, n: int) -> TickColumns:
        """The newest ``min(n, len(token))`` ticks of ``token``, oldest first, as new arrays per column.

        An unknown token gives empty arrays.
        """
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        return self._store.window(token, n)

    def start_recording(self, max_rows: int) -> None:
        """Keep every tick stored from now on, in the order stored, for :meth:`take_recorded`: the
        recorder's tap. At most ``max_rows`` wait untaken; more are counted in
        :attr:`recording_dropped`, never silently lost. Already recording: only the bound changes.
        Costs the store one copy of each tick's fields; off until called."""
        if max_rows < 1:
            raise ValueError(f"max_rows must be positive, got {max_rows}")
        self._store.start_recording(max_rows)

    def take_recorded(self) -> TokenWindows:
        """The ticks stored since recording started or the last take, oldest first across tokens:
        ``token`` and every tick column (the arrays are handed over, not copied). Empty when not
        recording."""
        return cast(TokenWindows, self._store.take_recorded())

    def stop_recording(self) -> TokenWindows:
        """Stop recording; the ticks not taken yet (as :meth:`take_recorded`)."""
        return cast(TokenWindows, self._store.stop_recording())

    @property
    def recording_pending(self) -> int:
        """Ticks waiting for :meth:`take_recorded`."""
        return self._store.recording_pending

    @property
    def recording_dropped(self) -> int:
        """Ticks not recorded because ``max_rows`` were waiting, since recording started."""
        return self._store.recording_dropped

    def tokens(self) -> NDArray[np.int64]:
        """Tokens with at least one stored tick, in order of their first one."""
        return self._store.tokens()

    def len(self, token: int) -> int:
        """Ticks stored for ``token`` (at most :attr:`capacity`); 0 for an unknown token."""
        return self._store.len(token)

    def nbytes(self) -> int:
        """Approximate memory held, in bytes: the rings (about ``capacity`` x 72 per token) and the index."""
        return self._store.nbytes()

    def rejected_counts(self) -> dict[str, int]:
        """Ticks rejected so far, per reason (every reason of :data:`REJECT_REASONS`, zeros included)."""
        return self._store.rejected_counts()

    def __repr__(self) -> str:
        rejected = sum(self.rejected_counts().values())
        return (
            f"TickStore(capacity={self.capacity}, tokens={len(self.tokens())}, "
            f"rejected={rejected}, nbytes={self.nbytes()})"
        )


def member_of(values: NDArray[np.int64], sorted_set: NDArray[np.int64]) -> NDArray[np.bool_]:
    """``np.isin(values, sorted_set)`` for a sorted, unique ``sorted_set``: one binary search per value
    (for token arrays; ``np.isin`` spends ~100 µs on set-up per call, more than a whole small batch)."""
    if sorted_set.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=np.bool_)
    pos = np.searchsorted(sorted_set, values)
    np.minimum(pos, sorted_set.shape[0] - 1, out=pos)
    hit: NDArray[np.bool_] = sorted_set[pos] == values
    return hit


__all__ = [
    "REJECT_REASONS",
    "TICK_COLUMNS",
    "LatestTicks",
    "Tick",
    "TickColumns",
    "TickStore",
    "TokenWindows",
    "member_of",
]
