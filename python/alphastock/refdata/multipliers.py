"""Contract multipliers: how many rupees one rupee of price is worth per unit of Kite's quantity.

Money is ``price x quantity x multiplier`` rupees everywhere in AlphaStock (positions, P&L, risk
notional, charges' turnover). On NSE, BSE, NFO and BFO Kite's ``quantity`` counts units (shares, or
lots x lot size for F&O) and the multiplier is 1. On MCX it is not:

* Kite's MCX order ``quantity`` counts **lots (contracts)**: "In Zerodha MCX, you always place orders
  with quantity = 1 per contract. The PnL is automatically scaled by the contract's exchange
  multiplier" (https://thforum.tradehull.com/t/quantity-for-mcx-scripts-futures/271, on GOLDM and
  SILVERM); the official mock ``tests/data/kite-mocks/orders.json`` has MCX GOLDPETAL orders of
  ``quantity`` 1.
* The instruments dump does **not** carry the multiplier: its MCX ``lot_size`` is 1 ("The quantity
  for a lotsize is always 1, when I read the instruments list with getInstruments("MCX")" — Zerodha:
  "We don't have any API for this", https://kite.trade/forum/discussion/5094).
* The positions API does: each position has ``multiplier`` and money fields scaled by it —
  ``tests/data/kite-mocks/positions.json``: LEADMINI17DECFUT ``quantity`` 1, ``multiplier`` 1000,
  ``average_price`` 161.05, ``buy_value`` 161050 (= 161.05 x 1 x 1000); GOLDGUINEA ``multiplier`` 1.
  But a position exists only after a fill, too late for sizing and the pre-trade risk check.

So the multiplier of a contract we may trade comes from :data:`MCX_CONTRACTS`, a small table shipped
here (dated :data:`AS_OF`, each row with its source): trading unit / price quotation unit from the
MCX contract specifications. A contract on a lot-quantity exchange that is not in the table raises
:class:`UnknownMultiplierError` — never a silent 1, which would size an order 100x too large on
CRUDEOIL. The simulator (``alphastock.sim``) plays Kite and keeps its own figures (its
``UnderlyingSpec.lot_size`` of a commodity); the end-to-end test checks that both agree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from alphastock.errors import AlphaStockError

AS_OF: Final = dt.date(2026, 12, 7)
"""When :data:`MCX_CONTRACTS` was last checked against its sources."""

LOT_QUANTITY_EXCHANGES: Final = frozenset({"MCX", "NCO", "CDS", "BCD"})
"""Exchanges where Kite's quantity counts lots of a contract whose multiplier the instruments dump does
not carry (see the module docstring). Only MCX has a table; the others raise until one is shipped."""

MultiplierLookup = Callable[[str, str], float]
"""``(exchange, tradingsymbol) -> multiplier``: :func:`contract_multiplier`, or a test's stand-in."""


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """One MCX contract: ``multiplier`` = trading unit / quotation unit (rupees per rupee of price)."""

    name: str
    multiplier: float
    trading_unit: str
    quotation: str
    source: str


_ZERODHA_LOTS = "https://support.zerodha.com/category/your-zerodha-account/account-modification-and-segment-addition/articles/how-can-i-trade-commodity-options-in-zerodha"

MCX_CONTRACTS: Final[Mapping[str, ContractSpec]] = {
    c.name: c
    for c in (
        ContractSpec("CRUDEOIL", 100.0, "100 barrels", "Rs per barrel",
                     "https://scribd.com/document/464702886/crude-oil-january-2020-contract-onwards (MCX); "
                     + _ZERODHA_LOTS),
        ContractSpec("CRUDEOILM", 10.0, "10 barrels", "Rs per barrel",
                     "https://zebuetrade.com/single-blog?id=299 (MCX Crude Oil Mini relaunch, 2023); "
                     + _ZERODHA_LOTS),
        ContractSpec("GOLD", 100.0, "1 kg", "Rs per 10 g",
                     "https://financeloaninsurance.com/commodity-futures-contract-mcx-gold/; "
                     + _ZERODHA_LOTS),
        ContractSpec("GOLDM", 10.0, "100 g", "Rs per 10 g",
                     "https://blog.chirayusoft.com/2025/07/give-detailed-description-of-all-gold.html; "
                     "GOLDM 10 in https://thforum.tradehull.com/t/quantity-for-mcx-scripts-futures/271"),
        ContractSpec("GOLDGUINEA", 1.0, "8 g", "Rs per 8 g",
                     "tests/data/kite-mocks/positions.json (GOLDGUINEA17DECFUT multiplier 1)"),
        ContractSpec("GOLDPETAL", 1.0, "1 g", "Rs per 1 g",
                     "https://blog.chirayusoft.com/2025/07/give-detailed-description-of-all-gold.html; "
                     "tests/data/kite-mocks/virtual_contract_note.json (1 lot at 5862: CTT 0.5862 = 0.01 %)"),
        ContractSpec("SILVERM", 5.0, "5 kg", "Rs per kg",
                     "https://aliceblueonline.com/mcx-silver-mini (contract size 5 kg, price quote per kg); "
                     "SILVERM 5 in https://thforum.tradehull.com/t/quantity-for-mcx-scripts-futures/271"),
        ContractSpec("SILVERMIC", 1.0, "1 kg", "Rs per kg",
                     "https://www.bankbazaar.com/silver-rate/silver-micro-price.html; "
                     "SILVERMIC 1 in https://thforum.tradehull.com/t/quantity-for-mcx-scripts-futures/271"),
        ContractSpec("NATURALGAS", 1250.0, "1250 mmBtu", "Rs per mmBtu",
                     "https://www.mcxindia.in/mcx/mcx-natural-gas/ (MCX contract specifications); "
                     + _ZERODHA_LOTS),
        ContractSpec("NATGASMINI", 250.0, "250 mmBtu", "Rs per mmBtu",
                     "https://flattrade.in/kosh/launch-of-natural-gas-mini-futures-contracts-on-march-14/; "
                     "https://community.dhan.co/t/natura-gas-mini-futures-on-mcx/7319"),
        ContractSpec("LEADMINI", 1000.0, "1 MT", "Rs per kg",
                     "tests/data/kite-mocks/positions.json (LEADMINI17DECFUT multiplier 1000)"),
    )
}  # fmt: skip
"""MCX contracts by name (the dump's ``name``, the tradingsymbol's prefix). Add a row, with its source,
before trading a contract that is not here; the table is a dated snapshot (:data:`AS_OF`)."""

# Kite's derivative tradingsymbols: NAME + YY + MON + (FUT | STRIKE + CE/PE), e.g. CRUDEOIL26JANFUT,
# CRUDEOIL26JAN6000CE. The name is matched lazily so that a name ending in digits still splits right.
_DERIVATIVE = re.compile(
    r"^(?P<name>[A-Z0-9&-]+?)\d{2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(?:FUT|\d+(?:\.\d+)?(?:CE|PE))$"
)


class UnknownMultiplierError(AlphaStockError, LookupError):
    """A contract on a lot-quantity exchange (:data:`LOT_QUANTITY_EXCHANGES`) whose multiplier is not in
    :data:`MCX_CONTRACTS`: it cannot be sized, risk-checked or valued, so it is not traded."""

    def __init__(self, exchange: str, tradingsymbol: str, name: str) -> None:
        self.exchange = exchange
        self.tradingsymbol = tradingsymbol
        self.name = name
        super().__init__(
            f"no contract multiplier for {exchange}:{tradingsymbol} (contract {name!r}): Kite's quantity "
            f"there counts lots and the instruments dump does not carry the multiplier; add it, with its "
            f"source, to alphastock.refdata.multipliers.MCX_CONTRACTS (as of {AS_OF.isoformat()})"
        )


def contract_name(tradingsymbol: str) -> str:
    """The contract's name in a Kite derivative tradingsymbol (``CRUDEOIL26JANFUT`` -> ``CRUDEOIL``);
    the symbol itself when it does not look like one."""
    m = _DERIVATIVE.match(tradingsymbol)
    return m.group("name") if m else tradingsymbol


def contract_multiplier(exchange: str, tradingsymbol: str, name: str | None = None) -> float:
    """Rupees per (price x quantity) of ``EXCHANGE:TRADINGSYMBOL``: 1.0 where Kite's quantity counts
    units; the contract's multiplier on MCX (``name`` is the dump's ``name`` when known, else it is
    taken from the symbol). Raises :class:`UnknownMultiplierError` for a lot-quantity contract that is
    not in the table."""
    if exchange not in LOT_QUANTITY_EXCHANGES:
        return 1.0
    key = name or contract_name(tradingsymbol)
    spec = MCX_CONTRACTS.get(key) if exchange == "MCX" else None
    if spec is None:
        raise UnknownMultiplierError(exchange, tradingsymbol, key)
    return spec.multiplier


__all__ = [
    "AS_OF",
    "LOT_QUANTITY_EXCHANGES",
    "MCX_CONTRACTS",
    "ContractSpec",
    "MultiplierLookup",
    "UnknownMultiplierError",
    "contract_multiplier",
    "contract_name",
]
