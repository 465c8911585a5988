"""A NIFTY index and one weekly expiry of its options (lot 65, tick 0.05), quoted from Black-76 with a
smile: the reference data, the TickStore quotes and the chain snapshot the options executor reads."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from alphastock.execution.options import ChainBook
from alphastock.models import Instrument
from alphastock.options import price as option_price
from alphastock.options.chain import ChainSnapshot, build_chain, years_to_expiry
from alphastock.ticks import TickStore

NIFTY_INDEX = 256265
EXPIRY = dt.date(2026, 1, 13)
NEXT_EXPIRY = dt.date(2026, 1, 20)
STRIKES = tuple(float(k) for k in range(24000, 25050, 50))
LOT = 65
ALIASES = {"NIFTY 50": "NIFTY", "NIFTY": "NIFTY", "NIFTY BANK": "BANKNIFTY", "NIFTYBANK": "BANKNIFTY"}


def _option(token: int, strike: float, kind: str, expiry: dt.date) -> Instrument:
    symbol = f"NIFTY{expiry:%y%b}{int(strike)}{kind}".upper()
    return Instrument(
        instrument_token=token, exchange_token=token // 256, tradingsymbol=symbol, name="NIFTY",
        strike=strike, tick_size=0.05, lot_size=LOT, instrument_type=kind, segment="NFO-OPT",
        exchange="NFO", expiry=expiry, freeze_quantity=1800,
    )  # fmt: skip


@dataclass
class NiftyOptions:
    """Reference data of the test chain: what ``OptionsSetup.resolver`` needs."""

    expiries: Sequence[dt.date] = (EXPIRY,)
    contracts: dict[int, Instrument] = field(default_factory=dict)

    def __post_init__(self) -> None:
        token = 10_000_000
        for expiry in self.expiries:
            for strike in STRIKES:
                for kind in ("CE", "PE"):
                    self.contracts[token] = _option(token, strike, kind, expiry)
                    token += 1

    def underlying_name(self, symbol: str) -> str:
        key = symbol.strip().upper()
        return ALIASES.get(key, key)

    def option_expiries(self, underlying: str, today: dt.date, count: int) -> list[dt.date]:
        return [e for e in self.expiries if e >= today][:count] if underlying == "NIFTY" else []

    def describe(self, token: int) -> Instrument | None:
        return self.contracts.get(token)

    def spot(self, underlying: str) -> Instrument:
        if underlying != "NIFTY":
            raise KeyError(underlying)
        return Instrument(
            instrument_token=NIFTY_INDEX, exchange_token=1024, tradingsymbol="NIFTY 50", name="NIFTY 50",
            tick_size=0.05, lot_size=0, instrument_type="EQ", segment="INDICES", exchange="NSE",
        )  # fmt: skip

    def tokens(self, expiry: dt.date, kind: str) -> list[int]:
        """Tokens of one side of one expiry, by ascending strike."""
        rows = [i for i in self.contracts.values() if i.expiry == expiry and i.instrument_type == kind]
        return [i.instrument_token for i in sorted(rows, key=lambda i: i.strike)]


def quote(
    refdata: NiftyOptions,
    ticks: TickStore,
    now_ns: int,
    spot: float,
    *,
    iv: float = 0.14,
    expiry: dt.date = EXPIRY,
    spread_pct: float = 1.0,
    qty: int = 6500,
) -> ChainSnapshot:
    """Quote the expiry's options into ``ticks`` at ``now_ns`` (mid = Black-76 on the spot, a spread of
    ``spread_pct`` %, ``qty`` units each side) and return the chain snapshot built from them."""
    t = years_to_expiry(expiry, now_ns)
    strikes = np.asarray(STRIKES)
    smile = iv * (1 + 0.8 * np.log(strikes / spot) ** 2)
    calls, puts = refdata.tokens(expiry, "CE"), refdata.tokens(expiry, "PE")
    sides = []
    for tokens, flag in ((calls, "c"), (puts, "p")):
        mid = option_price(flag, spot, strikes, t, 0.0, smile, model="black76")
        half = np.maximum(np.round(mid * spread_pct / 200 / 0.05) * 0.05, 0.05)
        mid = np.round(mid / 0.05) * 0.05
        bid, ask = np.maximum(mid - half, 0.05), mid + half
        n = len(tokens)
        ticks.push_batch(
            tokens, [now_ns] * n, mid, bid=bid, ask=ask, bid_qty=[qty] * n, ask_qty=[qty] * n,
            volume=[100_000] * n, oi=[500_000] * n,
        )  # fmt: skip
        sides.append((bid, ask, mid))
    (cb, ca, cl), (pb, pa, pl) = sides
    n = len(STRIKES)
    return build_chain(
        "NIFTY", expiry, now_ns, spot, strikes, calls, puts, (cb, ca, cl), (pb, pa, pl), rate=0.0,
        call_volume=np.full(n, 1e5), call_oi=np.full(n, 5e5), put_volume=np.full(n, 1e5),
        put_oi=np.full(n, 5e5),
    )  # fmt: skip


def quote_index(ticks: TickStore, now_ns: int, spot: float) -> None:
    """NIFTY's index tick (no depth)."""
    ticks.push_batch([NIFTY_INDEX], [now_ns], [spot])


def fill_book(chains: ChainBook, snapshot: ChainSnapshot) -> None:
    """The runner's CHAIN publication, as the executor's chain book receives it."""
    chains.add(snapshot)


def premium(snapshot: ChainSnapshot, strike: float, kind: str = "CE") -> float:
    """The snapshot's ask of one contract (rupees)."""
    row = snapshot.row(strike)
    value = row["call_ask" if kind == "CE" else "put_ask"]
    assert math.isfinite(value)
    return float(value)
