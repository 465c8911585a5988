//! Tests of the Kite packet and frame decoder (a child module of `kite`).

use super::*;
use crate::ticks::columns::parse_frame;
use crate::ticks::test_util::{frame, packet, Rng};

/// The real packets of `shared/data/kite-mocks/ticker_{full,quote}.packet` (base64-decoded).
const REAL_FULL: &str =
    "00063a01000266ba000000070002656d001232170003e9bb00058a01000264f30002673c000261c90002646c60e2947f\
    00000000000000000000000060e2947f000000050002669c000100000000008c0002667400020000000000020002666f0001\
    0000000000db0002666a00070000000000320002666500010000000000ac000266ba000300000000002c000266bf00030000\
    0000012e000266c9000300000000008d000266ce00020000000002d4000266d300050000";
const REAL_QUOTE: &str = "00063a010002668300000001000265690011f1b20003e9ff00058037000264f30002673c000261c90002646c";

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
}

#[test]
fn the_real_full_packet_decodes_to_its_published_values() {
    let bytes = hex(REAL_FULL);
    let p = Packet::new(&bytes).unwrap();
    assert_eq!(p.kind(), PacketKind::Full);
    assert_eq!(p.mode(), Mode::Full);
    assert_eq!(p.instrument_token(), 408065);
    assert!(p.tradable());
    assert_eq!(p.last_price(), 1573.7);
    assert_eq!(p.last_traded_quantity(), 7);
    assert_eq!(p.average_traded_price(), 1570.37);
    assert_eq!(p.volume_traded(), 1192471);
    assert_eq!(p.total_buy_quantity(), 256443);
    assert_eq!(p.total_sell_quantity(), 363009);
    assert_eq!(p.ohlc(), [1569.15, 1575.0, 1561.05, 1567.8]);
    assert_eq!(p.change(), (1573.7 - 1567.8) * 100.0 / 1567.8);
    // 2021-07-05T10:41:27+05:30
    assert_eq!(p.last_trade_time(), 1625461887);
    assert_eq!(p.exchange_timestamp(), 1625461887);
    assert_eq!((p.oi(), p.oi_day_high(), p.oi_day_low()), (0, 0, 0));
    let buy: Vec<(u32, f64, u16)> =
        (0..5).map(|i| p.depth(Side::Buy, i)).map(|d| (d.quantity, d.price, d.orders)).collect();
    let sell: Vec<(u32, f64, u16)> =
        (0..5).map(|i| p.depth(Side::Sell, i)).map(|d| (d.quantity, d.price, d.orders)).collect();
    assert_eq!(buy, [(5, 1573.4, 1), (140, 1573.0, 2), (2, 1572.95, 1), (219, 1572.9, 7), (50, 1572.85, 1)]);
    assert_eq!(sell, [(172, 1573.7, 3), (44, 1573.75, 3), (302, 1573.85, 3), (141, 1573.9, 2), (724, 1573.95, 5)]);
    assert!(p.depth(Side::Buy, 5).price.is_nan() && p.depth(Side::Buy, 5).quantity == 0);
}

#[test]
fn the_real_quote_packet_decodes_to_its_published_values() {
    let bytes = hex(REAL_QUOTE);
    let p = Packet::new(&bytes).unwrap();
    assert_eq!(p.mode(), Mode::Quote);
    assert_eq!(p.instrument_token(), 408065);
    assert_eq!(p.last_price(), 1573.15);
    assert_eq!(p.last_traded_quantity(), 1);
    assert_eq!(p.average_traded_price(), 1570.33);
    assert_eq!(p.volume_traded(), 1175986);
    assert_eq!((p.total_buy_quantity(), p.total_sell_quantity()), (256511, 360503));
    assert_eq!(p.ohlc(), [1569.15, 1575.0, 1561.05, 1567.8]);
    assert_eq!((p.last_trade_time(), p.oi(), p.exchange_timestamp()), (0, 0, 0));
    assert_eq!(p.depth(Side::Sell, 0).quantity, 0);
    assert!(p.depth(Side::Sell, 0).price.is_nan());
}

#[test]
fn ltp_packets_carry_only_the_last_price() {
    let bytes = packet(8, &[256265, 2_345_678]);
    let p = Packet::new(&bytes).unwrap();
    assert_eq!(p.mode(), Mode::Ltp);
    assert!(!p.tradable()); // segment 9: an index
    assert_eq!(p.last_price(), 23456.78);
    assert!(p.change().is_nan());
    assert!(p.ohlc().iter().all(|x| x.is_nan()));
    assert!(p.average_traded_price().is_nan());
    assert_eq!((p.last_traded_quantity(), p.volume_traded(), p.exchange_timestamp()), (0, 0, 0));
}

#[test]
fn index_packets_order_high_low_open_close_and_full_ones_add_a_timestamp() {
    // token 256265 = NIFTY 50 (segment 9); ltp, high, low, open, close, change (ignored), timestamp
    let words = [256265, 2_400_000, 2_420_000, 2_380_000, 2_390_000, 2_350_000, 12345, 1_700_000_000];
    for (len, mode, ts) in [(28, Mode::Quote, 0), (32, Mode::Full, 1_700_000_000)] {
        let bytes = packet(len, &words);
        let p = Packet::new(&bytes).unwrap();
        assert_eq!(p.mode(), mode);
        assert!(!p.tradable());
        assert_eq!(p.ohlc(), [23900.0, 24200.0, 23800.0, 23500.0]);
        assert_eq!(p.change(), (24000.0 - 23500.0) * 100.0 / 23500.0);
        assert_eq!(p.exchange_timestamp(), ts);
        assert_eq!((p.last_traded_quantity(), p.volume_traded(), p.oi()), (0, 0, 0));
        assert!(p.depth(Side::Buy, 0).price.is_nan());
    }
}

#[test]
fn change_is_zero_when_close_is_zero() {
    let bytes = packet(44, &[408065, 100, 1, 100, 5, 0, 0, 0, 0, 0, 0]);
    assert_eq!(Packet::new(&bytes).unwrap().change(), 0.0);
}

#[test]
fn prices_use_the_segment_divisor() {
    // (segment, divisor): CDS 1e7, BCD and NCO 1e4, everything else 100
    let cases = [(1, 100.0), (2, 100.0), (3, 1e7), (4, 100.0), (5, 100.0), (6, 1e4), (7, 100.0), (12, 1e4)];
    for (segment, divisor) in cases {
        let token = (1234 << 8) | segment;
        assert_eq!(price_divisor(token), divisor);
        let bytes = packet(184, &[token, 123_456_789]);
        let p = Packet::new(&bytes).unwrap();
        assert_eq!(p.last_price(), 123_456_789.0 / divisor, "segment {segment}");
        assert!(p.tradable());
    }
}

#[test]
fn fields_are_unsigned() {
    let bytes = packet(44, &[u32::MAX, u32::MAX, u32::MAX]);
    let p = Packet::new(&bytes).unwrap();
    assert_eq!(p.instrument_token(), u32::MAX);
    assert_eq!(p.last_price(), f64::from(u32::MAX) / 100.0);
    assert_eq!(p.last_traded_quantity(), u32::MAX);
}

#[test]
fn unknown_packet_sizes_have_no_view() {
    for len in [0, 1, 7, 9, 27, 29, 31, 33, 43, 45, 183, 185, 1000] {
        assert!(Packet::new(&vec![0; len]).is_none(), "{len}");
    }
}

#[test]
fn heartbeats_and_empty_frames_give_no_rows_and_no_error() {
    for bytes in [&[][..], &[0x00], &[0x07], &[0, 0]] {
        let summary = for_each_packet(bytes, |_| panic!("no packet expected"));
        assert_eq!(summary, FrameSummary::default(), "{bytes:?}");
        assert_eq!(validate(bytes), Ok(0));
    }
}

#[test]
fn a_frame_of_every_kind_walks_in_order() {
    let packets =
        vec![packet(8, &[1, 1]), packet(28, &[2, 2]), packet(32, &[3, 3]), packet(44, &[4, 4]), packet(184, &[5, 5])];
    let bytes = frame(&packets);
    let mut seen = Vec::new();
    let summary = for_each_packet(&bytes, |p| seen.push((p.instrument_token(), p.kind().size())));
    assert_eq!(seen, [(1, 8), (2, 28), (3, 32), (4, 44), (5, 184)]);
    assert_eq!(summary, FrameSummary { packets: 5, skipped: 0, error: None });
    let columns = parse_frame(&bytes, true).unwrap();
    assert_eq!(columns.mode, [0, 1, 2, 1, 2]);
    assert_eq!(columns.buy_price.len(), 25);
}

fn error_of(bytes: &[u8]) -> FrameError {
    validate(bytes).unwrap_err()
}

#[test]
fn a_truncated_length_field_stops_the_walk_and_counts_the_rest() {
    let mut bytes = frame(&[packet(8, &[1, 1]), packet(8, &[2, 2]), packet(8, &[3, 3])]);
    bytes.truncate(2 + 10 + 1); // one packet, then one byte of the second length field
    let e = error_of(&bytes);
    assert_eq!((e.offset, e.packet, e.declared, e.kind), (12, 1, 3, FrameErrorKind::TruncatedLength));
    assert!(e.to_string().contains("at byte 12"), "{e}");
    let summary = for_each_packet(&bytes, |_| {});
    assert_eq!((summary.packets, summary.skipped), (1, 2));
}

#[test]
fn a_packet_past_the_end_stops_the_walk_and_counts_the_rest() {
    let mut bytes = frame(&[packet(8, &[1, 1]), packet(44, &[2, 2]), packet(8, &[3, 3])]);
    bytes.truncate(2 + 10 + 2 + 40);
    let e = error_of(&bytes);
    assert_eq!((e.offset, e.kind), (12, FrameErrorKind::PacketPastEnd { length: 44 }));
    let columns = parse_frame(&bytes, false).unwrap();
    assert_eq!((columns.instrument_token.clone(), columns.skipped), (vec![1], 2));
    assert_eq!(parse_frame(&bytes, true), Err(e));
}

#[test]
fn a_header_declaring_more_packets_than_present_counts_the_missing_ones() {
    let mut bytes = frame(&[packet(8, &[1, 1])]);
    bytes[1] = 4;
    let e = error_of(&bytes);
    assert_eq!((e.offset, e.packet, e.declared, e.kind), (12, 1, 4, FrameErrorKind::TruncatedLength));
    assert_eq!(parse_frame(&bytes, false).unwrap().skipped, 3);
}

#[test]
fn an_unknown_size_is_skipped_and_the_walk_goes_on() {
    let bytes = frame(&[packet(8, &[1, 1]), packet(12, &[2, 2]), packet(0, &[]), packet(8, &[3, 3])]);
    let e = error_of(&bytes);
    assert_eq!((e.offset, e.packet, e.kind), (12, 1, FrameErrorKind::UnknownSize { length: 12 }));
    assert!(e.to_string().contains("unknown size 12"), "{e}");
    let columns = parse_frame(&bytes, false).unwrap();
    assert_eq!(columns.instrument_token, [1, 3]);
    assert_eq!(columns.skipped, 2);
}

#[test]
fn trailing_bytes_are_an_error_and_count_as_one_skipped() {
    let mut bytes = frame(&[packet(8, &[1, 1])]);
    bytes.extend_from_slice(&[9, 9, 9]);
    let e = error_of(&bytes);
    assert_eq!((e.offset, e.kind), (12, FrameErrorKind::TrailingBytes { count: 3 }));
    let columns = parse_frame(&bytes, false).unwrap();
    assert_eq!((columns.len(), columns.skipped), (1, 1));
}

/// Random bytes, random well-formed frames, and well-formed frames with random damage: the walk never
/// panics, and its counts always add up to what the header declares (plus one for trailing bytes).
#[test]
fn random_and_damaged_frames_never_panic_and_account_for_every_packet() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..20_000 {
        let mut bytes: Vec<u8> = if round % 2 == 0 {
            (0..rng.below(400)).map(|_| rng.next() as u8).collect()
        } else {
            let packets: Vec<Vec<u8>> = (0..rng.below(6))
                .map(|_| {
                    let len = PacketKind::SIZES[rng.below(5)];
                    (0..len).map(|_| rng.next() as u8).collect()
                })
                .collect();
            frame(&packets)
        };
        if round % 4 == 3 && !bytes.is_empty() {
            match rng.below(3) {
                0 => bytes.truncate(rng.below(bytes.len())),
                1 => {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
                _ => bytes.push(rng.next() as u8),
            }
        }
        let declared = if bytes.len() >= 2 { usize::from(u16::from_be_bytes([bytes[0], bytes[1]])) } else { 0 };
        let summary = for_each_packet(&bytes, |p| {
            assert!(PacketKind::SIZES.contains(&p.bytes().len()));
            for side in [Side::Buy, Side::Sell] {
                let (quantity, price, orders) = p.depth_side(side);
                for level in 0..DEPTH_LEVELS {
                    let d = p.depth(side, level);
                    assert_eq!((quantity[level], orders[level]), (d.quantity, d.orders));
                    assert_eq!(price[level].to_bits(), d.price.to_bits());
                }
            }
        });
        // Trailing bytes (possibly after other errors) count as one extra skipped packet.
        let extra = (summary.packets + summary.skipped).checked_sub(declared);
        assert!(matches!(extra, Some(0 | 1)), "round {round}: {summary:?}, {declared} declared");
        assert_eq!(summary.error.is_none(), summary.skipped == 0);
        if let Some(e) = summary.error {
            assert!(e.offset <= bytes.len());
        }
        let strict = parse_frame(&bytes, true);
        let lenient = parse_frame(&bytes, false).unwrap();
        assert_eq!(lenient.len(), summary.packets);
        assert_eq!(strict.is_ok(), summary.error.is_none());
    }
}
