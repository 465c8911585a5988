"""Placing an order: the risk check, the risk notice of a refusal, and the OMS hand-over, in one place.

Every executor (the DirectExecutor, the options executor) and the protective orders place through an
:class:`OrderPlacer`, so nothing reaches the OMS without :meth:`RiskEngine.check` and every refusal
is published (RISK_REJECTED) and stored (``risk_events``) the same way.

Units: prices rupees, quantities units, times UTC epoch ns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from alphastock._core import OrderIntent
from alphastock.clock import Clock
from alphastock.events import Event, EventType, RiskNotice
from alphastock.execution.oms import OMS, Stamps
from alphastock.execution.orders import Approval, ManagedOrder
from alphastock.latency import now_ns as wall_ns
from alphastock.models import Instrument, OrderRequest
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import Publisher
from alphastock.risk import RiskAction, RiskEngine

_KIND: Final = {"EQ": "EQ", "FUT": "FUT", "CE": "CE", "PE": "PE"}
_SENDABLE: Final = (RiskAction.APPROVE, RiskAction.REDUCE_SIZE)


@dataclass(frozen=True, slots=True)
class Placed:
    """What :meth:`OrderPlacer.place` did: the order (NEW or SUBMITTED), or why none was made."""

    order: ManagedOrder | None
    refusal: str | None = None


class OrderPlacer:
    """Risk check → OMS for one order (see the module docstring)."""

    def __init__(
        self, oms: OMS, risk: RiskEngine, *, clock: Clock, bus: Publisher, writer: StoreWriter
    ) -> None:
        self.oms = oms
        self.risk = risk
        self.clock = clock
        self.bus = bus
        self.writer = writer

    def intent(
        self,
        inst: Instrument,
        product: str,
        side: str,
        quantity: int,
        *,
        reference_price: float,
        price: float | None,
        multiplier: float = 1.0,
    ) -> OrderIntent:
        """The risk engine's view of an order of ``quantity`` units of ``inst``."""
        return OrderIntent(
            token=inst.instrument_token,
            symbol=inst.tradingsymbol,
            exchange=inst.exchange,
            product=product,
            side=side,
            quantity=quantity,
            reference_price=reference_price,
            price=price,
            lot_size=max(inst.lot_size, 1),
            tick_size=inst.tick_size or 0.05,
            freeze_quantity=inst.freeze_quantity,
            underlying=inst.name or inst.tradingsymbol,
            kind=_KIND.get(inst.instrument_type, "EQ"),
            multiplier=multiplier,
        )

    def approve(
        self,
        inst: Instrument,
        product: str,
        side: str,
        quantity: int,
        *,
        reference_price: float,
        price: float | None,
        multiplier: float = 1.0,
        signal_id: str | None = None,
    ) -> tuple[Approval | None, str | None]:
        """The risk engine's approval of an order on these terms (for a modification: ``quantity`` the
        units that may still trade), or None and the refusal's text. A refusal or a reduced size is
        published and stored as a risk notice."""
        intent = self.intent(
            inst, product, side, quantity, reference_price=reference_price, price=price, multiplier=multiplier
        )
        return self.check(intent, signal_id)

    def check(self, intent: OrderIntent, signal_id: str | None = None) -> tuple[Approval | None, str | None]:
        """:meth:`RiskEngine.check` of ``intent`` at the clock's time: the approval, or None and the
        refusal's text; a refusal or a reduced size is published and stored as a risk notice."""
        now = self.clock.now_ns()
        decision = self.risk.check(intent, now)
        if decision.action not in _SENDABLE:
            self.notice(decision, intent, signal_id, now)
            return None, f"risk {decision.action}: {'; '.join(v.message for v in decision.violations)}"
        if decision.action is RiskAction.REDUCE_SIZE:
            self.notice(decision, intent, signal_id, now)
        return Approval.from_decision(intent, decision, now), None

    def place(
        self,
        inst: Instrument,
        product: str,
        side: str,
        quantity: int,
        *,
        reference_price: float,
        order_type: str,
        price: float | None = None,
        trigger_price: float | None = None,
        market_protection: float | None = None,
        purpose: str,
        signal_id: str | None = None,
        stamps: Stamps | None = None,
        multiplier: float = 1.0,
        handed_ns: int = 0,
        recv_ns: int = 0,
    ) -> Placed:
        """Check the order with the risk engine and hand it to the OMS (its broker call starts now).

        ``order_type`` MARKET (with ``market_protection``), LIMIT (``price``) or SL (``price`` and
        ``trigger_price``). A REDUCE_SIZE sends the approved quantity; REJECT and REQUIRE_APPROVAL
        send nothing and return the refusal's text (the notice is published and stored)."""
        approval, refusal = self.approve(
            inst, product, side, quantity, reference_price=reference_price, price=price,
            multiplier=multiplier, signal_id=signal_id,
        )  # fmt: skip
        risk_ns = wall_ns()
        if approval is None:
            return Placed(None, refusal)
        now = approval.checked_ns
        fields: dict[str, Any] = {
            "tag": self.oms.new_key(now),
            "exchange": inst.exchange,
            "tradingsymbol": inst.tradingsymbol,
            "instrument_token": inst.instrument_token,
            "transaction_type": side,
            "quantity": approval.quantity,
            "product": product,
            "order_type": order_type,
        }
        if price is not None:
            fields["price"] = price
        if trigger_price is not None:
            fields["trigger_price"] = trigger_price
        if market_protection is not None and order_type in ("MARKET", "SL-M"):
            fields["market_protection"] = market_protection
        request = OrderRequest.model_validate(fields)
        if stamps is None and handed_ns:
            stamps = Stamps(tick_ns=recv_ns or handed_ns, signal_ns=handed_ns, risk_ns=risk_ns)
        order = self.oms.submit_nowait(request, approval, signal_id=signal_id, purpose=purpose, stamps=stamps)
        return Placed(order)

    def notice(self, decision: Any, intent: OrderIntent, signal_id: str | None, now: int) -> None:
        """Publish RISK_REJECTED and store the risk event of a refused or reduced order."""
        codes = list(decision.codes)
        message = "; ".join(v.message for v in decision.violations)
        detail = {
            "action": str(decision.action),
            "requested": decision.requested_quantity,
            "approved": decision.approved_quantity,
            "signal_id": signal_id,
            "codes": codes,
        }
        notice = RiskNotice(
            code=codes[0] if codes else str(decision.action),
            message=message,
            symbol=intent.symbol,
            detail=detail,
        )
        self.bus.publish_nowait(Event(EventType.RISK_REJECTED, notice, ts_event=now))
        self.writer.submit(
            "record_risk_event",
            now,
            "order_rejected" if decision.action != RiskAction.REDUCE_SIZE else "order_reduced",
            code=notice.code,
            message=message,
            payload={**detail, "symbol": intent.symbol},
        )


__all__ = ["OrderPlacer", "Placed"]
