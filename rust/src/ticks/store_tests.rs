//! Tests of the tick store (a child module of `store`).

use super::*;
use crate::ticks::columns::parse_frame;
use crate::ticks::kite::PacketKind;
use crate::ticks::test_util::{frame, Rng};

fn counts(store: &TickStore) -> Vec<(&'static str, u64)> {
    store.rejected_counts().iter().filter(|(_, n)| *n > 0).map(|(r, n)| (r.name(), *n)).collect()
}

#[test]
fn capacity_zero_is_refused() {
    assert!(TickStore::new(0).is_none());
    assert_eq!(TickStore::new(5).unwrap().capacity(), 5);
}

#[test]
fn tokens_appear_on_first_push_and_rings_wrap() {
    let mut store = TickStore::new(3).unwrap();
    assert_eq!(store.len(7), 0);
    assert_eq!(store.latest(7), None);
    assert!(store.window(7, 5).is_empty());
    for ts in 1..=5 {
        store.push(&Tick::ltp(7, ts, 100.0 + ts as f64)).unwrap();
        store.push(&Tick::ltp(9, ts * 10, 1.0)).unwrap();
    }
    assert_eq!(store.tokens(), [7, 9]);
    assert_eq!(store.len(7), 3);
    assert_eq!(store.window(7, 10).ts_ns, [3, 4, 5]);
    assert_eq!(store.window(7, 10).last_price, [103.0, 104.0, 105.0]);
    assert_eq!(store.window(9, 2).ts_ns, [40, 50]);
    assert_eq!(store.latest(7).unwrap().last_price, 105.0);
    assert_eq!(store.latest(-1), None);
    assert_eq!(store.len(1 << 40), 0);
    assert!(store.nbytes() >= 2 * 3 * crate::ticks::ring::ROW_BYTES);
    assert_eq!(counts(&store), []);
}

#[test]
fn each_reject_reason_is_counted_and_nothing_is_stored() {
    let mut store = TickStore::new(4).unwrap();
    store.push(&Tick::ltp(1, 100, 10.0)).unwrap();
    let bad = [
        (Tick::ltp(-1, 200, 10.0), Reject::InvalidToken),
        (Tick::ltp(1 << 32, 200, 10.0), Reject::InvalidToken),
        (Tick::ltp(1, 200, f64::NAN), Reject::NonFinitePrice),
        (Tick::ltp(1, 200, f64::INFINITY), Reject::NonFinitePrice),
        (Tick { bid: f64::NEG_INFINITY, ..Tick::ltp(1, 200, 10.0) }, Reject::NonFinitePrice),
        (Tick::ltp(1, 200, -0.05), Reject::NegativePrice),
        (Tick { ask: -1.0, ..Tick::ltp(1, 200, 10.0) }, Reject::NegativePrice),
        (Tick { volume: -1, ..Tick::ltp(1, 200, 10.0) }, Reject::NegativeQuantity),
        (Tick { ask_qty: -5, ..Tick::ltp(1, 200, 10.0) }, Reject::NegativeQuantity),
        (Tick::ltp(1, 99, 10.0), Reject::OutOfOrder),
        (Tick::ltp(1, 100, 11.0), Reject::DuplicateTs),
    ];
    for (tick, reason) in &bad {
        assert_eq!(store.push(tick), Err(*reason), "{tick:?}");
    }
    assert_eq!(store.len(1), 1);
    assert_eq!(store.tokens(), [1]);
    assert_eq!(
        counts(&store),
        [
            ("invalid_token", 2),
            ("non_finite_price", 3),
            ("negative_price", 2),
            ("negative_quantity", 2),
            ("out_of_order", 1),
            ("duplicate_ts", 1)
        ]
    );
    // A zero price and an absent (NaN) bid/ask are valid.
    store.push(&Tick::ltp(1, 101, 0.0)).unwrap();
    assert_eq!(store.len(1), 2);
}

#[test]
fn a_rejected_first_tick_creates_no_ring() {
    let mut store = TickStore::new(4).unwrap();
    assert_eq!(store.push(&Tick::ltp(5, 1, -1.0)), Err(Reject::NegativePrice));
    assert!(store.tokens().is_empty());
    assert_eq!(store.nbytes(), 0);
}

#[test]
fn receive_stamps_never_repeat_or_go_back() {
    let mut store = TickStore::new(1).unwrap();
    assert_eq!(store.receive_stamp(1000), 1000);
    assert_eq!(store.receive_stamp(1000), 1001);
    assert_eq!(store.receive_stamp(500), 1002);
    assert_eq!(store.receive_stamp(5000), 5000);
}

fn full_packet(token: u32, ltp: u32, bid: (u32, u32), ask: (u32, u32)) -> Vec<u8> {
    let mut words =
        vec![token, ltp, 3, ltp, 1000, 5, 6, ltp, ltp, ltp, ltp, 1_700_000_000, 777, 800, 700, 1_700_000_001];
    words.extend([bid.0, bid.1, 0]);
    words.extend([0; 12]);
    words.extend([ask.0, ask.1, 0]);
    let mut bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    bytes.resize(184, 0);
    bytes
}

#[test]
fn ingest_writes_the_kept_fields_of_each_packet() {
    let mut store = TickStore::new(8).unwrap();
    let ltp = {
        let mut b = 2049u32.to_be_bytes().to_vec();
        b.extend(12_345u32.to_be_bytes());
        b
    };
    let bytes = frame(&[full_packet(408065, 157_370, (5, 157_340), (0, 0)), ltp]);
    let mut updated = Vec::new();
    assert_eq!(store.ingest_kite(&bytes, 42, true, &mut updated), Ok(2));
    assert_eq!(updated, [408065, 2049]);
    let full = store.latest(408065).unwrap();
    assert_eq!((full.ts_ns, full.last_price, full.last_qty, full.volume, full.oi), (42, 1573.7, 3, 1000, 777));
    assert_eq!((full.bid, full.bid_qty, full.ask_qty), (1573.4, 5, 0));
    assert!(full.ask.is_nan(), "an empty ask side reads as NaN");
    let ltp = store.latest(2049).unwrap();
    assert_eq!((ltp.last_price, ltp.last_qty, ltp.volume, ltp.oi, ltp.bid_qty), (123.45, 0, 0, 0, 0));
    assert!(ltp.bid.is_nan() && ltp.ask.is_nan());
}

#[test]
fn ingest_rejects_a_repeated_token_in_one_frame_as_a_duplicate() {
    let mut store = TickStore::new(8).unwrap();
    let p = full_packet(1, 100, (1, 99), (1, 101));
    let mut updated = Vec::new();
    assert_eq!(store.ingest_kite(&frame(&[p.clone(), p]), 7, false, &mut updated), Ok(1));
    assert_eq!(updated, [1]);
    assert_eq!(counts(&store), [("duplicate_ts", 1)]);
}

#[test]
fn ingest_strict_stores_nothing_from_a_bad_frame_and_lenient_counts_the_bad_packets() {
    let good = full_packet(1, 100, (1, 99), (1, 101));
    let mut bytes = frame(&[good.clone(), vec![0; 12], good]);
    bytes[2 + 186 + 14 + 2 + 1] = 2; // the second good packet's token: 1 -> 2 * 2^16 + 1
    let mut store = TickStore::new(8).unwrap();
    let mut updated = Vec::new();
    let e = store.ingest_kite(&bytes, 7, true, &mut updated).unwrap_err();
    assert_eq!(e.offset, 188);
    assert!(store.tokens().is_empty() && updated.is_empty());
    assert_eq!(counts(&store), []);
    assert_eq!(store.ingest_kite(&bytes, 7, false, &mut updated), Ok(2));
    assert_eq!(updated, [1, (2 << 16) | 1]);
    assert_eq!(counts(&store), [("malformed_packet", 1)]);
}

#[test]
fn ingest_equals_parse_then_push() {
    let mut rng = Rng(99);
    for round in 0..200 {
        let packets: Vec<Vec<u8>> = (0..rng.below(8))
            .map(|_| {
                let len = PacketKind::SIZES[rng.below(5)];
                let mut p: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                p[0..3].fill(0); // few distinct tokens, so duplicates within a frame happen
                p
            })
            .collect();
        let bytes = frame(&packets);
        let mut direct = TickStore::new(4).unwrap();
        let mut via_columns = TickStore::new(4).unwrap();
        for ts in [10, 10, 20] {
            direct.ingest_kite(&bytes, ts, false, &mut Vec::new()).unwrap();
            for p in (0..packets.len()).filter_map(|i| Packet::new(&packets[i])) {
                let _ = via_columns.push(&tick_from_packet(&p, ts));
            }
        }
        let columns = parse_frame(&bytes, true).unwrap();
        assert_eq!(direct.tokens(), via_columns.tokens(), "round {round}");
        for &token in direct.tokens() {
            let t = i64::from(token);
            assert!(columns.instrument_token.contains(&t));
            let (a, b) = (direct.window(t, 10), via_columns.window(t, 10));
            assert_eq!(a.ts_ns, b.ts_ns);
            assert_eq!(a.last_price, b.last_price);
            assert_eq!(a.volume, b.volume);
            assert_eq!(format!("{:?}", a.bid), format!("{:?}", b.bid));
        }
        assert_eq!(direct.rejected_counts(), via_columns.rejected_counts());
    }
}
