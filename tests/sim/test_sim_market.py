"""The market model: determinism, prices on tick, spreads, the smile, futures carry, replay, the CLI."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from alphastock.cli import app
from alphastock.options import implied_vol
from alphastock.sim import SimConfig, generate_instruments
from alphastock.sim.instruments import mcx_expiries, monthly_expiries, option_symbol
from alphastock.sim.market import KIND_FUTURE, KIND_OPTION, MarketModel
from alphastock.sim.state import SimState
from tests._data import NSE_MINUTE
from tests.sim.conftest import DAY, make_config


def _model(seed: int) -> MarketModel:
    config = make_config(seed=seed)
    return MarketModel(config, generate_instruments(config))


def test_same_seed_same_market_different_seed_different() -> None:
    a, b, c = _model(11), _model(11), _model(12)
    for m in (a, b, c):
        m.step(120)
    for name in ("ltp", "bid_px", "ask_qty", "volume", "oi", "high"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.ltp, c.ltp)
    assert a.now_ns - _model(11).now_ns == 120 * 10**9


def test_quotes_are_on_tick_with_positive_spreads() -> None:
    m = _model(3)
    m.step(60)
    tradable = m.kind != 0
    ticks = m.tick[tradable]
    for arr in (m.bid_px[tradable, 0], m.ask_px[tradable, 0], m.ltp[tradable]):
        steps = arr / ticks
        np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)
    spread = m.ask_px[tradable, 0] - m.bid_px[tradable, 0]
    assert (spread >= ticks - 1e-9).all()
    assert (np.diff(m.ask_px[tradable], axis=1) > 0).all()
    opt = m.opt
    rel = spread[np.isin(np.flatnonzero(tradable), opt)] / m.mid[opt]
    far = np.abs(np.log(m.strike[opt] / m.spot[m.und[opt]])) > 0.04
    assert rel[far].mean() > rel[~far].mean()  # far strikes are quoted wider


def test_option_prices_follow_the_smile_and_futures_the_carry() -> None:
    config = make_config()
    rows = generate_instruments(config)
    m = MarketModel(config, rows)
    nifty = [r for r in rows if r.name == "NIFTY" and r.is_option and r.expiry == dt.date(2026, 1, 27)]
    puts = sorted((r for r in nifty if r.instrument_type == "PE"), key=lambda r: r.strike)
    t = (dt.datetime(2026, 1, 27, 15, 30) - dt.datetime(2026, 1, 12, 9, 15)).total_seconds() / (365 * 86400)
    fwd = 25500 * np.exp(0.065 * t)
    ivs = [float(implied_vol(m.mid[r.index], "p", fwd, r.strike, t, 0.065, model="black76")) for r in puts]
    atm = int(np.argmin([abs(r.strike - fwd) for r in puts]))
    assert ivs[0] > ivs[atm]
    assert ivs[atm] == pytest.approx(0.12, abs=0.003)
    fut = next(r for r in rows if r.tradingsymbol == "NIFTY26JANFUT")
    assert m.kind[fut.index] == KIND_FUTURE
    assert m.close[fut.index] == pytest.approx(fwd, abs=0.5)
    assert (m.kind == KIND_OPTION).sum() == len([r for r in rows if r.is_option])


def test_expiry_calendar_and_symbols() -> None:
    assert monthly_expiries(dt.date(2026, 3, 1), 2) == [dt.date(2026, 3, 31), dt.date(2026, 4, 28)]
    assert mcx_expiries(dt.date(2026, 4, 20), 1) == [dt.date(2026, 5, 19)]
    assert mcx_expiries(dt.date(2026, 7, 1), 1) == [dt.date(2026, 7, 17)]  # the 19th is a Sunday
    assert option_symbol("NIFTY", dt.date(2026, 10, 6), 25000, "PE", monthly=False) == "NIFTY26O0625000PE"
    assert (
        option_symbol("BANKNIFTY", dt.date(2026, 1, 27), 57000, "CE", monthly=True) == "BANKNIFTY26JAN57000CE"
    )
    assert SimConfig(date=dt.date(2026, 1, 10)).trading_date() == dt.date(
        2026, 1, 12
    )  # Saturday rolls to Monday


def test_freeze_quantities_are_configurable() -> None:
    base = make_config()
    specs = tuple(
        s.model_copy(update={"freeze_quantity": 650}) if s.name == "NIFTY" else s for s in base.underlyings
    )
    rows = generate_instruments(base.model_copy(update={"underlyings": specs}))
    assert {r.freeze_quantity for r in rows if r.name == "NIFTY" and r.exchange == "NFO"} == {650}


def test_replay_follows_the_recorded_bars() -> None:
    state = SimState(make_config(replay=NSE_MINUTE, date=None))
    m = state.model
    assert m.day == dt.date(2021, 4, 1)
    nifty = state.by_key["NSE:NIFTY 50"].index
    text = (NSE_MINUTE / "NIFTY_2021-04_1m.csv").read_text().splitlines()
    bars = {
        line[11:16]: [float(x) for x in line.split(",")[1:5]]
        for line in text[1:]
        if line.startswith("2021-04-01")
    }
    m.step(60)  # 09:16:00: the start of the second bar, at its open
    assert m.ltp[nifty] == pytest.approx(bars["09:16"][0], abs=0.01)
    assert m.open[nifty] == pytest.approx(bars["09:15"][0], abs=0.01)
    m.step(14 * 60)  # 09:30:00
    assert m.ltp[nifty] == pytest.approx(bars["09:30"][0], abs=0.01)
    minutes = [bars[f"09:{k}"] for k in range(15, 30)]
    assert m.high[nifty] == pytest.approx(max(b[1] for b in minutes), abs=0.01)
    assert m.low[nifty] == pytest.approx(min(b[2] for b in minutes), abs=0.01)
    assert any(r.tradingsymbol.startswith("NIFTY21APR") for r in state.instruments)


def test_cli_sim_serve_prints_where_it_listens() -> None:
    result = CliRunner().invoke(
        app, ["sim", "serve", "--port", "0", "--speed", "60", "--duration", "0.3", "--seed", "5"],
        env={"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert re.search(r"REST http://127\.0\.0\.1:\d+\s+WebSocket ws://127\.0\.0\.1:\d+", result.output)
    assert "api_key sim_api_key" in result.output
    assert "seed 5" in result.output
    assert "stopped" in result.output
    assert DAY.year == 2026


def test_option_spreads_carry_seeded_noise_and_premiums_decay_with_time() -> None:
    a, b = _model(5), _model(5)
    opt = a.opt
    moneyness = np.abs(np.log(a.strike[opt] / a.spot[a.und[opt]]))
    atm = int(opt[np.argmin(moneyness + (a.expiry_ns[opt] > a.expiry_ns[opt].min()))])  # nearest expiry
    rel_spreads = []
    for _ in range(40):
        for m in (a, b):
            m.step(1)
        rel_spreads.append((a.ask_px[atm, 0] - a.bid_px[atm, 0]) / a.mid[atm])
        np.testing.assert_array_equal(a.ask_px, b.ask_px)  # the noise is seeded: same seed, same quotes
    ticks = np.round(np.array(rel_spreads) * a.mid[atm] / a.tick[atm])
    assert len(set(ticks.tolist())) > 2  # the width moves from quote to quote, not only with the premium
    assert min(rel_spreads) > 0
    # Time to expiry: at the same spot a day later, every call near the money is worth less (a put deep
    # enough in the money may gain from the carry, as in Black-76).
    near = (np.abs(np.log(a.strike[opt] / a.spot[a.und[opt]])) < 0.02) & a.is_call[opt]
    before = a._theoretical(np.zeros(a.n))[opt][near]
    a.now_ns += 86_400 * 10**9
    after = a._theoretical(np.zeros(a.n))[opt][near]
    assert near.sum() > 20
    priced = before > 0.05 + 1e-9  # above the Rs 0.05 floor (a contract expiring tomorrow may sit on it)
    assert priced.sum() > 20
    assert (after[priced] < before[priced]).all()
    assert (after <= before + 1e-9).all()
