"""Journal replay of a modified order: the confirmed terms reach the ``orders`` row, as the live write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alphastock.persistence.journal import Journal
from alphastock.persistence.writer import replay
from alphastock.store import Store
from alphastock.store.records import OrderRecord
from tests.execution._harness import T0

STOP = {
    "idempotency_key": "ASstop1",
    "symbol": "SBIN",
    "exchange": "NSE",
    "product": "MIS",
    "side": "SELL",
    "order_type": "SL",
    "variety": "regular",
    "quantity": 10,
    "price": 789.0,
    "trigger_price": 790.0,
    "state": "NEW",
    "created_ns": T0,
    "token": 779521,
}


def _transition(to_state: str, ts_ns: int, **fields: Any) -> dict[str, Any]:
    return {"key": "ASstop1", "to_state": to_state, "ts_ns": ts_ns, "broker_order_id": "B1", **fields}


def _terms(stage: str, quantity: int, price: float, trigger: float) -> dict[str, Any]:
    return {"modify": stage, "quantity": quantity, "price": price, "trigger_price": trigger}


def _replayed(tmp_path: Path, *transitions: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    with Journal(tmp_path / "j.jsonl") as journal:
        journal.append("order", STOP)
        for record in transitions:
            journal.append("order_transition", record)
        with Store.open(":memory:") as store:
            stats = replay(journal, store)
            assert stats.transitions == len(transitions)
            assert replay(journal, store).transitions == 0  # idempotent
            row = store.order("ASstop1")
            assert row is not None
            return row, store.order_events("ASstop1").column("payload").to_pylist()


def test_replay_applies_the_terms_a_confirmation_journaled(tmp_path: Path) -> None:
    row, payloads = _replayed(
        tmp_path,
        _transition("SUBMITTED", T0 + 1),
        _transition("TRIGGER_PENDING", T0 + 2),
        # Asked: the order still rests on its old terms.
        _transition("TRIGGER_PENDING", T0 + 3, payload=_terms("requested", 6, 794.0, 795.0)),
        # Confirmed while a cancel is pending (the OMS journals the terms as fields of their own).
        _transition("CANCEL_PENDING", T0 + 4),
        _transition(
            "CANCEL_PENDING",
            T0 + 5,
            quantity=6,
            price=794.0,
            trigger_price=795.0,
            payload=_terms("confirmed", 6, 794.0, 795.0),
        ),
        _transition("CANCELLED", T0 + 6),
    )
    assert (row["state"], row["quantity"], row["price"], row["trigger_price"], row["updated_ns"]) == (
        "CANCELLED",
        6,
        794.0,
        795.0,
        T0 + 6,
    )
    assert [p is not None for p in payloads] == [False, False, False, True, False, True, False]


def test_a_requested_modification_changes_no_stored_terms(tmp_path: Path) -> None:
    row, _ = _replayed(
        tmp_path,
        _transition("TRIGGER_PENDING", T0 + 1),
        _transition("TRIGGER_PENDING", T0 + 2, payload=_terms("requested", 6, 794.0, 795.0)),
    )
    assert (row["quantity"], row["price"], row["trigger_price"]) == (10, 789.0, 790.0)


def test_a_journal_written_before_the_terms_were_fields_is_read_from_the_payload(tmp_path: Path) -> None:
    row, _ = _replayed(
        tmp_path,
        _transition("TRIGGER_PENDING", T0 + 1),
        _transition("TRIGGER_PENDING", T0 + 2, payload=_terms("confirmed", 10, 794.0, 795.0)),
    )
    assert (row["quantity"], row["price"], row["trigger_price"]) == (10, 794.0, 795.0)


def test_records_stamped_alike_are_each_replayed_once(tmp_path: Path) -> None:
    """A simulated clock stamps a modification's request and confirmation with one time: both count."""
    records = [
        _transition("TRIGGER_PENDING", T0 + 1),
        _transition("TRIGGER_PENDING", T0 + 1, payload=_terms("requested", 10, 794.0, 795.0)),
        _transition(
            "TRIGGER_PENDING",
            T0 + 1,
            quantity=10,
            price=794.0,
            trigger_price=795.0,
            payload=_terms("confirmed", 10, 794.0, 795.0),
        ),
    ]
    with Journal(tmp_path / "j.jsonl") as journal, Store.open(":memory:") as store:
        journal.append("order", STOP)
        for record in records:
            journal.append("order_transition", record)
        # The live writer got as far as the first transition before the crash.
        store.insert_order(OrderRecord(**STOP))
        first = dict(records[0])
        store.transition_order(first.pop("key"), first.pop("to_state"), first.pop("ts_ns"), **first)
        assert replay(journal, store).transitions == 2
        assert replay(journal, store).transitions == 0
        row = store.order("ASstop1")
        assert row is not None
        assert (row["price"], row["trigger_price"]) == (794.0, 795.0)
        assert (
            store.order_events("ASstop1").column("to_state").to_pylist() == ["NEW"] + ["TRIGGER_PENDING"] * 3
        )
