"""The simulator's daily instruments dump, generated deterministically for a trading date.

Tokens follow Kite's encoding: ``instrument_token = exchange_token << 8 | segment``
with segment NSE 1, NFO 2, MCX 7, indices 9. Indices and NSE stocks keep their
real Kite tokens; derivative tokens are assigned in listing order. Expiries
(2026 rules): NSE index and stock derivatives expire on Tuesday, monthly on the
last Tuesday of the month; NIFTY also has weekly Tuesday options. Holidays are
not modelled (an expiry never moves to the previous trading day). MCX futures
expire on the 19th of the month (the previous weekday when that is a weekend),
an approximation of the per-commodity MCX calendar.

MCX quantities count lots, as on Kite: the dump's MCX ``lot_size`` is 1 (Kite's is:
https://kite.trade/forum/discussion/5094) and each contract has a ``multiplier``, rupees
per (price x quantity) — a commodity's ``UnderlyingSpec.lot_size`` (CRUDEOIL 100 barrels
per lot, prices per barrel). The dump does not carry it (Kite's does not); positions
report it (``multiplier``), and so do margins, values and P&L. Elsewhere it is 1.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from alphastock.sim.config import SimConfig, UnderlyingSpec

SEGMENT_ID = {"NSE": 1, "NFO": 2, "MCX": 7, "INDICES": 9}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKLY_MONTH_CODE = "123456789OND"
CSV_COLUMNS = (
    "instrument_token", "exchange_token", "tradingsymbol", "name", "last_price", "expiry",
    "strike", "tick_size", "lot_size", "instrument_type", "segment", "exchange",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Instrument:
    """One row of the dump. ``index`` is the row number, used by the market model's arrays."""

    index: int
    instrument_token: int
    exchange_token: int
    tradingsymbol: str
    name: str
    last_price: float
    expiry: dt.date | None
    strike: float
    tick_size: float
    lot_size: int
    instrument_type: str  # EQ, FUT, CE, PE
    segment: str  # NSE, INDICES, NFO-FUT, NFO-OPT, MCX-FUT
    exchange: str  # NSE, NFO, MCX
    underlying: str  # UnderlyingSpec.name
    freeze_quantity: int | None
    multiplier: float = 1.0
    """Rupees per (price x quantity): an MCX contract's trading unit in quotation units, 1 elsewhere."""

    @property
    def key(self) -> str:
        """``EXCHANGE:TRADINGSYMBOL`` as the quote endpoints take it."""
        return f"{self.exchange}:{self.tradingsymbol}"

    @property
    def is_option(self) -> bool:
        """True for CE and PE."""
        return self.instrument_type in ("CE", "PE")

    @property
    def is_index(self) -> bool:
        """True for the non-tradable index rows."""
        return self.segment == "INDICES"


def last_weekday(year: int, month: int, weekday: int) -> dt.date:
    """The last ``weekday`` (Monday = 0) of a month."""
    day = dt.date(year, month, calendar.monthrange(year, month)[1])
    return day - dt.timedelta(days=(day.weekday() - weekday) % 7)


def monthly_expiries(day: dt.date, count: int, weekday: int = 1) -> list[dt.date]:
    """The next ``count`` last-``weekday``-of-month expiries on or after ``day``."""
    out: list[dt.date] = []
    year, month = day.year, day.month
    while len(out) < count:
        expiry = last_weekday(year, month, weekday)
        if expiry >= day:
            out.append(expiry)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def weekly_expiries(day: dt.date, count: int, weekday: int = 1) -> list[dt.date]:
    """The next ``count`` ``weekday`` dates on or after ``day``."""
    first = day + dt.timedelta(days=(weekday - day.weekday()) % 7)
    return [first + dt.timedelta(weeks=i) for i in range(count)]


def mcx_expiries(day: dt.date, count: int) -> list[dt.date]:
    """Approximate MCX futures expiries: the 19th, or the weekday before it."""
    out: list[dt.date] = []
    year, month = day.year, day.month
    while len(out) < count:
        expiry = dt.date(year, month, 19)
        while expiry.weekday() >= 5:
            expiry -= dt.timedelta(days=1)
        if expiry >= day:
            out.append(expiry)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _strike_text(strike: float) -> str:
    return f"{strike:g}" if strike != int(strike) else str(int(strike))


def option_symbol(name: str, expiry: dt.date, strike: float, kind: str, monthly: bool) -> str:
    """Kite's tradingsymbol: ``NIFTY26JAN25500CE`` (monthly) or ``NIFTY2611325500CE`` (weekly)."""
    if monthly:
        return f"{name}{expiry:%y}{MONTHS[expiry.month - 1]}{_strike_text(strike)}{kind}"
    return f"{name}{expiry:%y}{WEEKLY_MONTH_CODE[expiry.month - 1]}{expiry:%d}{_strike_text(strike)}{kind}"


def future_symbol(name: str, expiry: dt.date) -> str:
    """Kite's futures tradingsymbol, ``NIFTY26JANFUT``."""
    return f"{name}{expiry:%y}{MONTHS[expiry.month - 1]}FUT"


class _Builder:
    def __init__(self) -> None:
        self.rows: list[Instrument] = []
        self.next_exchange_token = {"NFO": 35000, "MCX": 400000}

    def add(self, spec: UnderlyingSpec, token: int | None, /, **fields: Any) -> None:
        exchange = str(fields["exchange"])
        segment = str(fields["segment"])
        if token is None:
            exchange_token = self.next_exchange_token[exchange]
            self.next_exchange_token[exchange] += 1
            token = exchange_token << 8 | SEGMENT_ID[segment.split("-")[0]]
        self.rows.append(
            Instrument(
                index=len(self.rows),
                instrument_token=token,
                exchange_token=token >> 8,
                underlying=spec.name,
                **fields,
            )
        )


def generate_instruments(config: SimConfig, spots: dict[str, float] | None = None) -> list[Instrument]:
    """The dump for ``config.trading_date()``; strikes are centred on ``spots`` (default: config spots)."""
    day = config.trading_date()
    spots = spots or {}
    b = _Builder()
    for spec in config.underlyings:
        spot = spots.get(spec.name, spec.spot)
        common = {"last_price": round(spot, 2), "strike": 0.0, "freeze_quantity": None}
        if spec.kind == "index":
            b.add(spec, spec.index_token, tradingsymbol=spec.index_symbol or spec.name,
                  name=spec.index_symbol or spec.name, expiry=None, tick_size=0.0, lot_size=0,
                  instrument_type="EQ", segment="INDICES", exchange="NSE", **common)  # fmt: skip
        elif spec.kind == "equity":
            b.add(spec, spec.equity_token, tradingsymbol=spec.name, name=spec.name, expiry=None,
                  tick_size=spec.tick_size, lot_size=1, instrument_type="EQ", segment="NSE",
                  exchange="NSE", **common)  # fmt: skip
        if spec.kind == "commodity":
            for expiry in mcx_expiries(day, 2):
                b.add(spec, None, tradingsymbol=future_symbol(spec.name, expiry), name=spec.name,
                      expiry=expiry, tick_size=spec.tick_size, lot_size=1, instrument_type="FUT",
                      segment="MCX-FUT", exchange="MCX", multiplier=float(spec.lot_size),
                      **common)  # fmt: skip
            continue
        monthlies = monthly_expiries(day, 3)
        fo = {"name": spec.name, "tick_size": 0.05, "lot_size": spec.lot_size, "exchange": "NFO"}
        if spec.futures:
            for expiry in monthlies:
                b.add(spec, None, tradingsymbol=future_symbol(spec.name, expiry), expiry=expiry,
                      instrument_type="FUT", segment="NFO-FUT",
                      **{**common, **fo, "freeze_quantity": spec.freeze_quantity})  # fmt: skip
        if spec.strike_step <= 0:
            continue
        option_expiries = set(monthlies[:2] if spec.kind == "equity" else monthlies)
        if spec.weekly:
            option_expiries.update(weekly_expiries(day, 4))
        atm = round(spot / spec.strike_step) * spec.strike_step
        strikes = [
            atm + i * spec.strike_step for i in range(-config.strikes_each_side, config.strikes_each_side + 1)
        ]
        for expiry in sorted(option_expiries):
            monthly = expiry in monthlies
            for strike in strikes:
                for kind in ("CE", "PE"):
                    b.add(spec, None, tradingsymbol=option_symbol(spec.name, expiry, strike, kind, monthly),
                          expiry=expiry, instrument_type=kind, segment="NFO-OPT",
                          **{**common, **fo, "strike": float(strike), "last_price": 0.0,
                             "freeze_quantity": spec.freeze_quantity})  # fmt: skip
    return b.rows


def instruments_csv(rows: list[Instrument], exchange: str | None = None) -> str:
    """The dump as Kite serves it (``GET /instruments``), optionally for one exchange."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        if exchange is not None and r.exchange != exchange:
            continue
        writer.writerow(
            (
                r.instrument_token, r.exchange_token, r.tradingsymbol,
                r.name,
                r.last_price, r.expiry.isoformat() if r.expiry else "", r.strike, r.tick_size,
                r.lot_size, r.instrument_type, r.segment, r.exchange,
            )
        )  # fmt: skip
    return out.getvalue()


__all__ = [
    "SEGMENT_ID",
    "Instrument",
    "future_symbol",
    "generate_instruments",
    "instruments_csv",
    "mcx_expiries",
    "monthly_expiries",
    "option_symbol",
    "weekly_expiries",
]
