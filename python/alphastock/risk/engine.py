"""The pre-trade risk engine: the Rust core behind a constructor that takes :class:`Limits`."""

from __future__ import annotations

from typing import Self

from alphastock import _core
from alphastock.risk.limits import Limits


class RiskEngine(_core.RiskEngine):
    """Checks every order before it may reach a broker; keeps positions, P&L, rates and the kill switch.

    Units: rupees, quantities as Kite counts them (units, not lots — except on MCX, where Kite's
    quantity is lots and a contract ``multiplier`` turns price x quantity into rupees: an
    ``OrderIntent``'s and each fill's), UTC epoch nanoseconds. The engine is
    deterministic and does no I/O: it never reads a clock (``now_ns``/``ts_ns``
    are arguments; where ``now_ns`` may be omitted the binding substitutes the
    wall clock, ``time.time_ns()``, for live convenience — backtests and tests
    always pass it), so the same calls give the same decisions in live, paper
    and backtest.

    Calls:

    - ``check(intent, now_ns=None, *, human_approved=False) -> RiskDecision``:
      every rule, every failure reported. APPROVE and REDUCE_SIZE count the
      order in the rate windows and lower the engine's cash view by its margin
      (the engine assumes what it approves is sent). ``human_approved=True``
      waives the soft rules (REQUIRE_APPROVAL) only; it is how an approved order
      is sent.
    - ``on_fill(token, side, quantity, price, ts_ns, *, underlying=None, charges=0.0, multiplier=1.0)``:
      one execution (one trade for ``max_trades_per_day``), worth
      price x quantity x ``multiplier`` rupees; average price is weighted on
      increases, reductions realise P&L, a flip opens the rest at the fill
      price (the rule of :mod:`alphastock.risk.position`, kept in Rust for the
      pre-trade hot path and parity-tested against it); ``charges`` (rupees)
      come off realised P&L.
    - ``on_mark(token, price, ts_ns) -> bool``: a market price; revalues the
      position and refreshes the instrument's data time (False and ignored
      when the price is not finite and positive). ``on_tick(token, ts_ns)``
      refreshes the data time only.
    - ``set_cash(available)``: available cash/margin in rupees from the broker.
    - ``set_circuit(token, lower, upper)``: circuit limits, rupees (None, None forgets them).
    - ``set_state(state, reason, now_ns=None)``, ``kill(reason, ...)``,
      ``resume(reason, ...)``; ``state``, ``state_reason``, ``state_history()``
      as ``(ts_ns, from, to, reason)`` tuples. A day loss of ``max_daily_loss``
      or a drawdown of ``max_drawdown`` moves ACTIVE to REDUCING automatically
      (recorded with the numbers); the engine does not return to ACTIVE by
      itself.
    - ``reset_day(now_ns=None)``: realised P&L, peak, trade and daily order
      counts to 0; open positions re-based at their last mark; an automatic
      REDUCING returns to ACTIVE, a state set by hand (the kill switch) stays.
    - ``position(token)``, ``positions()``, ``underlying_quantity(name)``,
      ``realised_pnl``, ``unrealised_pnl``, ``day_pnl``, ``peak_pnl``,
      ``drawdown``, ``trades_today``, ``orders_today``, ``open_positions``, ``cash``.
    """

    __slots__ = ("_limits",)
    _limits: Limits

    def __new__(cls, limits: Limits | None = None) -> Self:
        limits = limits if limits is not None else Limits()
        engine = super().__new__(cls, limits.to_core())
        engine._limits = limits
        return engine

    @property
    def limits(self) -> Limits:
        """The limits in force."""
        return self._limits

    def set_limits(self, limits: Limits) -> None:
        """Replaces every limit at once; positions, P&L, counters and the state are kept."""
        self._apply_limits(limits.to_core())
        self._limits = limits

    def __repr__(self) -> str:
        return (
            f"RiskEngine(state={self.state!r}, day_pnl={self.day_pnl:.2f}, "
            f"open_positions={self.open_positions}, orders_today={self.orders_today})"
        )


__all__ = ["RiskEngine"]
