"""Validation of a signal before the options executor acts on it.

Each check has a reason code; a failed signal is set REJECTED with the reason's text, and the
reason is counted (:attr:`SignalValidator.rejected`) and logged once per code (every rejection is
in the store with its text). Checks, in order:

- ``test_symbol``: symbols starting ``TEST_`` are test traffic, never traded;
- ``symbol``: the exchange prefix (``NSE:``, ``NFO:``, ``BFO:``) is stripped and aliases applied
  (``NIFTYBANK``/``NIFTY BANK`` → ``BANKNIFTY``, ``NIFTY 50`` → ``NIFTY``, through the symbol
  resolver's tables); only configured options underlyings are traded;
- ``disabled``: options trading switched off in the configuration;
- ``stale``: the signal is older than its strategy's maximum age (default 60 s, engine clock);
- ``duplicate``: a signal with the same idempotency key was acted on before (the trade book is
  loaded from DuckDB at start, so this holds across restarts);
- ``max_positions``: the open option trades are at the configured maximum;
- ``risk_state``: the risk engine is not ACTIVE (kill switch, or REDUCING after a loss limit).

The premium cap is checked once the contract and size are known (``max_premium``, by the sizing).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass

from alphastock.signals.model import Signal

log = logging.getLogger(__name__)

NS_PER_SECOND = 1_000_000_000
EXCHANGE_PREFIXES = ("NSE:", "NFO:", "BFO:", "BSE:")


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a signal is not acted on: a reason ``code`` (counted) and its text."""

    code: str
    text: str


def signal_key(signal: Signal, underlying: str) -> str:
    """The idempotency key of ``signal``: its strategy, underlying, side and time (ns).

    Why not the signal id alone: a strategy restarted on the same bars makes the same signal again
    with a new id; its key is the same, so it is not traded twice. A strategy may set its own key in
    ``metadata["idempotency_key"]``."""
    own = signal.metadata.get("idempotency_key") if signal.metadata else None
    if isinstance(own, str) and own:
        return own
    return f"{signal.strategy}|{underlying}|{signal.action.value}|{signal.ts_ns}"


class SignalValidator:
    """The checks of the module docstring; ``underlying_name`` maps a symbol to its derivative name
    (the symbol resolver's), ``underlyings`` are the configured options underlyings."""

    def __init__(
        self,
        underlyings: Collection[str],
        underlying_name: Callable[[str], str],
        *,
        max_age_s: float = 60.0,
        max_age_by_strategy: dict[str, float] | None = None,
    ) -> None:
        self.underlying_name = underlying_name
        self.underlyings = frozenset(underlying_name(u) for u in underlyings)
        self.max_age_s = max_age_s
        self.max_age_by_strategy = dict(max_age_by_strategy or {})
        self.rejected: Counter[str] = Counter()
        """Signals refused, by reason code."""
        self._logged: set[str] = set()

    def underlying(self, symbol: str) -> str:
        """``symbol`` without its exchange prefix, aliases applied (``NSE:NIFTY BANK`` → ``BANKNIFTY``)."""
        text = symbol.strip()
        for prefix in EXCHANGE_PREFIXES:
            if text.upper().startswith(prefix):
                text = text[len(prefix) :]
                break
        return self.underlying_name(text.strip())

    def check_symbol(self, signal: Signal) -> tuple[str | None, Rejection | None]:
        """The signal's options underlying, or why it has none."""
        raw = signal.symbol.strip()
        bare = raw.split(":", 1)[-1].strip()
        if bare.upper().startswith("TEST_"):
            return None, Rejection("test_symbol", f"test symbol {raw} ignored")
        name = self.underlying(raw)
        if name not in self.underlyings:
            configured = ", ".join(sorted(self.underlyings)) or "none"
            return None, Rejection(
                "symbol", f"{raw} ({name}) is not a configured options underlying ({configured})"
            )
        return name, None

    def check_age(self, signal: Signal, now_ns: int) -> Rejection | None:
        """Why the signal is too old to act on, or None."""
        limit = self.max_age_by_strategy.get(signal.strategy, self.max_age_s)
        age = (now_ns - signal.ts_ns) / NS_PER_SECOND
        if age > limit:
            return Rejection("stale", f"signal is {age:.1f} s old (limit {limit:g} s for {signal.strategy})")
        return None

    def count(self, signal: Signal, rejection: Rejection) -> None:
        """Count ``rejection`` and log it (once per reason code; later ones at debug level)."""
        self.rejected[rejection.code] += 1
        if rejection.code not in self._logged:
            self._logged.add(rejection.code)
            log.warning(
                "options executor: signal %s rejected: %s (logged once per reason; later ones are counted)",
                signal.id,
                rejection.text,
            )
        else:
            log.debug("options executor: signal %s rejected: %s", signal.id, rejection.text)


__all__ = ["EXCHANGE_PREFIXES", "Rejection", "SignalValidator", "signal_key"]
