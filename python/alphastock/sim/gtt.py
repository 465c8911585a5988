"""Kite's GTT (Good Till Triggered) triggers: placed, modified, deleted, listed, and fired on the market.

Routes, form fields and shapes are Kite Connect v3's (https://kite.trade/docs/connect/v3/gtt/, the
official SDK's ``place_gtt`` / ``modify_gtt`` / ``delete_gtt`` / ``get_gtts`` / ``get_gtt``, and
the kite-mocks ``gtt_*.json``): ``POST /gtt/triggers`` with the form fields ``type`` (``single`` or
``two-leg``), ``condition`` (JSON: exchange, tradingsymbol, trigger_values, last_price) and
``orders`` (JSON list: exchange, tradingsymbol, transaction_type, quantity, order_type, product,
price) answers ``{"trigger_id": id}``; ``GET /gtt/triggers[/{id}]`` answers the triggers as the
mocks show them (``condition.instrument_token``, ``orders[].result``, ``created_at``,
``updated_at``, ``expires_at`` as IST text). Statuses are the SDK's: active, triggered, disabled,
expired, cancelled, rejected, deleted (this simulator sets active, triggered, expired, deleted).

Rules the simulator enforces, as Kite does (InputException, HTTP 400):

- the order of a GTT is a LIMIT order ("order_type: LIMIT" in the docs' order list; "only LIMIT
  orders are allowed when a GTT is triggered", https://kite.trade/forum/discussion/comment/51475);
- F&O GTTs are NRML only, equity GTTs CNC (MIS and intraday products refused: DESIGN.md section 4,
  https://v2.webnotes.in/gtt-for-fno-zerodha/ "uses the NRML product type"); no GTT on the
  currency and commodity segments ("GTT orders aren't available for the Currency and Commodity
  segment", https://support.zerodha.com/category/trading-and-markets/kite-features/gtt/articles/gtt-fno);
- a trigger must be at least 0.25% away from the last price (9 paise when the price is Rs 50 or
  less), so a trigger at the last price is refused
  (https://support.zerodha.com/category/trading-and-markets/gtt/articles/my-buy-gtt-order-rejected-in-kite);
- ``single`` has one trigger and one order; ``two-leg`` (OCO) two of each, the lower trigger (the
  stop, order 0) below the last price and the upper (the target, order 1) above it — "the index of
  the order is used by API to determine which order is executed when a trigger value is reached";
- quantities are whole lots and prices on the tick, as for any order; at most 250 active GTTs per
  account (https://support.zerodha.com/category/trading-and-markets/charts-and-orders/gtt/articles/why-was-my-sell-gtt-order-rejected);
- only an active GTT can be modified or deleted (the docs: "Modify an active GTT", "Delete an
  active GTT").

Triggering: after every market step, while the instrument's market is open, each active GTT is
compared with the instrument's last price. A ``single`` trigger fires when the price reaches its
value from the side of the ``last_price`` given at placement ("In case of single leg GTTs,
`last_price` determines the direction of the trigger", https://kite.trade/forum/profile/comments/rhnvrm);
a ``two-leg`` fires its lower leg at or below the lower trigger, its upper leg at or above the upper.
Firing places the leg as a regular DAY LIMIT order through the matching engine (so it is in the
order book, matches as any order, and is streamed as an order update), and the GTT becomes
``triggered`` with the leg's ``result`` shaped as the mocks' (``order_result`` status ``success`` with
the order id, or ``failed`` with the rejection reason; the GTT stays ``triggered`` either way, as in
``gtt_get_order.json``). F&O GTTs expire with their contract (15:30 IST on expiry day), equity GTTs a
year after placement (the support articles above).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

from alphastock.sim.errors import KiteError, input_error
from alphastock.sim.instruments import Instrument
from alphastock.sim.market import NS, MarketModel, ist_ns
from alphastock.sim.matching import MatchingEngine, ist_text

GTT_TYPES = ("single", "two-leg")
LEG_FIELDS = ("exchange", "tradingsymbol", "transaction_type", "quantity", "order_type", "product", "price")
GTT_PRODUCTS = {"NFO": "NRML", "NSE": "CNC"}
"""The one product a GTT's orders may use, by exchange (no GTT on MCX or CDS)."""
MAX_ACTIVE = 250
MIN_DISTANCE_PCT = 0.25
"""A trigger's least distance from the last price, percent (above Rs 50)."""
MIN_DISTANCE_LOW = 0.09
"""A trigger's least distance from a last price of Rs 50 or less, rupees."""
FIRST_TRIGGER_ID = 100_001
Parsed = tuple[str, Instrument, list[float], float, list[dict[str, Any]]]
"""A place/modify form, validated: type, instrument, trigger values, last_price, the legs."""


@dataclass(slots=True)
class SimGtt:
    """One GTT and its state. Prices in rupees, quantities in units, times UTC epoch ns."""

    trigger_id: int
    type: str
    instrument: Instrument
    trigger_values: list[float]
    last_price: float
    legs: list[dict[str, Any]]
    created_ns: int
    updated_ns: int
    expires_ns: int
    status: str = "active"
    results: list[dict[str, Any] | None] = field(default_factory=list)

    def to_kite(self, user_id: str) -> dict[str, Any]:
        """The GTT as ``GET /gtt/triggers/{id}`` returns it."""
        inst = self.instrument
        return {
            "id": self.trigger_id,
            "user_id": user_id,
            "parent_trigger": None,
            "type": self.type,
            "created_at": ist_text(self.created_ns),
            "updated_at": ist_text(self.updated_ns),
            "expires_at": ist_text(self.expires_ns),
            "status": self.status,
            "condition": {
                "exchange": inst.exchange,
                "last_price": self.last_price,
                "tradingsymbol": inst.tradingsymbol,
                "trigger_values": list(self.trigger_values),
                "instrument_token": inst.instrument_token,
            },
            "orders": [{**leg, "result": res} for leg, res in zip(self.legs, self.results, strict=True)],
            "meta": {},
        }


def _json(form: dict[str, str], name: str) -> Any:
    raw = form.get(name)
    if not raw:
        raise input_error(f"Missing `{name}`.")
    try:
        return json.loads(raw)
    except ValueError:
        raise input_error(f"Invalid `{name}`: not JSON.") from None


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise input_error(f"Invalid `{name}`.")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise input_error(f"Invalid `{name}`.")
    return number


def _on_tick(price: float, tick: float) -> bool:
    steps = price / tick
    return abs(steps - round(steps)) < 1e-6


def min_distance(last_price: float) -> float:
    """The least distance a trigger keeps from ``last_price``, rupees (see the module doc)."""
    return MIN_DISTANCE_LOW if last_price <= 50 else last_price * MIN_DISTANCE_PCT / 100


class GttBook:
    """The account's GTTs, fired against a :class:`MarketModel` through a :class:`MatchingEngine`."""

    def __init__(
        self, model: MarketModel, engine: MatchingEngine, by_key: dict[str, Instrument], user_id: str
    ) -> None:
        self.model = model
        self.engine = engine
        self.by_key = by_key
        self.user_id = user_id
        self.triggers: dict[int, SimGtt] = {}
        self._next_id = FIRST_TRIGGER_ID

    # -- validation --------------------------------------------------------------------------
    def _parse(self, form: dict[str, str]) -> Parsed:
        """``(type, instrument, trigger values, last_price, legs)`` of a place/modify form, validated."""
        kind = form.get("type", "")
        if kind not in GTT_TYPES:
            raise input_error("Invalid `type`: single or two-leg.")
        condition = _json(form, "condition")
        orders = _json(form, "orders")
        if not isinstance(condition, dict):
            raise input_error("Invalid `condition`: a JSON object.")
        if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
            raise input_error("Invalid `orders`: a JSON list of orders.")
        exchange, symbol = condition.get("exchange"), condition.get("tradingsymbol")
        inst = self.by_key.get(f"{exchange}:{symbol}")
        if inst is None or inst.is_index:
            raise input_error("Invalid `tradingsymbol`." if inst is None else "Indices are not tradable.")
        product = GTT_PRODUCTS.get(inst.exchange)
        if product is None:
            raise input_error("GTT orders aren't available for the Currency and Commodity segment.")
        values = condition.get("trigger_values")
        if not isinstance(values, list) or len(values) != (1 if kind == "single" else 2):
            raise input_error(f"Invalid `trigger_values` for a {kind} GTT.")
        triggers = [_positive(v, "trigger_values") for v in values]
        last_price = _positive(condition.get("last_price"), "last_price")
        if len(orders) != len(triggers):
            raise input_error(f"Invalid `orders`: a {kind} GTT has {len(triggers)} order(s).")
        legs = [self._leg(inst, product, order) for order in orders]
        self._check_triggers(kind, inst, triggers)
        return kind, inst, triggers, last_price, legs

    def _leg(self, inst: Instrument, product: str, order: dict[str, Any]) -> dict[str, Any]:
        for name in LEG_FIELDS:
            if order.get(name) in (None, ""):
                raise input_error(f"Missing `{name}` in orders.")
        if (order["exchange"], order["tradingsymbol"]) != (inst.exchange, inst.tradingsymbol):
            raise input_error("Invalid `orders`: every order must be for the condition's instrument.")
        if order["transaction_type"] not in ("BUY", "SELL"):
            raise input_error("Invalid `transaction_type`.")
        if order["order_type"] != "LIMIT":
            raise input_error(f"Invalid `order_type` ({order['order_type']}): GTT orders can only be LIMIT.")
        if order["product"] != product:
            segment = "F&O" if inst.exchange == "NFO" else "equity"
            raise input_error(
                f"Invalid `product` ({order['product']}): GTT for {segment} is allowed only with {product}."
            )
        quantity = order["quantity"]
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise input_error("Invalid `quantity`.")
        if inst.lot_size > 1 and quantity % inst.lot_size:
            raise input_error(f"Quantity should be a multiple of the lot size ({inst.lot_size}).")
        price = _positive(order["price"], "price")
        if not _on_tick(price, inst.tick_size):
            raise input_error(f"Tick size for this script is {inst.tick_size:g}. Invalid `price`.")
        return {
            "exchange": inst.exchange, "tradingsymbol": inst.tradingsymbol, "product": product,
            "order_type": "LIMIT", "transaction_type": order["transaction_type"], "quantity": quantity,
            "price": price,
        }  # fmt: skip

    def _check_triggers(self, kind: str, inst: Instrument, triggers: list[float]) -> None:
        ltp = float(self.model.ltp[inst.index])
        if ltp <= 0:
            raise input_error("No last price for this instrument yet: a GTT cannot be placed.")
        gap = min_distance(ltp)
        for value in triggers:
            if abs(value - ltp) < gap - 1e-9:
                raise input_error(
                    f"Trigger value {value:g} is too close to the last price {ltp:g}: keep triggers at least "
                    "0.25% away from the last price (9 paise at Rs 50 or less)."
                )
        if kind == "two-leg" and not triggers[0] < ltp < triggers[1]:
            raise input_error(
                f"For a two-leg (OCO) GTT the first trigger (stop loss) must be below and the second "
                f"(target) above the last price {ltp:g}."
            )

    def _expiry_ns(self, inst: Instrument) -> int:
        if inst.expiry is not None:
            return ist_ns(inst.expiry, dt.time(15, 30))
        created = dt.datetime.fromtimestamp(self.model.now_ns // NS, dt.UTC)
        return int(created.replace(year=created.year + 1).timestamp()) * NS

    def _active(self, trigger_id: str, action: str) -> SimGtt:
        gtt = self.get(trigger_id)
        if gtt.status != "active":
            raise input_error(f"GTT cannot be {action} as it is {gtt.status}.")
        return gtt

    # -- the routes --------------------------------------------------------------------------
    def place(self, form: dict[str, str]) -> SimGtt:
        """``POST /gtt/triggers``: a new active GTT; raises KiteError for invalid input."""
        kind, inst, triggers, last_price, legs = self._parse(form)
        if sum(g.status == "active" for g in self.triggers.values()) >= MAX_ACTIVE:
            raise input_error(f"Maximum of {MAX_ACTIVE} active GTTs reached.")
        now = self.model.now_ns
        gtt = SimGtt(
            trigger_id=self._next_id, type=kind, instrument=inst, trigger_values=triggers,
            last_price=last_price, legs=legs, created_ns=now, updated_ns=now,
            expires_ns=self._expiry_ns(inst), results=[None] * len(legs),
        )  # fmt: skip
        self._next_id += 1
        self.triggers[gtt.trigger_id] = gtt
        return gtt

    def modify(self, trigger_id: str, form: dict[str, str]) -> SimGtt:
        """``PUT /gtt/triggers/{id}``: replace an active GTT's type, condition and orders."""
        gtt = self._active(trigger_id, "modified")
        kind, inst, triggers, last_price, legs = self._parse(form)
        gtt.type, gtt.instrument, gtt.trigger_values, gtt.last_price = kind, inst, triggers, last_price
        gtt.legs, gtt.results = legs, [None] * len(legs)
        gtt.expires_ns = self._expiry_ns(inst)
        gtt.updated_ns = self.model.now_ns
        return gtt

    def delete(self, trigger_id: str) -> SimGtt:
        """``DELETE /gtt/triggers/{id}``: an active GTT becomes ``deleted``."""
        gtt = self._active(trigger_id, "deleted")
        gtt.status = "deleted"
        gtt.updated_ns = self.model.now_ns
        return gtt

    def get(self, trigger_id: str) -> SimGtt:
        """``GET /gtt/triggers/{id}``; an unknown id raises KiteError."""
        gtt = self.triggers.get(int(trigger_id)) if trigger_id.isdigit() else None
        if gtt is None:
            raise KiteError("Couldn't find that `trigger_id`.", "InputException", 400)
        return gtt

    def listing(self) -> list[SimGtt]:
        """``GET /gtt/triggers``: every GTT of the GTT order book, newest first (deleted ones left out)."""
        return [g for g in reversed(self.triggers.values()) if g.status != "deleted"]

    # -- the market --------------------------------------------------------------------------
    def on_step(self) -> None:
        """Expire and fire active GTTs against the last prices (call after each market step)."""
        now = self.model.now_ns
        for gtt in list(self.triggers.values()):
            if gtt.status != "active":
                continue
            if now >= gtt.expires_ns:
                gtt.status, gtt.updated_ns = "expired", now
                continue
            if not self.model.is_open(gtt.instrument.exchange):
                continue
            leg = self._crossed(gtt, float(self.model.ltp[gtt.instrument.index]))
            if leg is not None:
                self._fire(gtt, leg)

    @staticmethod
    def _crossed(gtt: SimGtt, ltp: float) -> int | None:
        """The index of the leg the last price ``ltp`` fires, or None."""
        if ltp <= 0:
            return None
        if gtt.type == "two-leg":
            lower, upper = gtt.trigger_values
            return 0 if ltp <= lower else 1 if ltp >= upper else None
        value = gtt.trigger_values[0]
        rising = value > gtt.last_price
        return 0 if (ltp >= value if rising else ltp <= value) else None

    def _fire(self, gtt: SimGtt, leg_index: int) -> None:
        leg = gtt.legs[leg_index]
        ltp = float(self.model.ltp[gtt.instrument.index])
        params = {k: str(v) for k, v in leg.items()}
        params["validity"] = "DAY"
        order_result: dict[str, Any]
        try:
            order = self.engine.place("regular", params)
        except KiteError as exc:
            order_result = {"status": "failed", "order_id": "", "rejection_reason": exc.message}
        else:
            rejected = order.status == "REJECTED"
            order_result = {
                "status": "failed" if rejected else "success",
                "order_id": order.order_id,
                "rejection_reason": (order.status_message or "") if rejected else "",
            }
        now = self.model.now_ns
        gtt.results[leg_index] = {
            "account_id": self.user_id, "exchange": leg["exchange"], "tradingsymbol": leg["tradingsymbol"],
            "validity": "DAY", "product": leg["product"], "order_type": "LIMIT",
            "transaction_type": leg["transaction_type"], "quantity": leg["quantity"], "price": leg["price"],
            "meta": json.dumps({"app_id": 0, "gtt": gtt.trigger_id}), "timestamp": ist_text(now),
            "triggered_at": ltp, "order_result": order_result,
        }  # fmt: skip
        gtt.status, gtt.updated_ns = "triggered", now


__all__ = ["GTT_TYPES", "MAX_ACTIVE", "GttBook", "SimGtt", "min_distance"]
