//! Kite Connect binary tick frames, decoded in place without allocating.
//!
//! A frame is a big-endian `u16` packet count, then per packet a `u16` length
//! and the packet bytes. Packet sizes tell the kind apart: 8 (LTP), 28/32
//! (index quote/full), 44 (quote), 184 (full with 5 + 5 depth levels). Every
//! field is an unsigned big-endian integer; prices are divided by a per-segment
//! divisor (segment = token & 0xff: CDS 1e7, BCD/NCO 1e4, others 100).
//!
//! [`Packet`] is a view over one packet's bytes whose accessors decode on
//! demand, so [`for_each_packet`] serves both the columnar `parse_frame` and
//! the tick store, which reads only the fields it keeps. Fields a packet does
//! not carry read as NaN (prices) or 0 (integers).
//!
//! The decoding mirrors the official Python client (`kiteconnect` 5.2.2,
//! `KiteTicker._parse_binary`) value for value, including how `change` is
//! computed: `(last_price - close) * 100 / close`, 0 when close is 0.

use std::fmt;

/// Exchange segment codes (`token & 0xff`) that change how packets decode.
pub mod segment {
    pub const CDS: u32 = 3;
    pub const BCD: u32 = 6;
    pub const INDICES: u32 = 9;
    pub const NCO: u32 = 12;
}

/// Subscription mode a packet was sent in; the `u8` code is what `parse_frame` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mode {
    Ltp = 0,
    Quote = 1,
    Full = 2,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Ltp, Mode::Quote, Mode::Full];

    /// Kite's own name for the mode, as `KiteTicker.MODE_*` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Ltp => "ltp",
            Mode::Quote => "quote",
            Mode::Full => "full",
        }
    }
}

/// The five packet layouts, told apart by their length in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// 8 bytes: token, last price.
    Ltp,
    /// 28 bytes: token, last price, high, low, open, close, change (ignored: recomputed).
    IndexQuote,
    /// 32 bytes: the index quote plus the exchange timestamp.
    IndexFull,
    /// 44 bytes: token, last price, last qty, average price, volume, buy/sell qty, open, high, low, close.
    Quote,
    /// 184 bytes: the quote plus last trade time, oi, oi day high/low, exchange timestamp, 5 + 5 depth levels.
    Full,
}

impl PacketKind {
    /// Every length a packet may have.
    pub const SIZES: [usize; 5] = [8, 28, 32, 44, 184];

    pub fn from_len(len: usize) -> Option<PacketKind> {
        match len {
            8 => Some(PacketKind::Ltp),
            28 => Some(PacketKind::IndexQuote),
            32 => Some(PacketKind::IndexFull),
            44 => Some(PacketKind::Quote),
            184 => Some(PacketKind::Full),
            _ => None,
        }
    }

    pub fn size(self) -> usize {
        match self {
            PacketKind::Ltp => 8,
            PacketKind::IndexQuote => 28,
            PacketKind::IndexFull => 32,
            PacketKind::Quote => 44,
            PacketKind::Full => 184,
        }
    }

    pub fn mode(self) -> Mode {
        match self {
            PacketKind::Ltp => Mode::Ltp,
            PacketKind::IndexQuote | PacketKind::Quote => Mode::Quote,
            PacketKind::IndexFull | PacketKind::Full => Mode::Full,
        }
    }
}

/// Depth levels per side in a full packet.
pub const DEPTH_LEVELS: usize = 5;
const DEPTH_START: usize = 64;
const DEPTH_ENTRY: usize = 12;

/// Side of the order book in a full packet's depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

/// One depth entry: quantity, price in rupees, number of orders.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DepthLevel {
    pub quantity: u32,
    pub price: f64,
    pub orders: u16,
}

impl DepthLevel {
    /// What a packet without depth reads as.
    pub const ABSENT: DepthLevel = DepthLevel { quantity: 0, price: f64::NAN, orders: 0 };
}

/// Price divisor of a token's segment, as the official client applies it.
#[inline]
pub fn price_divisor(token: u32) -> f64 {
    match token & 0xff {
        segment::CDS => 10_000_000.0,
        segment::BCD | segment::NCO => 10_000.0,
        _ => 100.0,
    }
}

/// A view over one packet's bytes; its length matches its kind.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    bytes: &'a [u8],
    kind: PacketKind,
    divisor: f64,
}

impl<'a> Packet<'a> {
    /// A view of `bytes`, or `None` when no packet kind has that length.
    #[inline]
    pub fn new(bytes: &'a [u8]) -> Option<Packet<'a>> {
        let kind = PacketKind::from_len(bytes.len())?;
        let mut packet = Packet { bytes, kind, divisor: 100.0 };
        packet.divisor = price_divisor(packet.instrument_token());
        Some(packet)
    }

    /// The big-endian u32 at `offset`; 0 past the end (cannot happen for the fixed offsets used here).
    #[inline]
    fn u32_at(&self, offset: usize) -> u32 {
        match self.bytes.get(offset..offset + 4) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    #[inline]
    fn u16_at(&self, offset: usize) -> u16 {
        match self.bytes.get(offset..offset + 2) {
            Some(&[a, b]) => u16::from_be_bytes([a, b]),
            _ => 0,
        }
    }

    #[inline]
    fn price_at(&self, offset: usize) -> f64 {
        f64::from(self.u32_at(offset)) / self.divisor
    }

    /// The u32 at `offset` if this packet is a quote or full (non-index) packet, else 0.
    #[inline]
    fn quote_u32(&self, offset: usize) -> u32 {
        match self.kind {
            PacketKind::Quote | PacketKind::Full => self.u32_at(offset),
            _ => 0,
        }
    }

    /// The u32 at `offset` if this is a 184-byte full packet, else 0.
    #[inline]
    fn full_u32(&self, offset: usize) -> u32 {
        match self.kind {
            PacketKind::Full => self.u32_at(offset),
            _ => 0,
        }
    }

    pub fn kind(&self) -> PacketKind {
        self.kind
    }

    pub fn mode(&self) -> Mode {
        self.kind.mode()
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn instrument_token(&self) -> u32 {
        self.u32_at(0)
    }

    /// False only for indices (segment 9), as the official client decides.
    pub fn tradable(&self) -> bool {
        self.instrument_token() & 0xff != segment::INDICES
    }

    /// Rupees (or the segment's quote unit).
    pub fn last_price(&self) -> f64 {
        self.price_at(4)
    }

    /// Units; 0 for LTP and index packets.
    pub fn last_traded_quantity(&self) -> u32 {
        self.quote_u32(8)
    }

    /// Rupees; NaN for LTP and index packets.
    pub fn average_traded_price(&self) -> f64 {
        match self.kind {
            PacketKind::Quote | PacketKind::Full => self.price_at(12),
            _ => f64::NAN,
        }
    }

    /// Units traded today; 0 for LTP and index packets.
    pub fn volume_traded(&self) -> u32 {
        self.quote_u32(16)
    }

    pub fn total_buy_quantity(&self) -> u32 {
        self.quote_u32(20)
    }

    pub fn total_sell_quantity(&self) -> u32 {
        self.quote_u32(24)
    }

    /// Open, high, low, close in rupees; NaN for LTP packets. Index packets order them high, low, open, close.
    pub fn ohlc(&self) -> [f64; 4] {
        match self.kind {
            PacketKind::Ltp => [f64::NAN; 4],
            PacketKind::IndexQuote | PacketKind::IndexFull => {
                [self.price_at(16), self.price_at(8), self.price_at(12), self.price_at(20)]
            }
            PacketKind::Quote | PacketKind::Full => {
                [self.price_at(28), self.price_at(32), self.price_at(36), self.price_at(40)]
            }
        }
    }

    /// Percent change of the last price over the previous close, as the official client computes it:
    /// 0 when close is 0, NaN for LTP packets (which carry no close).
    pub fn change(&self) -> f64 {
        if self.kind == PacketKind::Ltp {
            return f64::NAN;
        }
        let close = self.ohlc()[3];
        if close != 0.0 {
            (self.last_price() - close) * 100.0 / close
        } else {
            0.0
        }
    }

    /// Epoch seconds; 0 unless this is a 184-byte full packet.
    pub fn last_trade_time(&self) -> u32 {
        self.full_u32(44)
    }

    /// Open interest in units; 0 unless this is a 184-byte full packet.
    pub fn oi(&self) -> u32 {
        self.full_u32(48)
    }

    pub fn oi_day_high(&self) -> u32 {
        self.full_u32(52)
    }

    pub fn oi_day_low(&self) -> u32 {
        self.full_u32(56)
    }

    /// Epoch seconds; 0 for packets without one (LTP, quote, index quote).
    pub fn exchange_timestamp(&self) -> u32 {
        match self.kind {
            PacketKind::IndexFull => self.u32_at(28),
            PacketKind::Full => self.u32_at(60),
            _ => 0,
        }
    }

    /// Byte offset of depth entry `level` on `side`.
    #[inline]
    fn depth_offset(side: Side, level: usize) -> usize {
        let index = level + if side == Side::Sell { DEPTH_LEVELS } else { 0 };
        DEPTH_START + index * DEPTH_ENTRY
    }

    /// Depth entry `level` (0 = best) on `side`; [`DepthLevel::ABSENT`] unless this is a 184-byte full packet.
    pub fn depth(&self, side: Side, level: usize) -> DepthLevel {
        if self.kind != PacketKind::Full || level >= DEPTH_LEVELS {
            return DepthLevel::ABSENT;
        }
        let at = Self::depth_offset(side, level);
        DepthLevel { quantity: self.u32_at(at), price: self.price_at(at + 4), orders: self.u16_at(at + 8) }
    }

    /// All levels of `side` as (quantities, prices, orders), best first; what [`Packet::depth`] gives
    /// level by level, with the price divisions done side by side (they dominate decoding time).
    pub fn depth_side(&self, side: Side) -> ([u32; DEPTH_LEVELS], [f64; DEPTH_LEVELS], [u16; DEPTH_LEVELS]) {
        if self.kind != PacketKind::Full {
            return ([0; DEPTH_LEVELS], [f64::NAN; DEPTH_LEVELS], [0; DEPTH_LEVELS]);
        }
        let at: [usize; DEPTH_LEVELS] = std::array::from_fn(|level| Self::depth_offset(side, level));
        let mut prices = at.map(|at| f64::from(self.u32_at(at + 4)));
        for price in &mut prices {
            *price /= self.divisor;
        }
        (at.map(|at| self.u32_at(at)), prices, at.map(|at| self.u16_at(at + 8)))
    }
}

/// What is wrong with a frame, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameErrorKind {
    /// The frame ends inside a packet's 2-byte length field.
    TruncatedLength,
    /// A packet's declared length runs past the end of the frame.
    PacketPastEnd { length: usize },
    /// A packet's length is none of 8, 28, 32, 44, 184.
    UnknownSize { length: usize },
    /// Bytes follow the last declared packet.
    TrailingBytes { count: usize },
}

/// A malformed frame: `offset` is the byte where the bad packet's length field starts
/// (for trailing bytes, the first byte after the last declared packet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameError {
    pub offset: usize,
    /// Zero-based index of the packet among those the header declares.
    pub packet: usize,
    /// Packets the frame header declares.
    pub declared: usize,
    /// Frame length in bytes.
    pub frame_len: usize,
    pub kind: FrameErrorKind,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (offset, packet, declared, frame_len) = (self.offset, self.packet + 1, self.declared, self.frame_len);
        match self.kind {
            FrameErrorKind::TruncatedLength => write!(
                f,
                "malformed Kite frame at byte {offset}: the {frame_len}-byte frame ends inside the length \
                 field of packet {packet} of {declared}"
            ),
            FrameErrorKind::PacketPastEnd { length } => write!(
                f,
                "malformed Kite frame at byte {offset}: packet {packet} of {declared} declares {length} bytes, \
                 past the end of the {frame_len}-byte frame"
            ),
            FrameErrorKind::UnknownSize { length } => write!(
                f,
                "malformed Kite frame at byte {offset}: packet {packet} of {declared} has unknown size {length} \
                 (expected one of 8, 28, 32, 44, 184)"
            ),
            FrameErrorKind::TrailingBytes { count } => write!(
                f,
                "malformed Kite frame at byte {offset}: {count} bytes follow the {declared} declared packets \
                 of the {frame_len}-byte frame"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// What walking a frame found: good packets, skipped ones and the first problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FrameSummary {
    /// Packets decoded and handed to the callback.
    pub packets: usize,
    /// Declared packets not decoded: unknown sizes, plus every packet from a truncation to the end;
    /// trailing bytes after the last declared packet count as one.
    pub skipped: usize,
    /// The first problem found, if any.
    pub error: Option<FrameError>,
}

/// Frames shorter than this are heartbeats and carry no packets.
pub const MIN_FRAME_LEN: usize = 2;

/// Walk `frame`, calling `on_packet` for every well-formed packet in order.
///
/// Never panics on any input. A packet of unknown size is skipped and the walk goes on (its length
/// says where the next one starts); a truncated length field or a packet running past the end stops
/// the walk and counts every packet from there on as skipped. Heartbeats (frames under 2 bytes)
/// yield no packets and no error.
pub fn for_each_packet<'a>(frame: &'a [u8], mut on_packet: impl FnMut(Packet<'a>)) -> FrameSummary {
    let mut summary = FrameSummary::default();
    let (declared, mut at) = match frame {
        [hi, lo, ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), MIN_FRAME_LEN),
        _ => return summary,
    };
    let error = |at: usize, packet: usize, kind: FrameErrorKind| FrameError {
        offset: at,
        packet,
        declared,
        frame_len: frame.len(),
        kind,
    };
    for index in 0..declared {
        let length = match frame.get(at..at + 2) {
            Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
            _ => {
                summary.error.get_or_insert(error(at, index, FrameErrorKind::TruncatedLength));
                summary.skipped += declared - index;
                return summary;
            }
        };
        let Some(bytes) = frame.get(at + 2..at + 2 + length) else {
            summary.error.get_or_insert(error(at, index, FrameErrorKind::PacketPastEnd { length }));
            summary.skipped += declared - index;
            return summary;
        };
        match Packet::new(bytes) {
            Some(packet) => {
                on_packet(packet);
                summary.packets += 1;
            }
            None => {
                summary.error.get_or_insert(error(at, index, FrameErrorKind::UnknownSize { length }));
                summary.skipped += 1;
            }
        }
        at += 2 + length;
    }
    if at < frame.len() {
        let count = frame.len() - at;
        summary.error.get_or_insert(error(at, declared, FrameErrorKind::TrailingBytes { count }));
        summary.skipped += 1;
    }
    summary
}

/// Check `frame`'s structure without decoding any field: the number of packets, or the first error.
pub fn validate(frame: &[u8]) -> Result<usize, FrameError> {
    let summary = for_each_packet(frame, |_| {});
    match summary.error {
        Some(e) => Err(e),
        None => Ok(summary.packets),
    }
}

#[cfg(test)]
#[path = "kite_tests.rs"]
mod tests;
