"""Bars from the tick store (:class:`BarBuilder`): TICK_BATCH in, BAR events out.

One :class:`~alphastock.bars.BarAggregator` per (session, interval): NSE/NFO tokens
use the NSE session (09:15-15:30 IST), MCX tokens the MCX one (09:00-23:30 IST).
For every token of a batch (a token appearing k times in the batch has k new ticks)
the newest k ticks are read from the TickStore in one bulk read (``latest_many``, or
``window_many`` when tokens repeat) and fed to the aggregators with their cumulative
day volume; closed bars become :class:`~alphastock.events.Bar` events
handed to ``publish``. :meth:`flush` (from a timer) closes bars whose time is up
without waiting for a new tick.

Units: prices rupees, volume units, times UTC epoch ns.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from alphastock.bars import BarAggregator, Bars
from alphastock.events import Bar, Event, EventType, TickBatch
from alphastock.models import Instrument
from alphastock.runners.base import Publish
from alphastock.ticks import LatestTicks, TickStore, member_of

log = logging.getLogger(__name__)


class BarSink(Protocol):
    """Where closed bars may also go (the store's BatchWriter)."""

    def append_bars(self, bars: Any, interval: str, *, timeout: float | None = None) -> bool:
        """Queue closed bars of ``interval``."""
        ...


def distinct_tokens(tokens: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64] | None]:
    """The distinct tokens of a batch in order of first appearance, with their counts (None when all are 1).

    A token k times in a TICK_BATCH has k new ticks. Batches rarely repeat a token, so that
    case is checked on a sorted copy and only then counted.
    """
    if tokens.shape[0] < 2:
        return tokens, None
    ordered = np.sort(tokens)
    if not bool((ordered[1:] == ordered[:-1]).any()):
        return tokens, None
    counted = Counter(tokens.tolist())
    return (
        np.fromiter(counted.keys(), dtype=np.int64, count=len(counted)),
        np.fromiter(counted.values(), dtype=np.int64, count=len(counted)),
    )


def session_of(exchange: str) -> str:
    """The session key of an exchange: ``MCX`` trades 09:00-23:30, everything else the NSE session."""
    return "MCX" if exchange.upper() == "MCX" else "NSE"


class BarBuilder:
    """TickStore ticks -> closed bars for every interval (see the module docstring).

    ``describe(token)`` gives the instrument of a token (symbol, exchange; e.g.
    :meth:`SymbolResolver.describe`); tokens it does not know get an empty symbol and the
    NSE session. ``sessions`` maps session keys (``NSE``, ``MCX``) to IST ``(start, end)``.
    """

    def __init__(
        self,
        ticks: TickStore,
        publish: Publish | None,
        *,
        intervals: Sequence[str] = ("1m",),
        describe: Callable[[int], Instrument | None] | None = None,
        sessions: dict[str, tuple[str, str]] | None = None,
        sink: BarSink | None = None,
    ) -> None:
        self.ticks = ticks
        self.publish = publish
        self.describe = describe or (lambda _token: None)
        self.intervals = list(intervals)
        self.sessions = sessions or {"NSE": ("09:15", "15:30"), "MCX": ("09:00", "23:30")}
        self.sink = sink
        self.aggregators: dict[tuple[str, str], BarAggregator] = {
            (key, interval): BarAggregator(interval, session=session)
            for key, session in self.sessions.items()
            for interval in self.intervals
        }
        self._meta: dict[int, tuple[str, str, str]] = {}
        # Session keys by code (a session without aggregators raises KeyError, as a dict lookup did).
        self._keys = list(self.sessions)
        self._known: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._codes: NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self._only: NDArray[np.int64] | None = None
        self.batches = 0
        self.ticks_in = 0
        self.bars_out = 0
        self.sink_drops = 0

    def restrict(self, tokens: Iterable[int] | None) -> None:
        """Build bars only for ``tokens`` (None: every token ticking). Why: an options runner's
        hundreds of contracts would otherwise close hundreds of bars in one burst each minute,
        delaying the bars strategies wait for."""
        self._only = (
            None if tokens is None else np.unique(np.fromiter((int(t) for t in tokens), dtype=np.int64))
        )

    def _info(self, token: int) -> tuple[str, str, str]:
        meta = self._meta.get(token)
        if meta is None:
            inst = self.describe(token)
            exchange = inst.exchange if inst is not None else ""
            symbol = inst.tradingsymbol if inst is not None else ""
            meta = self._meta[token] = (symbol, exchange, session_of(exchange))
        return meta

    def forget(self, token: int) -> None:
        """Drop the cached symbol of ``token`` (after a resolver change)."""
        if self._meta.pop(int(token), None) is not None:
            self._rebuild_codes()

    def _session_codes(self, tokens: NDArray[np.int64]) -> NDArray[np.intp]:
        """The session (index into :attr:`sessions`' keys) of every token, from a sorted cache.

        Why arrays: a dict lookup per token per batch was a large part of the tick path; the
        cache is rebuilt only when tokens it has not seen arrive (or after :meth:`forget`).
        """
        known = self._known
        pos = np.searchsorted(known, tokens)
        if known.shape[0] == 0 or not bool((known[np.minimum(pos, known.shape[0] - 1)] == tokens).all()):
            for token in tokens.tolist():
                if token not in self._meta:
                    self._info(token)
            self._rebuild_codes()
            known = self._known
            pos = np.searchsorted(known, tokens)
        return self._codes[pos]

    def _rebuild_codes(self) -> None:
        index = {key: i for i, key in enumerate(self._keys)}
        pairs = sorted((token, index[meta[2]]) for token, meta in self._meta.items())
        self._known = np.array([t for t, _ in pairs], dtype=np.int64)
        self._codes = np.array([c for _, c in pairs], dtype=np.intp)

    def on_ticks(self, batch: TickBatch, latest: LatestTicks | None = None) -> list[Bar]:
        """Aggregate the batch's new ticks; publish and return the bars they closed.

        ``latest`` (``TickStore.latest_many`` of the batch's distinct tokens in order of first
        appearance), when the caller already read it, saves the store read; tokens appearing
        k > 1 times are read with ``TickStore.window_many`` (their newest k ticks).
        """
        self.batches += 1
        tokens = batch.tokens
        if self._only is not None:
            tokens = tokens[member_of(tokens, self._only)]
            if tokens.shape[0] == 0:
                return []
            if latest is not None:  # the caller's read, in first-appearance order: keep our rows
                kept = member_of(latest["token"], self._only)
                columns = cast(Mapping[str, NDArray[Any]], latest)
                latest = cast(LatestTicks, {name: column[kept] for name, column in columns.items()})
        unique, counts = distinct_tokens(tokens)
        if counts is None:
            read = latest if latest is not None else self.ticks.latest_many(unique)
            rows = cast(Mapping[str, NDArray[Any]], read)
            found = read["found"]
            if not bool(found.all()):
                rows = {name: column[found] for name, column in rows.items()}
        else:
            # Tokens with one new tick first, then those with several (each oldest first), as
            # the per-token reads ordered them.
            multi = counts > 1
            order = np.concatenate([unique[~multi], unique[multi]])
            rows = cast(
                Mapping[str, NDArray[Any]],
                self.ticks.window_many(order, np.concatenate([counts[~multi], counts[multi]])),
            )
        t = rows["token"]
        if t.shape[0] == 0:
            return []
        s, p = rows["ts_ns"], rows["last_price"]
        v = rows["volume"].astype(np.float64)
        codes = self._session_codes(t)
        first = int(codes[0])
        out: list[Bar] = []
        if bool((codes == first).all()):
            groups: list[tuple[int, NDArray[np.bool_] | None]] = [(first, None)]
        else:  # sessions in order of their first row
            present, at = np.unique(codes, return_index=True)
            groups = [(int(c), codes == c) for c in present[np.argsort(at)]]
        for code, mask in groups:
            key = self._keys[code]
            gt, gs, gp, gv = (t, s, p, v) if mask is None else (t[mask], s[mask], p[mask], v[mask])
            self.ticks_in += int(gt.shape[0])
            for interval in self.intervals:
                agg = self.aggregators[(key, interval)]
                out.extend(self._emit(agg.update(gt, gs, gp, gv), interval, batch.recv_ns, agg))
        return out

    def flush(self, now_ns: int) -> list[Bar]:
        """Close (publish and return) every bar whose interval ended at or before ``now_ns``."""
        out: list[Bar] = []
        # A bar the clock closes was triggered by the timer, not a tick: its trigger time (for the
        # latency of whatever it sets off) is now, on the wall clock.
        wall = time.time_ns()
        for (_key, interval), agg in self.aggregators.items():
            out.extend(self._emit(agg.flush(now_ns), interval, wall, agg))
        return out

    def flush_all(self) -> list[Bar]:
        """Close every open bar (shutdown, session end)."""
        out: list[Bar] = []
        for (_key, interval), agg in self.aggregators.items():
            out.extend(self._emit(agg.flush_all(), interval, 0, agg))
        return out

    def _emit(self, bars: Bars, interval: str, recv_ns: int, agg: BarAggregator) -> list[Bar]:
        rows = int(bars["token"].shape[0])
        if rows == 0:
            return []
        out: list[Bar] = []
        length = agg.interval_ns or 0  # the event happens when the bar closes (day bars: at their label)
        cols = [bars[name].tolist() for name in ("token", "start_ns", "open", "high", "low", "close")]
        meta, publish, now = self._meta, self.publish, time.time_ns()  # one creation stamp per call
        kind = EventType.BAR
        try:
            for token, start, o, h, lo, c, vol, n in zip(
                *cols, bars["volume"].tolist(), bars["ticks"].tolist(), strict=True
            ):
                symbol, exchange, _ = meta.get(token) or self._info(token)
                # Positional, in Bar's field order: keywords cost twice as much per bar (~0.5 µs), and
                # the bar a strategy waits for may be the last of a batch of hundreds.
                bar = Bar(token, symbol, interval, start, o, h, lo, c, vol, n, exchange, recv_ns)
                out.append(bar)
                if publish is not None:
                    publish(Event(kind, bar, start + length, now))
        finally:
            # Stored after the bars are out (and even when a publish raised): the Arrow table and
            # the writer thread's wake-up are not what a strategy waiting for the bar should wait for.
            self.bars_out += rows
            if self.sink is not None and not self.sink.append_bars(bars, interval, timeout=0):
                self.sink_drops += rows
        return out

    def stats(self) -> dict[str, Any]:
        """Counters: batches, ticks fed, bars out, sink drops, and each aggregator's tick counters."""
        return {
            "batches": self.batches,
            "ticks": self.ticks_in,
            "bars": self.bars_out,
            "sink_drops": self.sink_drops,
            "aggregators": {f"{k}:{i}": a.counters._asdict() for (k, i), a in self.aggregators.items()},
        }


__all__ = ["BarBuilder", "BarSink", "distinct_tokens", "session_of"]
