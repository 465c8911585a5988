"""Order matching against the market model's depth, with Kite's order statuses and RMS rejections.

Orders go through Kite's statuses: ``PUT ORDER REQ RECEIVED`` -> ``VALIDATION
PENDING`` -> ``OPEN PENDING`` -> ``OPEN`` / ``TRIGGER PENDING`` / ``AMO REQ
RECEIVED`` -> ``COMPLETE`` / ``CANCELLED`` / ``REJECTED`` (modifications pass
``MODIFY VALIDATION PENDING``, ``MODIFY PENDING``, ``MODIFIED``; cancellations
``CANCEL PENDING``). Marketable quantity fills level by level against the
model's five-level depth (one trade per level, so a large order slips); what is
left rests and fills on later steps when the book crosses its limit. Our fills
do not deplete the model's book and queue position is ignored: a resting limit
fills once the opposite best price reaches it.

Market protection, as Kite's API enforces it since April 2026: a MARKET or SL-M
order without ``market_protection``, or with 0, is refused (InputException);
``-1`` keeps it a market order with automatic protection (3% here, never past the
price band); a positive percentage (up to 100) turns it into a LIMIT (SL-M: an
SL) at that distance from the last price (SL-M: the trigger), on the tick and
inside the exchange's price band. Modifying an order into MARKET or SL-M needs
``market_protection`` too, unless the order already was one.

RMS rejections (status REJECTED with a status_message): price not a multiple
of the tick, quantity above the freeze quantity, limit price outside NSE's
price protection band (options +-Rs 20 when the reference is <= Rs 50, else
+-40%; futures +-3%; stocks +-10%), insufficient margin, market closed, SL-M
on options, and faults. Missing or malformed parameters raise InputException. With
Kite's ``autoslice=true`` an order above the freeze quantity is split into children
(:meth:`MatchingEngine.place_autoslice`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alphastock.sim.account import Account, Trade, segment_of
from alphastock.sim.config import IST
from alphastock.sim.errors import KiteError, input_error
from alphastock.sim.faults import Faults
from alphastock.sim.instruments import Instrument
from alphastock.sim.margin import MarginRules
from alphastock.sim.market import LEVELS, NS, SESSIONS, MarketModel

ORDER_TYPES = ("MARKET", "LIMIT", "SL", "SL-M")
VARIETIES = ("regular", "amo")
PRODUCTS = {"NSE": ("CNC", "MIS"), "NFO": ("NRML", "MIS"), "MCX": ("NRML", "MIS")}
LIVE = ("OPEN", "TRIGGER PENDING", "AMO REQ RECEIVED")
# Kite refuses MARKET and SL-M orders without market protection (0 included) since April 2026,
# with this InputException text: https://kite.trade/forum/discussion/15912 ("Orders placed with
# market protection set to "0" will be rejected. This includes SL-M orders"), the message in
# https://github.com/zerodha/pykiteconnect/issues/242; values per https://kite.trade/docs/connect/v3/orders/
# ("greater than 0 and up to 100 (custom %), -1 (auto protection)"); a positive value converts the
# order to a LIMIT still subject to the exchange's price protection, -1 is automatic
# (https://kite.trade/forum/discussion/comment/52940/).
NO_PROTECTION = (
    "Market orders without market protection are not allowed via API. "
    "Please set market protection or use a Limit order."
)
DEFAULT_PROTECTION = 3.0
"""Percent of automatic protection (-1); Zerodha picks it by price band, ~3% on most options
(https://tradingqna.com/t/how-do-you-reliably-get-into-order-book-and-exit/193460)."""
HOLD_STEPS = 30


def ist_text(ns: int) -> str:
    """IST ``YYYY-MM-DD HH:MM:SS`` of UTC epoch nanoseconds."""
    return dt.datetime.fromtimestamp(ns // NS, IST).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(slots=True)
class SimOrder:
    """One order and its status history."""

    order_id: str
    variety: str
    instrument: Instrument
    transaction_type: str
    order_type: str
    product: str
    validity: str
    quantity: int
    price: float
    trigger_price: float
    disclosed_quantity: int
    tag: str | None
    market_protection: float
    placed_by: str
    order_ns: int
    status: str = "PUT ORDER REQ RECEIVED"
    status_message: str | None = None
    exchange_order_id: str | None = None
    exchange_ns: int | None = None
    update_ns: int | None = None
    filled_quantity: int = 0
    fill_value: float = 0.0
    cancelled_quantity: int = 0
    modified: bool = False
    hold_until_step: int = 0
    requested_type: str = ""
    """The order_type the client sent (MARKET or SL-M before a protection turned it into LIMIT or SL)."""
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pending_quantity(self) -> int:
        """Units neither filled nor cancelled."""
        return self.quantity - self.filled_quantity - self.cancelled_quantity

    @property
    def average_price(self) -> float:
        """Average fill price, rupees (0 before a fill)."""
        return round(self.fill_value / self.filled_quantity, 4) if self.filled_quantity else 0.0

    def to_kite(self) -> dict[str, Any]:
        """The order as ``GET /orders`` returns it."""
        inst = self.instrument
        return {
            "placed_by": self.placed_by,
            "order_id": self.order_id,
            "exchange_order_id": self.exchange_order_id,
            "parent_order_id": None,
            "status": self.status,
            "status_message": self.status_message,
            "status_message_raw": self.status_message,
            "order_timestamp": ist_text(self.order_ns),
            "exchange_update_timestamp": ist_text(self.update_ns) if self.update_ns else None,
            "exchange_timestamp": ist_text(self.exchange_ns) if self.exchange_ns else None,
            "variety": self.variety,
            "modified": self.modified,
            "exchange": inst.exchange,
            "tradingsymbol": inst.tradingsymbol,
            "instrument_token": inst.instrument_token,
            "order_type": self.order_type,
            "transaction_type": self.transaction_type,
            "validity": self.validity,
            "validity_ttl": 0,
            "product": self.product,
            "quantity": self.quantity,
            "disclosed_quantity": self.disclosed_quantity,
            "price": self.price,
            "trigger_price": self.trigger_price,
            "average_price": self.average_price,
            "filled_quantity": self.filled_quantity,
            "pending_quantity": self.pending_quantity if self.status in LIVE else 0,
            "cancelled_quantity": self.cancelled_quantity,
            "market_protection": self.market_protection,
            "meta": {},
            "tag": self.tag,
            "tags": [self.tag] if self.tag else [],
            "guid": f"sim-{self.order_id}",
        }


def _number(params: dict[str, str], name: str, default: float = 0.0) -> float:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise input_error(f"Invalid `{name}`.") from None
    if not math.isfinite(value) or value < 0:
        raise input_error(f"Invalid `{name}`.")
    return value


def _on_tick(price: float, tick: float) -> bool:
    steps = price / tick
    return abs(steps - round(steps)) < 1e-6


def _market_protection(params: dict[str, str]) -> float | None:
    """``market_protection`` of a MARKET/SL-M order: -1 or a percent in (0, 100]; None when absent."""
    raw = params.get("market_protection")
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise input_error(
            f"Invalid request (failed to decode market_protection, got: {raw} (expected decimal))"
        ) from None
    if value == 0:
        raise input_error(NO_PROTECTION)
    if value != -1 and not 0 < value <= 100:
        raise input_error("Invalid `market_protection`: -1 (automatic) or a percentage above 0, up to 100.")
    return value


def _to_tick(price: float, tick: float, up: bool) -> float:
    steps = price / tick
    whole = math.ceil(steps - 1e-9) if up else math.floor(steps + 1e-9)
    return round(whole * tick, 8)


class MatchingEngine(MarginRules):
    """Orders of one account, matched against a :class:`MarketModel`."""

    def __init__(self, model: MarketModel, account: Account, faults: Faults, user_id: str,
                 by_key: dict[str, Instrument]) -> None:  # fmt: skip
        self.model = model
        self.account = account
        self.faults = faults
        self.user_id = user_id
        self.by_key = by_key
        self.orders: dict[str, SimOrder] = {}
        self.listeners: list[Callable[[SimOrder], None]] = []
        self._seq = 0
        self._trade_seq = 0
        self._live: list[SimOrder] = []

    # -- bookkeeping -------------------------------------------------------------------------
    def _set_status(
        self, order: SimOrder, status: str, message: str | None = None, notify: bool = True
    ) -> None:
        order.status = status
        if message is not None:
            order.status_message = message
        order.update_ns = self.model.now_ns
        order.history.append(order.to_kite())
        if notify:
            for listener in self.listeners:
                listener(order)

    def _reject(self, order: SimOrder, message: str) -> SimOrder:
        order.cancelled_quantity = order.pending_quantity
        self._set_status(order, "REJECTED", message)
        return order

    # -- placing -----------------------------------------------------------------------------
    def place(self, variety: str, params: dict[str, str]) -> SimOrder:
        """Place an order from Kite's form fields; raises KiteError for invalid input."""
        if variety not in VARIETIES:
            raise input_error(f"Invalid `variety` ({variety}); the simulator supports regular and amo.")
        for name in ("exchange", "tradingsymbol", "transaction_type", "quantity", "product", "order_type"):
            if not params.get(name):
                raise input_error(f"Missing `{name}`.")
        inst = self.by_key.get(f"{params['exchange']}:{params['tradingsymbol']}")
        if inst is None or inst.is_index:
            raise input_error("Invalid `tradingsymbol`." if inst is None else "Indices are not tradable.")
        side, order_type, product = params["transaction_type"], params["order_type"], params["product"]
        if side not in ("BUY", "SELL"):
            raise input_error("Invalid `transaction_type`.")
        if order_type not in ORDER_TYPES:
            raise input_error("Invalid `order_type`.")
        if product not in PRODUCTS[inst.exchange]:
            raise input_error(f"Invalid `product` ({product}) for {inst.exchange}.")
        try:
            quantity = int(params["quantity"])
        except ValueError:
            raise input_error("Invalid `quantity`.") from None
        if quantity <= 0:
            raise input_error("Invalid `quantity`.")
        if inst.lot_size > 1 and quantity % inst.lot_size:
            raise input_error(f"Quantity should be a multiple of the lot size ({inst.lot_size}).")
        validity = params.get("validity") or "DAY"
        if validity not in ("DAY", "IOC"):
            raise input_error("Invalid `validity`.")
        price = _number(params, "price")
        trigger = _number(params, "trigger_price")
        if order_type in ("LIMIT", "SL") and price <= 0:
            raise input_error("Invalid `price`.")
        if order_type in ("SL", "SL-M") and trigger <= 0:
            raise input_error("Invalid `trigger_price`.")
        protection = 0.0
        if order_type in ("MARKET", "SL-M"):
            value = _market_protection(params)
            if value is None:
                raise input_error(NO_PROTECTION)
            protection = value
        tag = params.get("tag") or None
        if tag is not None and len(tag) > 20:
            raise input_error("Invalid `tag`: at most 20 characters.")
        self._seq += 1
        order = SimOrder(
            order_id=f"{self.model.day:%y%m%d}{self._seq:09d}", variety=variety, instrument=inst,
            transaction_type=side, order_type=order_type, product=product, validity=validity,
            quantity=quantity, price=price if order_type in ("LIMIT", "SL") else 0.0,
            trigger_price=trigger if order_type in ("SL", "SL-M") else 0.0,
            disclosed_quantity=int(_number(params, "disclosed_quantity")), tag=tag,
            market_protection=protection, placed_by=self.user_id, order_ns=self.model.now_ns,
            requested_type=order_type,
        )  # fmt: skip
        self._protect(order)
        self.orders[order.order_id] = order
        self._set_status(order, "PUT ORDER REQ RECEIVED", notify=False)
        self._set_status(order, "VALIDATION PENDING", notify=False)
        problem = self._rms(order)
        if problem is None:
            problem = self.faults.take_rejection()
        if problem is not None:
            return self._reject(order, problem)
        self._set_status(order, "OPEN PENDING", notify=False)
        order.exchange_order_id = f"1{self._seq:015d}"
        order.exchange_ns = self.model.now_ns
        if variety == "amo":
            self._set_status(order, "AMO REQ RECEIVED")
        else:
            self._set_status(order, "TRIGGER PENDING" if order_type in ("SL", "SL-M") else "OPEN")
        self._live.append(order)
        self._process(order)
        return order

    def place_autoslice(self, variety: str, params: dict[str, str]) -> dict[str, Any]:
        """Place an order with Kite's ``autoslice=true``: above the instrument's freeze quantity it
        is split into child orders of at most the freeze quantity (whole lots, full ones first).

        Returns Kite's answer: ``{"order_id": parent id, "children": [{"order_id": ...} or
        {"error": {"code", "error_type", "message", "data"}}, ...]}``. The parent id only groups the
        children (it is not an order of the book). A malformed request raises KiteError as for
        :meth:`place`; a child that RMS rejects is a REJECTED order, as when placed alone.
        """
        inst = self.by_key.get(f"{params.get('exchange')}:{params.get('tradingsymbol')}")
        try:
            quantity = int(params.get("quantity") or "0")
        except ValueError:
            quantity = 0
        freeze = (inst.freeze_quantity or 0) if inst is not None else 0
        per_child = freeze // inst.lot_size * inst.lot_size if inst is not None else 0
        if inst is None or per_child <= 0 or quantity <= freeze:  # nothing to slice: one order
            order = self.place(variety, params)
            return {"order_id": order.order_id, "children": [{"order_id": order.order_id}]}
        if quantity % inst.lot_size:  # checked before any child is sent
            raise input_error(f"Quantity should be a multiple of the lot size ({inst.lot_size}).")
        full, rest = divmod(quantity, per_child)
        children: list[dict[str, Any]] = []
        first_error: KiteError | None = None
        for child_qty in [per_child] * full + ([rest] if rest else []):
            try:
                child = self.place(variety, {**params, "quantity": str(child_qty)})
            except KiteError as exc:
                first_error = first_error or exc
                children.append({"error": {"code": exc.status, "error_type": exc.error_type,
                                           "message": exc.message, "data": None}})  # fmt: skip
            else:
                children.append({"order_id": child.order_id})
        if first_error is not None and all("error" in c for c in children):
            raise first_error
        self._seq += 1
        return {"order_id": f"{self.model.day:%y%m%d}{self._seq:09d}", "children": children}

    def _market_open(self, inst: Instrument) -> bool:
        return self.model.is_open(inst.exchange)

    def _rms(self, order: SimOrder) -> str | None:
        inst, i = order.instrument, order.instrument.index
        if order.variety == "regular" and not self._market_open(inst):
            return "Markets are closed right now. Use GTT for placing long standing orders instead."
        if order.variety == "amo" and self._market_open(inst):
            return "AMO orders can only be placed outside market hours."
        if order.requested_type == "SL-M" and inst.is_option:
            return "SL-M orders are not allowed for options. Use SL (stoploss-limit) orders instead."
        for name, value in (("price", order.price), ("trigger price", order.trigger_price)):
            if value and not _on_tick(value, inst.tick_size):
                return (f"Tick size for this script is {inst.tick_size:g}. Kindly enter {name} in the "
                        "multiple of tick size for this script")  # fmt: skip
        if inst.freeze_quantity and order.quantity > inst.freeze_quantity:
            return (f"Quantity exceeds the freeze limit of {inst.freeze_quantity} for {inst.name}; "
                    "slice the order or use autoslice.")  # fmt: skip
        if order.order_type == "SL":
            if order.transaction_type == "BUY" and order.trigger_price > order.price:
                return "Trigger price for stoploss buy orders should be lower than the order price."
            if order.transaction_type == "SELL" and order.trigger_price < order.price:
                return "Trigger price for stoploss sell orders should be higher than the order price."
        reference = float(self.model.ltp[i])
        if order.price and reference > 0:
            low, high = self.protection_band(inst, reference)
            if not low <= order.price <= high:
                return (f"Your order price {order.price:g} is outside the price protection range "
                        f"{low:.2f} - {high:.2f}.")  # fmt: skip
        required = self.order_margin(order)
        available = self.available_margin(segment_of(inst))
        if required > available + 1e-6:
            return (f"Insufficient funds. Required margin is {required:.2f} but available margin is "
                    f"{available:.2f}. Check the orderbook for open orders.")  # fmt: skip
        return None

    def _protect(self, order: SimOrder) -> None:
        """Turn a MARKET/SL-M order with a positive ``market_protection`` into a LIMIT/SL at that
        distance from the last price (SL-M: the trigger), on the tick, a LIMIT kept inside the band."""
        if order.order_type not in ("MARKET", "SL-M") or order.market_protection <= 0:
            return
        inst, buy = order.instrument, order.transaction_type == "BUY"
        stop = order.order_type == "SL-M"
        reference = order.trigger_price if stop else float(self.model.ltp[inst.index])
        if reference <= 0:
            return
        pct = order.market_protection / 100
        price = _to_tick(reference * (1 + pct if buy else 1 - pct), inst.tick_size, up=not buy)
        if not stop:  # a LIMIT is kept inside today's band; an SL's limit follows its trigger (RMS checks it)
            low, high = self.protection_band(inst, reference)
            price = (
                min(price, _to_tick(high, inst.tick_size, up=False))
                if buy
                else max(price, _to_tick(low, inst.tick_size, up=True))
            )
        order.order_type, order.price = ("SL" if stop else "LIMIT"), max(price, inst.tick_size)

    @staticmethod
    def protection_band(inst: Instrument, reference: float) -> tuple[float, float]:
        """NSE limit price protection around ``reference``: (lowest, highest) accepted price, rupees."""
        if inst.is_option:
            width = 20.0 if reference <= 50 else 0.4 * reference
        elif inst.instrument_type == "FUT":
            width = 0.03 * reference
        else:
            width = 0.10 * reference
        return max(reference - width, inst.tick_size), reference + width

    # -- matching ----------------------------------------------------------------------------
    def _process(self, order: SimOrder) -> None:
        if order.status == "AMO REQ RECEIVED":
            if not self._market_open(order.instrument):
                return
            self._set_status(order, "TRIGGER PENDING" if order.order_type in ("SL", "SL-M") else "OPEN")
        if order.status == "TRIGGER PENDING":
            ltp = float(self.model.ltp[order.instrument.index])
            hit = (
                ltp >= order.trigger_price if order.transaction_type == "BUY" else ltp <= order.trigger_price
            )
            if not hit or not self._market_open(order.instrument):
                return
            self._set_status(order, "OPEN")
        if order.status != "OPEN" or order.hold_until_step > self.model.steps:
            return
        if not self._market_open(order.instrument):
            return
        self._match(order)
        if order.status == "OPEN" and order.validity == "IOC":
            order.cancelled_quantity = order.pending_quantity
            self._set_status(order, "CANCELLED")
        if order.status not in LIVE and order in self._live:
            self._live.remove(order)

    def _limit(self, order: SimOrder) -> float:
        if order.order_type in ("LIMIT", "SL"):
            return order.price
        # Automatic protection (-1): a market order never fills past DEFAULT_PROTECTION nor the band.
        inst = order.instrument
        ref = float(self.model.ltp[inst.index])
        low, high = self.protection_band(inst, ref)
        pct = DEFAULT_PROTECTION / 100
        return min(ref * (1 + pct), high) if order.transaction_type == "BUY" else max(ref * (1 - pct), low)

    def _match(self, order: SimOrder) -> None:
        m, i = self.model, order.instrument.index
        buy = order.transaction_type == "BUY"
        prices, sizes = (m.ask_px[i], m.ask_qty[i]) if buy else (m.bid_px[i], m.bid_qty[i])
        limit = self._limit(order)
        want = order.pending_quantity
        share = self.faults.take_partial()
        if share is not None:
            lot = max(order.instrument.lot_size, 1)
            want = min(want, max(lot, int(want * share) // lot * lot))
            order.hold_until_step = m.steps + HOLD_STEPS
        for level in range(LEVELS):
            px, size = float(prices[level]), int(sizes[level])
            if want <= 0 or px <= 0 or size <= 0 or (px > limit + 1e-9 if buy else px < limit - 1e-9):
                break
            qty = min(want, size)
            want -= qty
            self._fill(order, qty, px)

    def _fill(self, order: SimOrder, quantity: int, price: float) -> None:
        self._trade_seq += 1
        trade = Trade(
            trade_id=str(10_000_000 + self._trade_seq), order_id=order.order_id,
            exchange_order_id=order.exchange_order_id or "", instrument=order.instrument,
            product=order.product, transaction_type=order.transaction_type, quantity=quantity,
            price=price, timestamp=ist_text(self.model.now_ns),
        )  # fmt: skip
        self.account.book(trade)
        order.filled_quantity += quantity
        order.fill_value += quantity * price
        self._set_status(order, "COMPLETE" if order.pending_quantity == 0 else "OPEN")

    def on_step(self) -> None:
        """Trigger, match and expire live orders after the model moved."""
        for order in list(self._live):
            self._process(order)
            if (
                order.status in LIVE
                and order.status != "AMO REQ RECEIVED"
                and self._session_over(order.instrument)
            ):
                order.cancelled_quantity = order.pending_quantity
                self._set_status(
                    order, "CANCELLED", "Order cancelled by the exchange at the end of the session."
                )
            if order.status not in LIVE and order in self._live:
                self._live.remove(order)

    def _session_over(self, inst: Instrument) -> bool:
        return self.model.minute_of_day() >= SESSIONS[inst.exchange][1]

    # -- modify and cancel -------------------------------------------------------------------
    def _live_order(self, variety: str, order_id: str, action: str) -> SimOrder:
        order = self.orders.get(order_id)
        if order is None or order.variety != variety:
            raise input_error("Invalid `order_id`." if order is None else "Invalid `variety`.")
        if order.status not in LIVE:
            raise KiteError(
                f"Order cannot be {action} as it is {order.status.lower()}.", "InputException", 400
            )
        return order

    def modify(self, variety: str, order_id: str, params: dict[str, str]) -> SimOrder:
        """Modify a live order's quantity, price, trigger price, order type or validity."""
        order = self._live_order(variety, order_id, "modified")
        previous_status, previous_type = order.status, order.order_type
        new_type = params.get("order_type") or order.order_type
        if new_type not in ORDER_TYPES:
            raise input_error("Invalid `order_type`.")
        protection = order.market_protection
        if new_type in ("MARKET", "SL-M"):
            # An order that already is MARKET/SL-M keeps its protection; one becoming it needs one
            # (https://kite.trade/forum/discussion/comment/52331).
            value = _market_protection(params)
            if value is None and previous_type not in ("MARKET", "SL-M"):
                raise input_error(NO_PROTECTION)
            protection = value if value is not None else protection
        quantity = int(_number(params, "quantity", order.quantity))
        lot = max(order.instrument.lot_size, 1)
        if quantity <= order.filled_quantity or quantity % lot:
            raise input_error("Invalid `quantity`.")
        price = _number(params, "price", order.price)
        trigger = _number(params, "trigger_price", order.trigger_price)
        tick = order.instrument.tick_size
        for name, value in (("price", price), ("trigger_price", trigger)):
            if value and not _on_tick(value, tick):
                raise input_error(f"Tick size for this script is {tick:g}. Invalid `{name}`.")
        self._set_status(order, "MODIFY VALIDATION PENDING", notify=False)
        self._set_status(order, "MODIFY PENDING", notify=False)
        order.order_type, order.quantity = new_type, quantity
        order.price = price if new_type in ("LIMIT", "SL") else 0.0
        order.trigger_price = trigger if new_type in ("SL", "SL-M") else 0.0
        order.market_protection = protection if new_type in ("MARKET", "SL-M") else order.market_protection
        if new_type != previous_type:
            order.requested_type = new_type
        self._protect(order)
        order.validity = params.get("validity") or order.validity
        order.modified = True
        order.order_ns = self.model.now_ns
        self._set_status(order, "MODIFIED")
        if previous_status == "AMO REQ RECEIVED":
            self._set_status(order, "AMO REQ RECEIVED")
        else:
            untriggered = previous_status == "TRIGGER PENDING" or previous_type not in ("SL", "SL-M")
            pending_trigger = new_type in ("SL", "SL-M") and untriggered
            self._set_status(order, "TRIGGER PENDING" if pending_trigger else "OPEN")
        self._process(order)
        return order

    def cancel(self, variety: str, order_id: str) -> SimOrder:
        """Cancel the unfilled part of a live order."""
        order = self._live_order(variety, order_id, "cancelled")
        self._set_status(order, "CANCEL PENDING", notify=False)
        order.cancelled_quantity = order.pending_quantity
        self._set_status(order, "CANCELLED")
        if order in self._live:
            self._live.remove(order)
        return order


__all__ = ["LIVE", "MatchingEngine", "SimOrder", "ist_text"]
