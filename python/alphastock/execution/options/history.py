"""The ``historical`` premium-level method's data: how much an option's premium moved per percent of its
underlying, measured from this system's own recorded ticks in DuckDB (``ticks``: the recorder keeps every
tick a live or paper session stored; ``instruments``: every dump, so expired contracts are known too).

:func:`recorded_elasticity` reads one underlying's option ticks and its spot ticks of the last
``lookback_days`` and buckets the windows by moneyness and days to expiry
(:func:`~alphastock.options.elasticity.elasticity_from_ticks`). It reads DuckDB: the executor calls it at
start, off the loop, never on the signal path; a bucket with fewer than ``levels.min_samples`` windows
falls back to ``reprice`` (:func:`~alphastock.options.targets.premium_levels`).

Units: times UTC epoch ns, prices rupees, horizon seconds.
"""

from __future__ import annotations

import datetime as dt
import logging

from alphastock.options.elasticity import ElasticityTable, elasticity_from_ticks
from alphastock.store import Store

log = logging.getLogger(__name__)

NS_PER_DAY = 86_400 * 1_000_000_000


def recorded_elasticity(
    store: Store,
    underlying: str,
    spot_token: int,
    now_ns: int,
    *,
    lookback_days: float = 30.0,
    horizon_s: float = 3600.0,
    exchange: str = "NFO",
) -> ElasticityTable | None:
    """The elasticity table of ``underlying``'s options from the ticks recorded in the last
    ``lookback_days``; None when no option of it has recorded ticks."""
    contracts = store.query(
        "SELECT DISTINCT instrument_token, strike, expiry, instrument_type FROM instruments "
        "WHERE name = ? AND exchange = ? AND instrument_type IN ('CE', 'PE') AND expiry IS NOT NULL",
        [underlying, exchange],
    ).to_pylist()
    if not contracts:
        return None
    strikes = {int(c["instrument_token"]): float(c["strike"]) for c in contracts}
    expiries: dict[int, dt.date] = {int(c["instrument_token"]): c["expiry"] for c in contracts}
    kinds = {int(c["instrument_token"]): str(c["instrument_type"]) for c in contracts}
    since = now_ns - int(lookback_days * NS_PER_DAY)
    option_ticks = store.query(
        "SELECT t.token, t.ts_ns, t.last_price FROM ticks t "
        "JOIN (SELECT DISTINCT instrument_token FROM instruments WHERE name = ? AND exchange = ? "
        "AND instrument_type IN ('CE', 'PE')) o ON t.token = o.instrument_token "
        "WHERE t.ts_ns >= ? AND t.last_price > 0",
        [underlying, exchange, since],
    )
    if option_ticks.num_rows == 0:
        return None
    spot_ticks = store.query(
        "SELECT ts_ns, last_price FROM ticks WHERE token = ? AND ts_ns >= ? AND last_price > 0 "
        "ORDER BY ts_ns",
        [spot_token, since],
    )
    if spot_ticks.num_rows == 0:
        return None
    table = elasticity_from_ticks(option_ticks, spot_ticks, strikes, expiries, kinds, horizon_s=horizon_s)
    log.info(
        "recorded elasticity of %s: %d windows from %d option ticks", underlying, int(table.samples.sum()),
        option_ticks.num_rows,
    )  # fmt: skip
    return table


__all__ = ["recorded_elasticity"]
