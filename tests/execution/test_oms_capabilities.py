"""The OMS reads what the execution client declares (BrokerCapabilities), never probes it: an immediate
placement only from a client that declares one, the update stream only from a client that streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alphastock.execution import OMS, OrderState
from alphastock.models import OrderRequest
from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import StoreWriter
from alphastock.ports import BrokerCapabilities, Placement
from alphastock.store import Store
from tests.execution._harness import ManualClock, RecordingBus
from tests.execution.test_oms import approved, request


class _Client:
    """An execution client with a synchronous start and an update stream, both counted."""

    def __init__(self, capabilities: BrokerCapabilities) -> None:
        self.capabilities = capabilities
        self.calls: list[str] = []

    async def place_order(self, request: OrderRequest) -> str:
        self.calls.append("place_order")
        return "B-coroutine"

    def place_order_now(self, request: OrderRequest) -> Placement | None:
        self.calls.append("place_order_now")

        async def pending() -> str:
            return "B-now"

        return Placement(pending(), 7)

    async def orders(self) -> list[Any]:
        return []

    def order_updates(self) -> AsyncIterator[Any]:
        self.calls.append("order_updates")
        return self._silence()

    async def _silence(self) -> AsyncIterator[Any]:
        await asyncio.Event().wait()  # cancelled by the OMS's stop
        yield None


def _oms(tmp_path: Path, client: _Client) -> tuple[OMS, StoreWriter, Store]:
    store = Store.open(":memory:")
    writer = StoreWriter(store).start()
    oms = OMS(client, Journal(tmp_path / "j.jsonl"), writer, RecordingBus(), ManualClock())  # type: ignore[arg-type]
    return oms, writer, store


def _place(tmp_path: Path, capabilities: BrokerCapabilities) -> tuple[list[str], Any]:
    client = _Client(capabilities)
    oms, writer, store = _oms(tmp_path, client)

    async def run() -> Any:
        order = oms.submit_nowait(request("AScap1"), approved())
        await oms.idle()
        return order

    try:
        order = asyncio.run(run())
        return client.calls, (order.state, order.broker_order_id)
    finally:
        writer.close()
        store.close()


def test_an_immediate_placement_is_used_only_when_declared(tmp_path: Path) -> None:
    calls, outcome = _place(tmp_path, BrokerCapabilities(immediate_placement=True))
    assert calls == ["place_order_now"]
    assert outcome == (OrderState.SUBMITTED, "B-now")
    calls, outcome = _place(tmp_path, BrokerCapabilities(immediate_placement=False))
    assert calls == ["place_order"]  # the client has place_order_now, but did not declare it
    assert outcome == (OrderState.SUBMITTED, "B-coroutine")


def test_the_update_stream_is_consumed_only_when_declared(tmp_path: Path) -> None:
    def started(capabilities: BrokerCapabilities) -> tuple[list[str], list[str]]:
        client = _Client(capabilities)
        oms, writer, store = _oms(tmp_path, client)

        async def run() -> list[str]:
            await oms.start()
            await asyncio.sleep(0)  # the loops take their first step
            names = [task.get_name() for task in oms._loops]
            await oms.stop()
            return names

        try:
            return asyncio.run(run()), client.calls
        finally:
            writer.close()
            store.close()

    assert started(BrokerCapabilities(streams_order_updates=True)) == (
        ["oms-updates", "oms-reconcile"],
        ["order_updates"],
    )
    assert started(BrokerCapabilities(streams_order_updates=False)) == (["oms-reconcile"], [])
