"""SignalManager: durable before published, the journal fallback, status transitions, expiry, consumers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from alphastock.events import Event, EventType
from alphastock.persistence.journal import Journal, read_journal
from alphastock.persistence.writer import StoreWriter, replay
from alphastock.signals.manager import SignalManager
from alphastock.signals.model import Signal, SignalStatus
from alphastock.store import Store
from tests.execution._harness import T0, ManualClock, RecordingBus, signal


def _manager(tmp_path: Path, store: Store) -> tuple[SignalManager, RecordingBus, StoreWriter, ManualClock]:
    bus = RecordingBus()
    writer = StoreWriter(store).start()
    clock = ManualClock()
    return (
        SignalManager(Journal(tmp_path / "j.jsonl"), writer, bus, clock, signal_ttl_s=60),
        bus,
        writer,
        clock,
    )


def test_signal_generated_only_once_the_row_is_in_duckdb(tmp_path: Path) -> None:
    store = Store.open(":memory:")
    manager, bus, writer, _ = _manager(tmp_path, store)
    seen: list[tuple[str, list[str]]] = []

    def check(event: Event[Any]) -> None:
        seen.append((event.payload.id, store.signals().column("id").to_pylist()))

    bus.subscribe(EventType.SIGNAL_GENERATED, check)

    async def run() -> Signal:
        sig = signal()
        assert manager.submit(sig)
        assert bus.events == []  # nothing is published before DuckDB has it
        assert await writer.aflush(10)
        return sig

    try:
        sig = asyncio.run(run())
        assert seen == [(sig.id, [sig.id])]
        assert manager.counters.published == 1
        assert manager.counters.fallback == 0
        assert [r["kind"] for r in read_journal(tmp_path / "j.jsonl")] == ["signal"]
    finally:
        writer.close()
        store.close()


def test_duckdb_failure_falls_back_to_the_journal_and_is_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(tmp_path / "a.duckdb")
    manager, bus, writer, _ = _manager(tmp_path, store)

    def broken(*_: object, **__: object) -> bool:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "insert_signal", broken)

    async def run() -> Signal:
        sig = signal()
        manager.submit(sig)
        assert await writer.aflush(10)
        return sig

    sig = asyncio.run(run())
    writer.close()
    assert [e.payload.id for e in bus.events if e.type is EventType.SIGNAL_GENERATED] == [sig.id]
    assert (manager.counters.fallback, writer.stats.failed, writer.stats.failures) == (
        1,
        1,
        {"insert_signal": 1},
    )
    assert store.count("signals") == 0
    monkeypatch.undo()
    # The next start replays the journal.
    stats = replay(tmp_path / "j.jsonl", store)
    assert stats.signals == 1
    assert store.signals().column("id").to_pylist() == [sig.id]
    store.close()


def test_status_transitions_follow_the_table(tmp_path: Path) -> None:
    store = Store.open(":memory:")
    manager, bus, writer, clock = _manager(tmp_path, store)

    async def run() -> Signal:
        sig = signal()
        manager.submit(sig)
        clock.advance(1)
        assert manager.update_status(sig.id, SignalStatus.ACTIVE) is not None
        clock.advance(1)
        closed = manager.update_status(sig.id, "CLOSED", "target hit")
        assert closed is not None
        assert closed.metadata["closed_reason"] == "target hit"
        assert manager.update_status(sig.id, SignalStatus.ACTIVE) is None  # CLOSED is terminal
        assert manager.update_status("nope", SignalStatus.ACTIVE) is None
        assert await writer.aflush(10)
        return sig

    try:
        sig = asyncio.run(run())
        assert manager.counters.illegal_transitions == 1
        updated = [e.payload.status for e in bus.events if e.type is EventType.SIGNAL_UPDATED]
        assert bus.types()[0] is EventType.SIGNAL_GENERATED
        assert updated == [SignalStatus.ACTIVE, SignalStatus.CLOSED]
        (row,) = store.signals().to_pylist()
        assert (row["status"], row["updated_ns"]) == ("CLOSED", T0 + 2_000_000_000)
        kinds = [r["kind"] for r in read_journal(tmp_path / "j.jsonl")]
        assert kinds == ["signal", "signal_status", "signal_status"]
        assert manager.get(sig.id) is not None
        assert manager.get(sig.id).status is SignalStatus.CLOSED
    finally:
        writer.close()
        store.close()


def test_duplicates_invalid_and_expiry(tmp_path: Path) -> None:
    store = Store.open(":memory:")
    manager, _, writer, clock = _manager(tmp_path, store)

    async def run() -> None:
        old = signal()
        fresh = signal(ts_ns=T0 + 50 * 10**9)
        active = signal()
        for s in (old, fresh, active):
            assert manager.submit(s)
        assert not manager.submit(old)
        assert not manager.submit(signal().with_status(SignalStatus.ACTIVE, T0))
        manager.update_status(active.id, SignalStatus.ACTIVE)
        clock.advance(61)
        assert manager.expire() == 1
        assert [s.status for s in manager.recent(3)] == [
            SignalStatus.ACTIVE,
            SignalStatus.NEW,
            SignalStatus.EXPIRED,
        ]
        assert await writer.aflush(10)

    try:
        asyncio.run(run())
        assert (manager.counters.duplicates, manager.counters.invalid, manager.counters.expired) == (1, 1, 1)
        assert sorted(store.signals().column("status").to_pylist()) == ["ACTIVE", "EXPIRED", "NEW"]
        summary = manager.stats()
        assert (summary["submitted"], summary["status_expired"]) == (3, 1)
    finally:
        writer.close()
        store.close()


def test_consumers_run_synchronously_and_a_failing_one_is_isolated(tmp_path: Path) -> None:
    store = Store.open(":memory:")
    manager, _, writer, _ = _manager(tmp_path, store)
    calls: list[tuple[str, str]] = []

    def broken(sig: Signal, handed_ns: int) -> None:
        raise RuntimeError("bug")

    def direct(sig: Signal, handed_ns: int) -> None:
        assert handed_ns > 0
        calls.append(("direct", sig.id))

    async def later(sig: Signal) -> None:
        calls.append(("async", sig.id))

    manager.add_consumer(broken)
    manager.add_consumer(direct)
    manager.add_consumer(lambda sig, _: later(sig))

    async def run() -> str:
        sig = signal()
        manager.submit(sig)
        assert calls == [("direct", sig.id)]  # before submit returned
        await manager.stop()
        return sig.id

    try:
        sid = asyncio.run(run())
        assert calls == [("direct", sid), ("async", sid)]
        assert manager.counters.consumer_errors == 1
    finally:
        writer.close()
        store.close()


def test_the_journal_holds_model_dump_json_and_history_keeps_the_last_signals(tmp_path: Path) -> None:
    class NoWriter:  # DuckDB is not what this checks
        def submit(self, op: str, *args: Any, **kwargs: Any) -> None:
            pass

    journal = Journal(tmp_path / "j.jsonl")
    manager = SignalManager(journal, NoWriter(), RecordingBus(), ManualClock(), history=2)  # type: ignore[arg-type]
    signals = [signal(metadata={"why": "é", "n": [1, 2.5]}), signal(), signal()]
    for s in signals:
        assert manager.submit(s)
    journal.close()
    records = list(read_journal(tmp_path / "j.jsonl"))
    assert [r["data"] for r in records] == [json.loads(s.model_dump_json()) for s in signals]
    assert (tmp_path / "j.jsonl").read_text(encoding="utf-8").count(signals[0].model_dump_json()) == 1
    assert [s.id for s in manager.recent(5)] == [signals[2].id, signals[1].id]
    assert manager.get(signals[0].id) is None
