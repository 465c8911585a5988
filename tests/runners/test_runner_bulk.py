"""The bulk tick path: apply_latest equals per-tick Level.update, routing of one bulk read to runners,
and BarBuilder's bulk reads (duplicates, mixed sessions, forget) equal per-token aggregation."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, cast

import numpy as np

from alphastock.bars import BarAggregator
from alphastock.events import Bar, Event, TickBatch
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.bars import BarBuilder, distinct_tokens
from alphastock.runners.base import FeedHub, Runner
from alphastock.runners.equity import EquityRunner, Level
from alphastock.runners.runnerset import RunnerSet
from alphastock.ticks import Tick, TickStore
from tests.runners.conftest import RecordingFeed
from tests.runners.test_runner_bars import CRUDE, INSTRUMENTS, RELIANCE, SBIN, _instrument

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
NS = 1_000_000_000
START = int(dt.datetime(2026, 1, 12, 9, 15, tzinfo=IST).timestamp()) * NS


def _equity(ticks: TickStore, tokens: list[int]) -> EquityRunner:
    runner = EquityRunner(FeedHub(RecordingFeed()), ticks, cast(SymbolResolver, None), [], mode="full")
    for token in tokens:
        runner.levels[token] = Level(f"S{token}", "NSE", token)
        runner.subscribed[token] = "full"
    return runner


def test_distinct_tokens_keeps_first_appearance_order_and_counts_repeats() -> None:
    unique, counts = distinct_tokens(np.array([5, 3, 9], dtype=np.int64))
    assert (unique.tolist(), counts) == ([5, 3, 9], None)
    unique, counts = distinct_tokens(np.array([5, 3, 5, 9, 3, 5], dtype=np.int64))
    assert unique.tolist() == [5, 3, 9]
    assert counts is not None
    assert counts.tolist() == [3, 2, 1]
    assert distinct_tokens(np.array([], dtype=np.int64))[0].tolist() == []


def test_apply_latest_equals_level_update_tick_by_tick() -> None:
    rng = random.Random(7)
    tokens = [101, 102, 103, 104]
    ticks = TickStore(4)
    runner = _equity(ticks, tokens[:3])  # 104 is not followed
    model = {t: Level(f"S{t}", "NSE", t) for t in tokens[:3]}
    for step in range(60):
        batch = rng.sample(tokens, rng.randint(1, 4))
        for token in batch:
            price = (
                rng.choice([0.0, -1.0, round(rng.uniform(90, 110), 2)])
                if step % 7 == 0
                else rng.uniform(90, 110)
            )
            volume = rng.choice([0, 10 * step])
            if (
                ticks.push(token, START + step, abs(price) if price > 0 else 0.0, volume=volume)
                and token in model
            ):
                model[token].update(abs(price) if price > 0 else 0.0, volume, START + step)
        latest = ticks.latest_many(batch)
        runner.apply_latest(latest, np.flatnonzero(latest["found"]))
    for token, want in model.items():
        # repr spells NaN out, so "not set yet" fields compare equal
        assert repr(runner.levels[token]) == repr(want)
    assert runner.levels[101].last > 0
    assert runner.levels[101].high >= runner.levels[101].low


class Spot(Runner):
    """A runner overriding update_tokens only (like the futures and options runners)."""

    name = "spot"

    def __init__(self, ticks: TickStore, tokens: list[int]) -> None:
        super().__init__(FeedHub(RecordingFeed()), ticks)
        self.subscribed = dict.fromkeys(tokens, "ltp")
        self.seen: list[list[int]] = []

    def update_tokens(self, tokens: list[int]) -> None:
        self.seen.append(tokens)


class Raw(Spot):
    """A runner overriding apply: gets Tick rows equal to TickStore.latest."""

    name = "raw"

    def apply(self, ticks: list[Tick]) -> None:
        self.got = ticks


def test_one_bulk_read_is_routed_to_each_runner_holding_the_tokens() -> None:
    ticks = TickStore(8)
    for i, token in enumerate((SBIN, RELIANCE, CRUDE, 42)):
        ticks.push(token, START + NS, 100.0 + i, volume=10 * i, bid=99.0 + i, bid_qty=3)
    ticks.push(SBIN, START + 2 * NS, 101.5, volume=20)
    equity = _equity(ticks, [SBIN, RELIANCE])
    spot, raw = Spot(ticks, [CRUDE, SBIN, 77]), Raw(ticks, [RELIANCE, CRUDE])
    bars = BarBuilder(ticks, None, describe=INSTRUMENTS.get)
    runners = RunnerSet(
        [equity, spot, raw], FeedHub(RecordingFeed()), ticks, cast(SymbolResolver, None), bars
    )
    runners.reroute()
    # SBIN twice (two new ticks), 42 nobody's, 77 subscribed but never ticked.
    runners.on_ticks(TickBatch(tokens=np.array([CRUDE, SBIN, 42, RELIANCE, SBIN, 77], dtype=np.int64)))
    assert (equity.levels[SBIN].last, equity.levels[SBIN].volume) == (101.5, 20)
    assert (equity.levels[RELIANCE].last, equity.updates) == (101.0, 2)
    assert spot.seen == [[CRUDE, SBIN]]  # batch order, each once, 77 not found
    assert repr(raw.got) == repr([ticks.latest(CRUDE), ticks.latest(RELIANCE)])  # NaN ask: compare as text
    assert bars.stats()["ticks"] == 5  # SBIN's two ticks, CRUDE, RELIANCE and 42
    # A raising runner is degraded; the others still run.
    spot.update_tokens = lambda tokens: 1 / 0  # type: ignore[method-assign, assignment, misc]
    ticks.push(SBIN, START + 3 * NS, 102.0)
    runners.on_ticks(TickBatch(tokens=np.array([SBIN], dtype=np.int64)))
    assert equity.levels[SBIN].last == 102.0
    assert spot.errors == ["update failed: division by zero"]


class PerToken:
    """What per-token reads gave: per session, single-tick tokens then repeated ones (window of k)."""

    def __init__(self, store: TickStore, sessions: dict[str, tuple[str, str]]) -> None:
        self.store = store
        self.aggs = {k: BarAggregator("1m", session=s) for k, s in sessions.items()}
        self.out: list[tuple[Any, ...]] = []

    def on_batch(self, batch: list[int]) -> None:
        counts: dict[int, int] = {}
        for t in batch:
            counts[t] = counts.get(t, 0) + 1
        rows: dict[str, list[tuple[int, int, float, float]]] = {}
        for t in [t for t, c in counts.items() if c == 1] + [t for t, c in counts.items() if c > 1]:
            w = self.store.window(t, counts[t])
            rows.setdefault("MCX" if t == CRUDE else "NSE", []).extend(
                zip(
                    [t] * counts[t],
                    w["ts_ns"].tolist(),
                    w["last_price"].tolist(),
                    w["volume"].tolist(),
                    strict=True,
                )
            )
        for key, r in rows.items():
            t, s, p, v = (np.array(c) for c in zip(*r, strict=True))
            bars = self.aggs[key].update(t, s, p, v.astype(np.float64))
            names = ("token", "start_ns", "open", "close", "volume")
            self.out.extend(zip(*(bars[n].tolist() for n in names), strict=True))


def test_bar_builder_bulk_reads_equal_per_token_reads() -> None:
    rng = random.Random(3)
    evening = int(dt.datetime(2026, 1, 12, 15, 20, tzinfo=IST).timestamp()) * NS  # both sessions open
    store, events = TickStore(16), []
    builder = BarBuilder(store, cast(Any, events.append), describe=INSTRUMENTS.get)
    reference = PerToken(store, builder.sessions)
    ts = evening
    for _ in range(80):
        batch = [rng.choice([SBIN, RELIANCE, CRUDE]) for _ in range(rng.randint(1, 5))]
        for token in batch:
            ts += rng.randint(1, 20) * NS
            assert store.push(token, ts, round(rng.uniform(90, 110), 2), volume=ts // NS - evening // NS)
        builder.on_ticks(TickBatch(tokens=np.array(batch, dtype=np.int64)))
        reference.on_batch(batch)
    got = [
        (b.token, b.start_ns, b.open, b.close, b.volume)
        for b in (cast(Event[Bar], e).payload for e in events)
    ]
    assert got == reference.out
    assert len(got) > 20
    assert {b[0] for b in got} == {SBIN, RELIANCE, CRUDE}


def test_forget_re_describes_a_token() -> None:
    store, events = TickStore(4), []
    described = {SBIN: INSTRUMENTS[SBIN]}
    builder = BarBuilder(store, cast(Any, events.append), describe=described.get)
    store.push(SBIN, START, 10.0)
    builder.on_ticks(TickBatch(tokens=np.array([SBIN], dtype=np.int64)))
    described[SBIN] = _instrument(SBIN, "SBIN-NEW", "NSE")
    builder.forget(SBIN)
    store.push(SBIN, START + 61 * NS, 11.0)
    builder.on_ticks(TickBatch(tokens=np.array([SBIN], dtype=np.int64)))
    (bar,) = [cast(Event[Bar], e).payload for e in events]
    assert (bar.symbol, bar.close) == ("SBIN-NEW", 10.0)
