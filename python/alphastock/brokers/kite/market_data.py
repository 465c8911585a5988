"""The KiteBroker's market-data role (:class:`~alphastock.ports.MarketDataClient`): quotes
(Kite's quote limit, 1 request/s), the instruments dump and historical candles (3 requests/s), each a
read (rate-limited, retried on 429/5xx)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from alphastock.brokers.kite.historical import chunk_range
from alphastock.brokers.kite.rest import KiteRest
from alphastock.models import IST, Candle, Instrument, Ltp, Ohlc, Quote
from alphastock.ports import CandleInterval


def _ist_naive(value: dt.datetime) -> dt.datetime:
    """Kite reads request times as IST wall time: convert aware datetimes, keep naive ones (IST)."""
    return value.astimezone(IST).replace(tzinfo=None) if value.tzinfo is not None else value


class KiteMarketDataCalls(KiteRest):
    """Kite's market data over REST (see the module doc); the KiteBroker's market-data role."""

    # ----- market data -----------------------------------------------------------------------------

    async def quote(self, instruments: Sequence[str]) -> dict[str, Quote]:
        """Full quotes (Kite ``quote``; 1 request/s)."""
        data = await self._read("quote", self._kite.quote, list(instruments))
        return {key: Quote.from_kite(value) for key, value in data.items()}

    async def ohlc(self, instruments: Sequence[str]) -> dict[str, Ohlc]:
        """Last price and day OHLC (Kite ``ohlc``; quote limit)."""
        data = await self._read("quote", self._kite.ohlc, list(instruments))
        return {key: Ohlc.from_kite(value) for key, value in data.items()}

    async def ltp(self, instruments: Sequence[str]) -> dict[str, Ltp]:
        """Last traded prices (Kite ``ltp``; quote limit)."""
        data = await self._read("quote", self._kite.ltp, list(instruments))
        return {key: Ltp.from_kite(value) for key, value in data.items()}

    async def instruments(self, exchange: str | None = None) -> list[Instrument]:
        """The instruments dump (Kite ``instruments``), without freeze quantities (see
        :class:`~alphastock.refdata.store.InstrumentStore`)."""
        rows = await self._read("other", self._kite.instruments, exchange)
        return [Instrument.from_kite(row) for row in rows]

    async def historical(
        self,
        instrument_token: int,
        from_date: dt.datetime,
        to_date: dt.datetime,
        interval: CandleInterval,
        *,
        continuous: bool = False,
        oi: bool = False,
    ) -> list[Candle]:
        """Candles of ``[from_date, to_date]`` (Kite ``historical_data``; 3 requests/s), oldest first.

        A range longer than Kite's span for ``interval`` is cut into consecutive requests
        (:func:`~alphastock.brokers.kite.historical.chunk_range`); naive datetimes are IST.
        """
        candles: list[Candle] = []
        for lo, hi in chunk_range(from_date, to_date, interval):
            rows = await self._read(
                "historical",
                self._kite.historical_data,
                instrument_token,
                _ist_naive(lo),
                _ist_naive(hi),
                interval,
                continuous=continuous,
                oi=oi,
            )
            candles.extend(Candle.from_kite(row) for row in rows)
        return candles


__all__ = ["KiteMarketDataCalls"]
