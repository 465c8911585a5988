"""Bars from the tick store (:class:`BarBuilder`): TICK_BATCH in, BAR events out.

One :class:`~alphastock.bars.BarAggregator` per (session, interval): NSE/NFO tokens
use the NSE session (09:15-15:30 IST), MCX tokens the MCX one (09:00-23:30 IST).
For every token of a batch (a token appearing k times in the batch has k new ticks)
the newest k ticks are read from the TickStore and fed to the aggregators with their
cumulative day volume; closed bars become :class:`~alphastock.events.Bar` events
handed to ``publish``. :meth:`flush` (from a timer) closes bars whose time is up
without waiting for a new tick.

Units: prices rupees, volume units, times UTC epoch ns.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from alphastock.bars import BarAggregator, Bars
from alphastock.events import Bar, Event, EventType, TickBatch
from alphastock.models import Instrument
from alphastock.runners.base import Publish
from alphastock.ticks import Tick, TickStore

log = logging.getLogger(__name__)


class BarSink(Protocol):
    """Where closed bars may also go (the store's BatchWriter)."""

    def append_bars(self, bars: Any, interval: str, *, timeout: float | None = None) -> bool:
        """Queue closed bars of ``interval``."""
        ...


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
        self.batches = 0
        self.ticks_in = 0
        self.bars_out = 0
        self.sink_drops = 0

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
        self._meta.pop(int(token), None)

    def on_ticks(self, batch: TickBatch, latest: Mapping[int, Tick] | None = None) -> list[Bar]:
        """Aggregate the batch's new ticks; publish and return the bars they closed.

        ``latest`` (token -> newest tick), when the caller already read it, saves a TickStore
        read per token; tokens appearing k > 1 times are read with ``window(token, k)``.
        """
        self.batches += 1
        raw = batch.tokens.tolist()
        counts: Mapping[int, int] = dict.fromkeys(raw, 1)
        if len(counts) != len(raw):
            counts = Counter(raw)
        # Per session: newest ticks (tuples: token, ts_ns, last_price, last_qty, volume, ...) of
        # single-tick tokens, and (token, window) of tokens with several ticks in the batch.
        singles: dict[str, list[tuple[Any, ...]]] = {}
        multis: dict[str, list[tuple[int, Any]]] = {}
        meta = self._meta
        read = self.ticks.latest
        for token, count in counts.items():
            info = meta.get(token) or self._info(token)
            if count == 1:
                tick = latest.get(token) if latest is not None else read(token)
                if tick is not None:
                    bucket = singles.get(info[2])
                    if bucket is None:
                        bucket = singles[info[2]] = []
                    bucket.append(tick)
            else:
                multis.setdefault(info[2], []).append((token, self.ticks.window(token, count)))
        out: list[Bar] = []
        for key in dict.fromkeys([*singles, *multis]):
            rows = singles.get(key, [])
            fields = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
            t = np.array(fields[0], dtype=np.int64)
            s = np.array(fields[1], dtype=np.int64)
            p = np.array(fields[2], dtype=np.float64)
            v = np.array(fields[4], dtype=np.float64)
            extra = multis.get(key)
            if extra:
                t = np.concatenate([t, *(np.full(len(w["ts_ns"]), tok, dtype=np.int64) for tok, w in extra)])
                s = np.concatenate([s, *(w["ts_ns"] for _, w in extra)])
                p = np.concatenate([p, *(w["last_price"] for _, w in extra)])
                v = np.concatenate([v, *(w["volume"].astype(np.float64) for _, w in extra)])
            if t.shape[0] == 0:
                continue
            self.ticks_in += int(t.shape[0])
            for interval in self.intervals:
                agg = self.aggregators[(key, interval)]
                out.extend(self._emit(agg.update(t, s, p, v), interval, batch.recv_ns, agg))
        return out

    def flush(self, now_ns: int) -> list[Bar]:
        """Close (publish and return) every bar whose interval ended at or before ``now_ns``."""
        out: list[Bar] = []
        for (_key, interval), agg in self.aggregators.items():
            out.extend(self._emit(agg.flush(now_ns), interval, 0, agg))
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
        if self.sink is not None and not self.sink.append_bars(bars, interval, timeout=0):
            self.sink_drops += rows
        out: list[Bar] = []
        length = agg.interval_ns or 0  # the event happens when the bar closes (day bars: at their label)
        cols = [bars[name].tolist() for name in ("token", "start_ns", "open", "high", "low", "close")]
        vols, ticks = bars["volume"].tolist(), bars["ticks"].tolist()
        for i in range(rows):
            token = cols[0][i]
            symbol, exchange, _ = self._info(token)
            bar = Bar(
                token=token, symbol=symbol, interval=interval, start_ns=cols[1][i], open=cols[2][i],
                high=cols[3][i], low=cols[4][i], close=cols[5][i], volume=vols[i], ticks=ticks[i],
                exchange=exchange, recv_ns=recv_ns,
            )  # fmt: skip
            out.append(bar)
            if self.publish is not None:
                self.publish(Event(EventType.BAR, bar, bar.start_ns + length))
        self.bars_out += rows
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


__all__ = ["BarBuilder", "BarSink", "session_of"]
