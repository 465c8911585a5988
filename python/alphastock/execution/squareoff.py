"""The shutdown's square-off: flatten at the broker, retrying until flat or a deadline, never twice at once.

:func:`square_off` works from the broker's own positions (the account's ``positions().net``),
not from our portfolio, and loops until nothing of the configured products is
open there or ``deadline_s`` wall seconds have passed:

1. Working orders of ours in those products that are not square-offs are cancelled once
   (a resting entry would change the position under us).
2. Each round: :meth:`OMS.reconcile` (an order-book read: fills, and UNKNOWN orders found by
   tag or, ``unknown_timeout_s`` after the ambiguous call, taken as never placed), then a
   positions read. Every open position of ours (an instrument this session ordered, or one
   with an AlphaStock-tagged order in the broker's book: an earlier run of the day) gets a
   MARKET order for the quantity the broker shows, through risk and the OMS
   (:meth:`DirectExecutor.close_quantity`) -- unless an order of ours on that instrument is
   still in flight (SUBMITTED, OPEN, ..., UNKNOWN) before or after the read: an ambiguous
   square-off blocks a second one until the OMS has resolved it, so a position is never
   closed twice.
3. Between rounds it waits for the round's orders (at most ``round_wait_s``).

Positions of others (no order of ours on the instrument) are reported, never traded.
Quantities units; times wall seconds.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from alphastock.execution.direct import DirectExecutor
from alphastock.execution.oms import OMS
from alphastock.execution.transitions import OrderState
from alphastock.models import Position
from alphastock.ports import AccountClient, ExecutionClient

log = logging.getLogger(__name__)

OUR_TAG = re.compile(r"^AS[0-9a-f]{11}")
"""The start of an AlphaStock idempotency key (see :func:`~alphastock.execution.orders.new_order_key`)."""

_WORKING = frozenset({OrderState.OPEN, OrderState.TRIGGER_PENDING, OrderState.PARTIALLY_FILLED})

Key = tuple[str, str, str]
"""(exchange, tradingsymbol, product)."""


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """A position open at the broker (signed ``quantity`` in units: < 0 short)."""

    exchange: str
    symbol: str
    product: str
    quantity: int
    ours: bool = True
    """An instrument AlphaStock ordered (so the square-off may close it)."""

    def __str__(self) -> str:
        return f"{self.exchange}:{self.symbol} {self.product} {self.quantity:+d}"

    @classmethod
    def of(cls, position: Position, ours: bool) -> OpenPosition:
        """From the broker's position row."""
        return cls(
            str(position.exchange), position.tradingsymbol, str(position.product), position.quantity, ours
        )


@dataclass(frozen=True, slots=True)
class SquareOffResult:
    """What the square-off did and what the broker's book showed at its last read."""

    products: tuple[str, ...]
    orders: tuple[str, ...]
    """Keys of the square-off orders sent."""
    rounds: int
    open_positions: tuple[OpenPosition, ...] | None
    """Everything open at the broker (all products) at the last successful positions read; None when
    no read succeeded."""
    failed_reads: int
    elapsed_s: float

    @property
    def left_open(self) -> tuple[OpenPosition, ...]:
        """Positions of ours in the squared-off products still open at the last read."""
        return tuple(p for p in self.open_positions or () if p.ours and p.product in self.products)

    @property
    def flat(self) -> bool:
        """The last read showed nothing of ours open in those products (False when never read)."""
        return self.open_positions is not None and not self.left_open

    def describe(self) -> str:
        """One line for the summary's shutdown row."""
        what = "/".join(self.products)
        sent = f"{len(self.orders)} square-off orders in {self.rounds} rounds"
        if self.open_positions is None:
            return f"{what} square-off: {sent}; broker positions never read: flat not confirmed"
        if self.flat:
            return f"{what} square-off: {sent}; flat at the broker"
        left = ", ".join(str(p) for p in self.left_open)
        return f"{what} square-off INCOMPLETE after {self.elapsed_s:.0f} s ({sent}): still open {left}"


async def square_off(
    executor: DirectExecutor,
    account: AccountClient,
    products: Iterable[str] = ("MIS",),
    *,
    deadline_s: float = 60.0,
    round_wait_s: float = 5.0,
    poll_s: float = 0.25,
    reason: str = "shutdown",
    monotonic: Callable[[], float] = time.monotonic,
) -> SquareOffResult:
    """Flatten every open position of ours in ``products`` at the broker (see the module docstring):
    positions read from ``account``, the order book from the executor's OMS's execution client.

    ``deadline_s``, ``round_wait_s`` and ``poll_s`` are wall seconds: the shutdown is bounded for the
    operator in real time, whatever the engine clock's speed. UNKNOWN orders are still resolved by the
    OMS on the engine clock.
    """
    oms = executor.oms
    broker = oms.broker
    wanted = tuple(products)
    started = monotonic()
    deadline = started + deadline_s
    sent: list[str] = []
    tagged: set[Key] | None = None
    last: tuple[OpenPosition, ...] | None = None
    failed_reads = rounds = 0
    loop = asyncio.get_running_loop()
    await _cancel_working(oms, wanted)
    while True:
        rounds += 1
        round_start = loop.time()
        try:
            await oms.reconcile()
            busy = _in_flight(oms)
            if tagged is None:
                tagged = await _tagged(broker)
            book = await account.positions()
        except Exception as exc:
            failed_reads += 1
            log.debug("square-off round %d: broker read failed: %s", rounds, exc)
            if monotonic() >= deadline:
                break
            await asyncio.sleep(min(round_wait_s, max(0.0, deadline - monotonic()), poll_s * 2**failed_reads))
            continue
        ours = tagged | {_key_of(o.request) for o in oms.orders()}
        last = tuple(OpenPosition.of(p, _pkey(p) in ours) for p in book.net if p.quantity)
        todo = [p for p in last if p.ours and p.product in wanted]
        if not todo or (monotonic() >= deadline and rounds > 1):
            break  # (one round is always tried: a deadline of 0 means one attempt, no waiting)
        busy |= _in_flight(oms)
        refused = False
        for position in todo:
            key = (position.exchange, position.symbol, position.product)
            if key in busy:
                continue  # an order of ours there is in flight or UNKNOWN: wait for its outcome
            order = executor.close_quantity(
                position.exchange, position.symbol, position.product, position.quantity, reason,
                purpose="square_off",
            )  # fmt: skip
            if order is None:
                refused = True  # risk refused it (stale data, say): try again next round, not at once
            else:
                sent.append(order.key)
        # A refusal is retried after round_wait_s, not every poll: each one is a risk event and a log line.
        shortest = round_wait_s if refused else poll_s
        wait_s = min(round_wait_s, max(0.0, deadline - monotonic()))
        await _wait_round(oms, wait_s, poll_s, round_start, shortest)
    result = SquareOffResult(wanted, tuple(sent), rounds, last, failed_reads, monotonic() - started)
    log.log(logging.INFO if result.flat else logging.ERROR, "%s", result.describe())
    return result


def _key_of(request: object) -> Key:
    exchange = getattr(request, "exchange", "")
    product = getattr(request, "product", "")
    return (
        str(getattr(exchange, "value", exchange)),
        str(getattr(request, "tradingsymbol", "")),
        str(getattr(product, "value", product)),
    )


def _pkey(position: Position) -> Key:
    return (str(position.exchange), position.tradingsymbol, str(position.product))


def _in_flight(oms: OMS) -> set[Key]:
    """Instruments with an order of ours that may still trade (UNKNOWN included)."""
    return {_key_of(o.request) for o in oms.open_orders()}


async def _tagged(broker: ExecutionClient) -> set[Key]:
    """Instruments with an AlphaStock-tagged order in the broker's book (earlier runs of the day too)."""
    book = await broker.orders()
    return {
        (str(o.exchange), o.tradingsymbol, str(o.product)) for o in book if o.tag and OUR_TAG.match(o.tag)
    }


async def _cancel_working(oms: OMS, products: tuple[str, ...]) -> None:
    for order in oms.open_orders():
        if (
            order.purpose != "square_off"
            and order.state in _WORKING
            and _key_of(order.request)[2] in products
        ):
            try:
                await oms.cancel(order.key)
            except Exception as exc:  # the rounds see what is left open
                log.warning("could not cancel %s before the square-off: %s", order.key, exc)


async def _wait_round(oms: OMS, wait_s: float, poll_s: float, round_start: float, shortest: float) -> None:
    """Until no order of ours is in flight (UNKNOWN ones wait for the next reconcile) or ``wait_s``.
    A round lasts at least ``shortest`` (at least 1 s while an order is UNKNOWN: its resolution takes
    ``unknown_timeout_s`` anyway), so neither an order nor the broker's book is retried in a tight
    loop; never beyond ``wait_s``. ``round_start`` is the loop's time when the round began."""
    loop = asyncio.get_running_loop()
    end = loop.time() + wait_s
    while loop.time() < end and any(o.state is not OrderState.UNKNOWN for o in oms.open_orders()):
        await asyncio.sleep(poll_s)
    if oms.unresolved():
        shortest = max(shortest, 1.0)
    pause = min(round_start + shortest, end) - loop.time()
    if pause > 0:
        await asyncio.sleep(pause)


__all__ = ["OUR_TAG", "OpenPosition", "SquareOffResult", "square_off"]
