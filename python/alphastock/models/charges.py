"""Charges on executed orders in Kite's virtual-contract-note shape (``virtual_contract_note.json``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from pydantic import Field

from alphastock.models._base import KiteModel
from alphastock.models.enums import Exchange, OrderType, Product, TransactionType, Variety

if TYPE_CHECKING:
    from alphastock.models.orders import OrderRequest


class Gst(KiteModel):
    """GST on the taxable charges, rupees; Kite books intra-state trades as CGST + SGST, others IGST."""

    igst: float = 0.0
    cgst: float = 0.0
    sgst: float = 0.0
    total: float = 0.0


class ChargeBreakdown(KiteModel):
    """Statutory and broker charges of one executed order, rupees (Kite's ``charges`` object).

    ``transaction_tax`` is STT (securities) or CTT (commodities), named by
    ``transaction_tax_type`` ("stt", "ctt", or "" when none applies).
    """

    transaction_tax: float = 0.0
    transaction_tax_type: str = ""
    exchange_turnover_charge: float = 0.0
    sebi_turnover_charge: float = 0.0
    brokerage: float = 0.0
    stamp_duty: float = 0.0
    gst: Gst = Field(default_factory=Gst)
    total: float = 0.0

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse a Kite ``charges`` object."""
        return cls.model_validate(data)


class ChargeOrder(KiteModel):
    """One executed order to price (Kite ``POST /charges/orders`` item; kiteconnect
    ``get_virtual_contract_note``): ``quantity`` units at ``average_price`` rupees.

    ``multiplier`` scales price x quantity into rupees of turnover (MCX lots; 1 elsewhere).
    ``instrument_type`` (EQ/FUT/CE/PE) is inferred from the symbol when left ``None``.
    """

    order_id: str = ""
    exchange: Exchange
    tradingsymbol: str
    transaction_type: TransactionType
    variety: Variety = Variety.REGULAR
    product: Product
    order_type: OrderType = OrderType.MARKET
    quantity: int = Field(gt=0)
    average_price: float = Field(ge=0.0, allow_inf_nan=False)
    multiplier: float = Field(1.0, gt=0.0)
    instrument_type: str | None = None

    @classmethod
    def for_request(
        cls,
        request: OrderRequest,
        quantity: int,
        average_price: float,
        *,
        order_id: str = "",
        multiplier: float = 1.0,
        instrument_type: str | None = None,
    ) -> Self:
        """``request`` executed (or to be priced) as ``quantity`` units at ``average_price`` rupees."""
        return cls(
            order_id=order_id,
            exchange=request.exchange,
            tradingsymbol=request.tradingsymbol,
            transaction_type=request.transaction_type,
            variety=request.variety,
            product=request.product,
            order_type=request.order_type,
            quantity=quantity,
            average_price=average_price,
            multiplier=multiplier,
            instrument_type=instrument_type,
        )

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse a ``/charges/orders`` request item, or a contract-note entry (``price`` for the price)."""
        fields = dict(data)
        if "average_price" not in fields and "price" in fields:
            fields["average_price"] = fields["price"]
        return cls.model_validate(fields)

    def to_kite(self) -> dict[str, Any]:
        """The ``/charges/orders`` request item Kite expects."""
        return {
            "order_id": self.order_id,
            "exchange": self.exchange.value,
            "tradingsymbol": self.tradingsymbol,
            "transaction_type": self.transaction_type.value,
            "variety": self.variety.value,
            "product": self.product.value,
            "order_type": self.order_type.value,
            "quantity": self.quantity,
            "average_price": self.average_price,
        }


class ContractNote(KiteModel):
    """One entry of Kite's virtual contract note: the order as priced, with its charges."""

    transaction_type: TransactionType
    tradingsymbol: str
    exchange: Exchange
    variety: Variety
    product: Product
    order_type: OrderType
    quantity: int
    price: float
    charges: ChargeBreakdown

    @classmethod
    def from_kite(cls, data: dict[str, Any]) -> Self:
        """Parse one entry of ``/charges/orders``."""
        return cls.model_validate(data)


__all__ = ["ChargeBreakdown", "ChargeOrder", "ContractNote", "Gst"]
