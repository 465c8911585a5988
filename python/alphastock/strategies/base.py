"""The strategy plugin API: :class:`Strategy`, its :class:`StrategyParams` and :class:`StrategyContext`.

A strategy turns market data into :class:`~alphastock.signals.Signal` proposals; it never
sees orders, brokers or the risk engine. Hooks (``on_bar``, ``on_tick``, ``on_chain``,
``on_fill``) may return a Signal, an iterable of Signals or None; a strategy may also
call :meth:`Strategy.emit`, which hands the signal to its context. One instance runs
for several symbols: keep per-symbol state in :meth:`Strategy.state` (an instance of
the class attribute ``State``). Indicators come from the Rust core's incremental
classes (:mod:`alphastock.indicators`).

Units: prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final, Generic, NamedTuple, Protocol, TypeVar, runtime_checkable

from pydantic import ConfigDict, ValidationError

from alphastock.bars import NS_PER_DAY, parse_interval
from alphastock.config_model import ConfigModel
from alphastock.errors import ConfigError
from alphastock.events import Bar, FillInfo
from alphastock.models import Instrument
from alphastock.refdata.ticks import TickRounding, round_to_tick
from alphastock.signals.assets import AssetType, asset_type_of
from alphastock.signals.model import Signal, SignalAction
from alphastock.ticks import Tick

DEFAULT_TICK_SIZE = 0.05
"""Rupees: the price step used to round levels when the instrument is not known."""


class TickView(NamedTuple):
    """What ``on_tick`` receives: the TickStore's newest :class:`~alphastock.ticks.Tick` of a token
    the instance trades, with the instrument's ``symbol`` and ``exchange`` and the wall time the
    frame that carried it arrived (``recv_ns``, UTC epoch ns; 0 when unknown), so that
    :meth:`Strategy.make_signal` can build a signal from it as from a bar.

    Prices in rupees, quantities in units, ``ts_ns`` the exchange time (UTC epoch ns); "not
    carried" values as in :mod:`alphastock.ticks`.
    """

    token: int
    ts_ns: int
    last_price: float
    last_qty: int
    volume: int
    oi: int
    bid: float
    ask: float
    bid_qty: int
    ask_qty: int
    symbol: str
    exchange: str
    recv_ns: int = 0

    @classmethod
    def of(cls, tick: Tick, symbol: str, exchange: str, recv_ns: int = 0) -> TickView:
        """``tick`` of the instrument ``exchange:symbol``, received at ``recv_ns`` (wall, UTC epoch ns)."""
        return cls(*tick, symbol, exchange, recv_ns)


TICK_TIMEFRAME: Final = "tick"
"""``Signal.timeframe`` of a signal made from a :class:`TickView`."""

SignalOutput = Signal | Iterable[Signal] | None
"""What a hook may return."""


class StrategyParams(ConfigModel):
    """Base of every strategy's parameters: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@runtime_checkable
class StrategyContext(Protocol):
    """What the engine gives a strategy at ``on_start``."""

    log: logging.Logger

    def now_ns(self) -> int:
        """The engine clock, UTC epoch ns."""
        ...

    def instrument(self, symbol: str) -> Instrument | None:
        """The instrument (lot size, tick size...) of ``symbol`` (``EXCHANGE:SYMBOL`` or plain), or None."""
        ...

    def asset_type(self, symbol: str) -> AssetType:
        """What a signal on ``symbol`` (``EXCHANGE:SYMBOL`` or plain) is traded through: its instrument and
        the configured options underlyings (:func:`~alphastock.signals.assets.asset_type_of`)."""
        ...

    def emit(self, signal: Signal) -> None:
        """Hand a signal made outside a hook's return value to the engine."""
        ...


class NullContext:
    """A context for a strategy run on its own (tests, research): wall clock, no instruments,
    emitted signals kept in ``emitted``."""

    def __init__(self, now_ns: int = 0, log: logging.Logger | None = None) -> None:
        self._now_ns = now_ns
        self.log = log or logging.getLogger("alphastock.strategies")
        self.emitted: list[Signal] = []

    def now_ns(self) -> int:
        """The fixed time given at construction (UTC epoch ns)."""
        return self._now_ns

    def instrument(self, symbol: str) -> Instrument | None:
        """Always None: no instrument master."""
        return None

    def asset_type(self, symbol: str) -> AssetType:
        """From the exchange alone (no instrument master, no options underlyings): NSE/BSE equity."""
        exchange, _, _ = symbol.rpartition(":")
        return asset_type_of(exchange or "NSE")

    def emit(self, signal: Signal) -> None:
        """Keep ``signal`` in :attr:`emitted`."""
        self.emitted.append(signal)


class NoState:
    """Default per-symbol state: nothing."""


P = TypeVar("P", bound=StrategyParams)


def interval_ns(interval: str) -> int:
    """Length of a bar interval (``"1m"``, ``"5m"``, ``"1d"``...) in ns; day bars count 24 h."""
    ns = parse_interval(interval)
    return NS_PER_DAY if ns is None else ns


class Strategy(Generic[P]):
    """Base class of strategies, generic in their :class:`StrategyParams` subclass.

    Subclasses set ``name`` (the registry name), ``Params``, ``description`` and optionally
    ``State`` (a zero-argument factory of per-symbol state), and override hooks.
    """

    name: ClassVar[str] = ""
    """Registry name (entry point name), e.g. ``ma_crossover``."""
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    """Parameter model; the constructor validates against it."""
    description: ClassVar[str] = ""
    """One line for ``alphastock strategies list``."""
    State: ClassVar[type[Any]] = NoState
    """Factory of per-symbol state (called with no arguments)."""

    def __init__(self, params: P | Mapping[str, Any] | None = None, *, instance_name: str | None = None):
        self.params: P = self.validate_params(params)
        self.instance_name: str = instance_name or self.name or type(self).__name__
        self._states: dict[str, Any] = {}
        self._ctx: StrategyContext | None = None
        self._tick_sizes: dict[tuple[str, str], float] = {}
        self._asset_types: dict[tuple[str, str], AssetType] = {}

    @classmethod
    def validate_params(cls, params: StrategyParams | Mapping[str, Any] | None) -> P:
        """``params`` validated against ``Params``; a :class:`ConfigError` names the strategy and field."""
        if isinstance(params, cls.Params):
            return params  # type: ignore[return-value]
        if isinstance(params, StrategyParams):
            params = params.model_dump()
        try:
            return cls.Params.model_validate(dict(params or {}))  # type: ignore[return-value]
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(params)'}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"strategy {cls.name or cls.__name__!r}: invalid params: {problems}") from None

    # ------------------------------------------------------------------ context helpers

    @property
    def ctx(self) -> StrategyContext:
        """The context given at :meth:`on_start` (a :class:`NullContext` before that)."""
        if self._ctx is None:
            self._ctx = NullContext()
        return self._ctx

    def bind(self, ctx: StrategyContext) -> None:
        """Attach ``ctx`` (the manager calls this before :meth:`on_start`)."""
        self._ctx = ctx
        self._tick_sizes = {}  # tick sizes came from the previous context
        self._asset_types = {}  # and so did asset types

    def emit(self, signal: Signal) -> None:
        """Send ``signal`` through the context (for signals made outside a hook's return value)."""
        self.ctx.emit(signal)

    def state(self, symbol: str) -> Any:
        """The per-symbol state of ``symbol`` (created by ``State()`` on first use)."""
        st = self._states.get(symbol)
        if st is None:
            st = self._states[symbol] = self.State()
        return st

    def tick_size(self, bar: Bar | TickView) -> float:
        """Tick size (rupees) of the bar's (or tick's) instrument, from the context, else 0.05.

        Remembered per (exchange, symbol) until the next :meth:`bind`: a tick size does not change
        within a session, and the context's lookup (a string key, two context hops, the
        instrument master's cache) costs more than the rest of :meth:`make_signal`. An unknown
        instrument is remembered as the default too (the manager's instrument cache does the same).
        """
        found = self._tick_sizes.get((bar.exchange, bar.symbol))
        if found is not None:
            return found
        key = f"{bar.exchange}:{bar.symbol}" if bar.exchange else bar.symbol
        inst = self.ctx.instrument(key)
        tick = inst.tick_size if inst is not None and inst.tick_size > 0 else DEFAULT_TICK_SIZE
        self._tick_sizes[bar.exchange, bar.symbol] = tick
        return tick

    def make_signal(
        self,
        bar: Bar | TickView,
        action: SignalAction | str,
        *,
        entry: float,
        stop_loss: float,
        target: float,
        confidence: float,
        expected_move_pct: float | None = None,
        **metadata: Any,
    ) -> Signal:
        """A signal on ``bar``'s instrument, stamped at the bar's close (start + interval, UTC ns);
        from a :class:`TickView` (in ``on_tick``), stamped at the tick's time with timeframe
        :data:`TICK_TIMEFRAME`.

        Levels (rupees) are rounded to the instrument tick size; ``confidence`` is clipped to
        [0, 1]; ``expected_move_pct`` defaults to ``|target - entry| / entry * 100``. The asset type
        (which routes the signal to its executor) is the context's
        :meth:`StrategyContext.asset_type` of the instrument, remembered per instrument until the next
        :meth:`bind` like the tick size.

        Built by :meth:`Signal.fast`: the same acceptance and errors as ``Signal(...)`` without
        pydantic's validator, which was the largest cost of a signal on the bar → order path.
        """
        tick = self.tick_size(bar)
        if tick > 0 and math.isfinite(entry + stop_loss + target):
            entry_r = round_to_tick(entry, tick, TickRounding.NEAREST)
            stop_r = round_to_tick(stop_loss, tick, TickRounding.NEAREST)
            target_r = round_to_tick(target, tick, TickRounding.NEAREST)
        else:  # no tick known, or a level the signal itself will refuse: left as given
            entry_r, stop_r, target_r = entry, stop_loss, target
        if expected_move_pct is None:
            expected_move_pct = abs(target_r - entry_r) / entry_r * 100.0
        if isinstance(bar, TickView):
            ts_ns, timeframe = bar.ts_ns, TICK_TIMEFRAME
        else:
            ts_ns, timeframe = bar.start_ns + interval_ns(bar.interval), bar.interval
        asset_type = self._asset_types.get((bar.exchange, bar.symbol))
        if asset_type is None:
            key = f"{bar.exchange}:{bar.symbol}" if bar.exchange else bar.symbol
            asset_type = self._asset_types[bar.exchange, bar.symbol] = self.ctx.asset_type(key)
        return Signal.fast(
            ts_ns=ts_ns,
            symbol=bar.symbol,
            exchange=bar.exchange or "NSE",
            token=bar.token,
            strategy=self.instance_name,
            action=action if type(action) is SignalAction else SignalAction(action),
            entry=entry_r,
            stop_loss=stop_r,
            target=target_r,
            confidence=min(1.0, max(0.0, confidence)) if math.isfinite(confidence) else 0.0,
            expected_move_pct=expected_move_pct,
            asset_type=asset_type,
            timeframe=timeframe,
            recv_ns=bar.recv_ns,
            metadata=metadata,
        )

    # ------------------------------------------------------------------ hooks

    def on_start(self, ctx: StrategyContext) -> None:
        """Called once before data flows; the default keeps ``ctx``."""
        self.bind(ctx)

    def on_bar(self, bar: Bar) -> SignalOutput:
        """A closed bar of a subscribed symbol and timeframe."""
        return None

    def on_tick(self, tick: TickView) -> SignalOutput:
        """The newest tick of a token this instance trades; override to receive ticks.

        Only instances whose class overrides this hook get ticks (checked once, when the manager is
        built). This is not every tick: the engine tells the strategies which tokens ticked and each
        call gets the newest stored tick of the token at that moment; ticks stored in between are
        skipped (they stay in the TickStore). With the instance's ``min_tick_interval_ms`` above 0,
        calls for one token are at least that far apart on the engine clock; see
        :meth:`~alphastock.strategies.StrategyManager.on_ticks`."""
        return None

    def on_chain(self, chain: Any) -> SignalOutput:
        """An option-chain snapshot (:class:`~alphastock.options.chain.ChainSnapshot`: one expiry, IV and
        greeks computed) of an underlying one of this instance's symbols names (``NSE:NIFTY 50``,
        ``NFO:NIFTY``, a NIFTY future or option, or plain ``NIFTY`` all name ``NIFTY``)."""
        return None

    def on_fill(self, fill: FillInfo) -> SignalOutput:
        """An execution of an order made from one of this instance's signals."""
        return None

    def on_stop(self) -> None:
        """Called once when the engine stops."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.instance_name!r}, {self.params!r})"


def as_signals(output: SignalOutput) -> list[Signal]:
    """A hook's return value as a list (a lone Signal, an iterable, or None)."""
    if output is None:
        return []
    if isinstance(output, Signal):
        return [output]
    signals = list(output)
    for item in signals:
        if not isinstance(item, Signal):
            raise TypeError(f"a strategy hook returned {type(item).__name__}, not a Signal")
    return signals


__all__ = [
    "DEFAULT_TICK_SIZE",
    "TICK_TIMEFRAME",
    "NoState",
    "NullContext",
    "SignalOutput",
    "Strategy",
    "StrategyContext",
    "StrategyParams",
    "TickView",
    "as_signals",
    "interval_ns",
]
