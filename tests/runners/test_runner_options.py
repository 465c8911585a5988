"""Options runner: windows, chain snapshots against the simulator's own smile and carry, re-centring."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from alphastock.brokers.kite import KiteBroker
from alphastock.events import Event, EventType
from alphastock.options.chain import ChainSnapshot, build_chain, expiry_ns
from alphastock.refdata.resolver import SymbolResolver
from alphastock.runners.base import FeedHub
from alphastock.runners.options import OptionsRunner
from alphastock.runners.polling import QuotePoller
from alphastock.sim import SimServer
from alphastock.ticks import TickStore
from tests.runners.conftest import FakeClock, RecordingFeed, run, sim_now_ns

YEAR_NS = 365 * 86_400 * 10**9
WEEKLY, MONTHLY = dt.date(2026, 1, 13), dt.date(2026, 1, 27)


def _runner(
    resolver: SymbolResolver,
    clock: FakeClock,
    feed: RecordingFeed,
    ticks: TickStore,
    events: list[Event[object]],
) -> OptionsRunner:
    runner = OptionsRunner(
        FeedHub(feed), ticks, resolver, ["NIFTY", "NIFTYBANK"], strikes_each_side=10, expiries=2,
        snapshot_interval_s=5, recentre_strikes=3, publish=events.append, clock=clock,
    )  # fmt: skip

    async def scenario() -> None:
        await runner.initialize()
        await runner.start()

    run(scenario())
    return runner


def _sim_truth(sim: SimServer) -> dict[str, object]:
    def read(ex: object) -> dict[str, object]:
        state = ex.state  # type: ignore[attr-defined]
        m = state.model
        specs = {s.name: s for s in state.config.underlyings}
        return {
            "now": int(m.now_ns),
            "rate": state.config.rate,
            "spot": {n: float(m.spot[i]) for i, n in enumerate(m.und_names)},
            "smile": {n: (specs[n].atm_iv, specs[n].skew, specs[n].curvature) for n in specs},
        }

    return sim.call(read)


def test_window_subscriptions(sim: SimServer, resolver: SymbolResolver) -> None:
    clock, feed, ticks, events = FakeClock(sim_now_ns(sim)), RecordingFeed(), TickStore(8), []
    runner = _runner(resolver, clock, feed, ticks, events)
    nifty = runner.underlyings["NIFTY"]
    assert [w.expiry for w in nifty.windows] == [WEEKLY, dt.date(2026, 1, 20)]
    assert [w.expiry for w in runner.underlyings["BANKNIFTY"].windows] == [MONTHLY, dt.date(2026, 2, 24)]
    window = nifty.windows[0]
    assert window.window_strikes() == [25000.0 + 50 * i for i in range(21)]  # ATM 25500 +- 10 strikes
    assert feed.modes[256265] == "quote"
    assert feed.modes[260105] == "quote"
    options = [t for t, m in feed.modes.items() if m == "full"]
    assert len(options) == 4 * 21 * 2  # 2 underlyings x 2 expiries x 21 strikes x CE/PE
    assert runner.health().state == "ok"


def test_chain_iv_and_forward_match_the_simulator(
    sim: SimServer, broker: KiteBroker, resolver: SymbolResolver
) -> None:
    truth = _sim_truth(sim)
    clock, feed, ticks, events = FakeClock(int(truth["now"])), RecordingFeed(), TickStore(8), []  # type: ignore[arg-type]
    runner = _runner(resolver, clock, feed, ticks, events)
    keys = {}
    for token in feed.modes:
        inst = resolver.describe(token)
        assert inst is not None
        keys[token] = f"{inst.exchange}:{inst.tradingsymbol}"
    poller = QuotePoller(broker, ticks, lambda: keys, clock=clock)
    assert run(poller.poll_once()) == len(keys)
    runner.update_tokens(list(runner._spots))
    run(runner.on_timer(clock.now))
    chains = [e for e in events if e.type is EventType.CHAIN]
    assert len(chains) == 4
    spots: dict[str, float] = truth["spot"]  # type: ignore[assignment]
    smiles: dict[str, tuple[float, float, float]] = truth["smile"]  # type: ignore[assignment]
    rate = float(truth["rate"])  # type: ignore[arg-type]
    checked = 0
    for event in chains:
        snap = event.payload
        assert isinstance(snap, ChainSnapshot)
        t = (expiry_ns(snap.expiry) - clock.now) / YEAR_NS
        assert snap.time_to_expiry_years == pytest.approx(t)
        sim_forward = spots[snap.underlying] * math.exp(rate * t)
        assert snap.forward_source == "parity"
        assert snap.forward == pytest.approx(sim_forward, abs=0.5)
        atm, skew, curv = smiles[snap.underlying]
        for side in ("call", "put"):
            iv = getattr(snap, f"{side}_iv")
            mid = 0.5 * (getattr(snap, f"{side}_bid") + getattr(snap, f"{side}_ask"))
            usable = (getattr(snap, f"{side}_status") == 0) & (mid > 5.0)
            m = np.log(snap.strike / sim_forward)
            expected = np.clip(atm * (1 + skew * m + curv * m * m), 0.3 * atm, 4 * atm)
            assert usable.sum() >= 10
            # The simulator floors the bid to the tick, so a quoted mid is up to one tick (0.05) below
            # the model's: that moves the IV by up to 0.05 / vega (vega per IV point, so x100 per unit).
            vega = getattr(snap, f"{side}_vega")[usable] * 100.0
            err = np.abs(iv[usable] - expected[usable])
            assert np.all(err <= 0.002 + 0.05 / vega), (err, 0.002 + 0.05 / vega)
            checked += int(usable.sum())
        # Black-76 greeks on the forward: call delta - put delta = e^{-rt} (to the small call/put IV gap).
        row = snap.row(snap.atm_strike)
        assert row["call_delta"] - row["put_delta"] == pytest.approx(math.exp(-rate * t), abs=1e-4)
        assert row["call_gamma"] > 0
        assert row["call_vega"] > 0
        assert row["call_theta"] < 0
    assert checked > 100
    assert runner.snapshot()["rows"][0]["underlying"] == "NIFTY"


def test_snapshots_follow_the_interval(sim: SimServer, resolver: SymbolResolver) -> None:
    clock, feed, ticks, events = FakeClock(sim_now_ns(sim)), RecordingFeed(), TickStore(8), []
    runner = _runner(resolver, clock, feed, ticks, events)
    start = clock.now
    for offset_s in (0, 1, 4.9, 5, 7, 10):
        run(runner.on_timer(start + int(offset_s * 1e9)))
    stamps = sorted({e.ts_event for e in events})
    assert [(s - start) / 1e9 for s in stamps] == [0.0, 5.0, 10.0]
    assert runner.snapshots == 3 * 4
    # No quotes in the store: the chain falls back to carrying the spot, IVs are NaN with NO_PRICE.
    snap = events[0].payload
    assert isinstance(snap, ChainSnapshot)
    assert snap.forward_source == "carry"
    assert np.all(snap.call_status == 100)


def test_recentre_moves_the_window(sim: SimServer, resolver: SymbolResolver) -> None:
    clock, feed, ticks, events = FakeClock(sim_now_ns(sim)), RecordingFeed(), TickStore(8), []
    runner = _runner(resolver, clock, feed, ticks, events)
    windows = runner.underlyings["NIFTY"].windows
    before = {t for w in windows for t in w.tokens()}
    ticks.push(256265, clock.now, 25500.0 + 3 * 50)  # 3 strikes: inside the tolerance
    runner.update_tokens([256265])
    assert run(runner.recentre()) == []
    feed.calls.clear()
    ticks.push(256265, clock.now + 1, 25500.0 + 5 * 50 + 10)  # ATM now 25750, 5 strikes up
    runner.update_tokens([256265])
    moved = run(runner.recentre())
    assert moved == windows  # both NIFTY expiries; BANKNIFTY did not move
    for window in windows:
        assert window.window_strikes() == [25250.0 + 50 * i for i in range(21)]
        assert window.recentred == 1
    after = {t for w in windows for t in w.tokens()}
    subscribed = {t for kind, group, _ in feed.calls if kind == "subscribe" for t in group}
    unsubscribed = {t for kind, group, _ in feed.calls if kind == "unsubscribe" for t in group}
    assert subscribed == after - before
    assert unsubscribed == before - after
    assert len(after - before) == len(before - after) == 2 * 2 * 5  # 2 expiries x 5 strikes x CE/PE
    assert all(feed.modes.get(t) == "full" for t in after)
    assert not any(t in feed.modes for t in unsubscribed)


def test_build_chain_round_trips_black76_prices() -> None:
    from alphastock.options import price

    now = (
        int(
            dt.datetime(2026, 1, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))).timestamp()
        )
        * 10**9
    )
    t = (expiry_ns(MONTHLY) - now) / YEAR_NS
    forward, rate = 25600.0, 0.065
    strikes = np.arange(24500.0, 26700.0, 100.0)
    vols = 0.12 + 0.5 * np.log(strikes / forward) ** 2
    calls = price(True, forward, strikes, t, rate, vols, model="black76")
    puts = price(False, forward, strikes, t, rate, vols, model="black76")
    nan = np.full(strikes.shape, math.nan)
    snap = build_chain(
        "NIFTY", MONTHLY, now, 25500.0, strikes[::-1], np.arange(22), np.arange(22) + 100,
        (nan, nan, calls[::-1]), (nan, nan, puts[::-1]), rate=rate,
    )  # fmt: skip
    assert snap.forward == pytest.approx(forward, rel=1e-9)
    np.testing.assert_allclose(snap.strike, strikes)  # sorted ascending again
    np.testing.assert_allclose(snap.call_iv, vols, atol=1e-7)
    np.testing.assert_allclose(snap.put_iv, vols, atol=1e-7)
    assert snap.call_token[0] == 21  # tokens sorted with their strikes
    assert snap.atm_strike == 25600.0
    with pytest.raises(KeyError):
        snap.row(1.0)


def test_expired_windows_roll_to_the_next_expiries(sim: SimServer, resolver: SymbolResolver) -> None:
    clock, feed, ticks, events = FakeClock(sim_now_ns(sim)), RecordingFeed(), TickStore(8), []
    runner = _runner(resolver, clock, feed, ticks, events)
    nifty = runner.underlyings["NIFTY"]
    expired = set(nifty.windows[0].tokens())
    kept = nifty.windows[1]
    clock.now += 2 * 86_400 * 10**9  # Wednesday 14 January: the 13th's weekly has expired
    run(runner.on_timer(clock.now))
    assert [w.expiry for w in nifty.windows] == [dt.date(2026, 1, 20), MONTHLY]
    assert nifty.windows[0] is kept  # the live window is kept as it was
    assert not expired & set(feed.modes)
    assert all(feed.modes.get(t) == "full" for t in nifty.windows[1].tokens())
    assert [w.expiry for w in runner.underlyings["BANKNIFTY"].windows] == [MONTHLY, dt.date(2026, 2, 24)]
    assert {key[1] for key in runner.latest if key[0] == "NIFTY"} == {dt.date(2026, 1, 20), MONTHLY}


def test_chain_from_store_carries_quotes_volume_and_oi() -> None:
    from alphastock.options import price
    from alphastock.runners.options import chain_from_store

    now = expiry_ns(MONTHLY) - 10 * 86_400 * 10**9
    t = (expiry_ns(MONTHLY) - now) / YEAR_NS
    forward, rate, strikes = 25600.0, 0.065, [25500.0, 25600.0, 25700.0]
    calls = price(True, forward, strikes, t, rate, 0.14, model="black76")
    puts = price(False, forward, strikes, t, rate, 0.14, model="black76")
    ticks = TickStore(8)
    for i, k in enumerate(strikes):
        for token, premium in ((1000 + i, calls[i]), (2000 + i, puts[i])):
            if token == 2002:
                continue  # the 25700 put has no tick yet
            ticks.push(token, now - 1, float(premium), volume=int(k) + token, oi=7 * token,
                       bid=float(premium) - 0.05, ask=float(premium) + 0.05)  # fmt: skip
    snap = chain_from_store(
        ticks, "NIFTY", MONTHLY, now, 25550.0, strikes, [1000, 1001, 1002], [2000, 2001, 0]
    )
    np.testing.assert_array_equal(snap.call_volume, [26500.0, 26601.0, 26702.0])
    np.testing.assert_array_equal(snap.call_oi, [7000.0, 7007.0, 7014.0])
    np.testing.assert_array_equal(snap.put_volume[:2], [27500.0, 27601.0])
    np.testing.assert_array_equal(snap.put_oi[:2], [14000.0, 14007.0])
    assert math.isnan(snap.put_volume[2])
    assert math.isnan(snap.put_oi[2])
    assert math.isnan(snap.put_bid[2])
    assert snap.call_bid[1] == pytest.approx(calls[1] - 0.05)
    assert snap.forward == pytest.approx(forward, abs=1e-6)
    row = snap.row(25600.0)
    assert (row["call_volume"], row["call_oi"], row["put_volume"], row["put_oi"]) == (
        26601.0,
        7007.0,
        27601.0,
        14007.0,
    )
    summary = snap.summary()
    assert summary["volume"] == 26500 + 26601 + 26702 + 27500 + 27601
    assert summary["oi"] == 7000 + 7007 + 7014 + 14000 + 14007


def test_build_chain_volume_and_oi_default_to_nan_and_follow_the_strike_order() -> None:
    now = expiry_ns(MONTHLY) - 5 * 86_400 * 10**9
    nan = np.full(2, math.nan)
    snap = build_chain(
        "NIFTY", MONTHLY, now, 25500.0, [25600.0, 25500.0], [1, 2], [3, 4], (nan, nan, nan), (nan, nan, nan),
    )  # fmt: skip
    assert np.isnan(snap.call_volume).all()
    assert np.isnan(snap.put_oi).all()
    assert math.isnan(snap.summary()["volume"])
    snap = build_chain(
        "NIFTY", MONTHLY, now, 25500.0, [25600.0, 25500.0], [1, 2], [3, 4], (nan, nan, nan), (nan, nan, nan),
        call_volume=[10, 20], call_oi=[30, 40], put_volume=[50, 60], put_oi=[70, 80],
    )  # fmt: skip
    np.testing.assert_array_equal(snap.call_volume, [20.0, 10.0])
    np.testing.assert_array_equal(snap.put_oi, [80.0, 70.0])
    with pytest.raises(ValueError, match="call_oi has 1 values for 2 strikes"):
        build_chain(
            "NIFTY", MONTHLY, now, 25500.0, [25600.0, 25500.0], [1, 2], [3, 4], (nan, nan, nan),
            (nan, nan, nan), call_oi=[1.0],
        )  # fmt: skip
