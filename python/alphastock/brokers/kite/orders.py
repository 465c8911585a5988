"""Order placement rules of the KiteBroker: tags, slicing above the freeze quantity, ambiguity.

* Every order carries ``tag`` = the OMS idempotency key (1-20 characters). Kite has no
  client order id, so the tag is how an order whose answer was lost is found again.
* A quantity above the instrument's freeze quantity is cut into child orders of at most
  the freeze quantity (rounded down to whole lots), placed one after another and tracked
  as one :class:`SlicedOrder`. Child tags derive deterministically from the parent tag
  (:func:`child_tag`), so a retried parent maps to the same children.
* An ambiguous placement (timeout, dropped connection, HTTP 5xx, a 200 without an order
  id) is never resent: the order book is searched for the tag (:func:`find_by_tag`)
  and the found order id is the answer; none found raises
  :class:`~alphastock.brokers.errors.AmbiguousOrderOutcome`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from alphastock.models import TAG_MAX_LENGTH, Order, OrderRequest

SLICED_PREFIX = "sliced:"
"""Prefix of the id :meth:`KiteBroker.place_order` returns for a sliced order (``sliced:<parent tag>``)."""

_DIGEST_CHARS = 6


def child_tag(parent_tag: str, index: int) -> str:
    """The tag of child ``index`` (1-based) of a sliced order, at most 20 characters.

    ``<parent>-<index>`` when that fits; otherwise the parent is cut and a 6-hex-digit
    BLAKE2 digest of the whole parent tag is inserted (``<head><digest>-<index>``), so
    two long parents sharing a prefix still get distinct children. Deterministic.
    """
    if index < 1:
        raise ValueError("child index starts at 1")
    suffix = f"-{index}"
    plain = parent_tag + suffix
    if len(plain) <= TAG_MAX_LENGTH:
        return plain
    digest = hashlib.blake2b(parent_tag.encode(), digest_size=8).hexdigest()[:_DIGEST_CHARS]
    head = parent_tag[: TAG_MAX_LENGTH - len(suffix) - _DIGEST_CHARS]
    if not head:
        raise ValueError(f"too many children ({index}) for a {TAG_MAX_LENGTH}-character tag")
    return f"{head}{digest}{suffix}"


def slice_quantities(quantity: int, freeze_quantity: int, lot_size: int = 1) -> list[int]:
    """Child quantities (units) for ``quantity``: each at most ``freeze_quantity`` rounded down to whole
    ``lot_size`` lots, the full ones first and the remainder last. One child when no slicing is needed."""
    if quantity <= 0 or freeze_quantity <= 0 or lot_size <= 0:
        raise ValueError("quantity, freeze_quantity and lot_size must be positive")
    per_child = freeze_quantity // lot_size * lot_size
    if per_child <= 0:
        raise ValueError(f"freeze quantity {freeze_quantity} is below one lot of {lot_size}")
    if quantity <= freeze_quantity:
        return [quantity]
    full, rest = divmod(quantity, per_child)
    return [per_child] * full + ([rest] if rest else [])


@dataclass
class ChildOrder:
    """One slice of a :class:`SlicedOrder`: its tag, quantity (units) and Kite order id once placed."""

    tag: str
    quantity: int
    order_id: str | None = None
    error: str | None = None


@dataclass
class SlicedOrder:
    """An order above the freeze quantity, placed as child orders and tracked as one parent.

    ``parent_id`` (``sliced:<tag>``) is what :meth:`KiteBroker.place_order` returned;
    ``children`` are in placement order. ``complete`` is False when placement stopped
    early (a child failed; its ``error`` says why; later children were not sent).
    """

    tag: str
    request: OrderRequest
    children: list[ChildOrder] = field(default_factory=list)

    @property
    def parent_id(self) -> str:
        """The parent's id as returned by ``place_order``."""
        return SLICED_PREFIX + self.tag

    @property
    def order_ids(self) -> list[str]:
        """Kite order ids of the children placed so far."""
        return [child.order_id for child in self.children if child.order_id is not None]

    @property
    def complete(self) -> bool:
        """Every child was placed."""
        return all(child.order_id is not None for child in self.children)

    @property
    def quantity(self) -> int:
        """Total units of the parent."""
        return sum(child.quantity for child in self.children)


def find_by_tag(orders: list[Order], tag: str) -> Order | None:
    """The earliest order in ``orders`` carrying ``tag`` (in ``tag`` or ``tags``), or None."""
    found = [order for order in orders if order.tag == tag or tag in order.tags]
    if not found:
        return None
    return min(found, key=lambda order: order.order_timestamp or 0)


__all__ = [
    "SLICED_PREFIX",
    "ChildOrder",
    "SlicedOrder",
    "child_tag",
    "find_by_tag",
    "slice_quantities",
]
