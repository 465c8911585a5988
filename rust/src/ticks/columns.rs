//! A Kite frame decoded into columns, one row per packet (what `parse_frame` returns).

use super::kite::{for_each_packet, FrameError, Packet, Side, DEPTH_LEVELS};

/// Every field of every packet in a frame, column by column; absent fields are NaN or 0.
/// Depth columns hold `DEPTH_LEVELS` entries per row, row-major.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KiteColumns {
    pub instrument_token: Vec<i64>,
    pub mode: Vec<i8>,
    pub tradable: Vec<bool>,
    pub last_price: Vec<f64>,
    pub last_traded_quantity: Vec<i64>,
    pub average_traded_price: Vec<f64>,
    pub volume_traded: Vec<i64>,
    pub total_buy_quantity: Vec<i64>,
    pub total_sell_quantity: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub change: Vec<f64>,
    pub last_trade_time: Vec<i64>,
    pub oi: Vec<i64>,
    pub oi_day_high: Vec<i64>,
    pub oi_day_low: Vec<i64>,
    pub exchange_timestamp: Vec<i64>,
    pub buy_quantity: Vec<i64>,
    pub buy_price: Vec<f64>,
    pub buy_orders: Vec<i64>,
    pub sell_quantity: Vec<i64>,
    pub sell_price: Vec<f64>,
    pub sell_orders: Vec<i64>,
    /// Declared packets that were not decoded (see [`super::kite::FrameSummary::skipped`]).
    pub skipped: usize,
}

impl KiteColumns {
    fn with_capacity(rows: usize) -> KiteColumns {
        let depth = rows * DEPTH_LEVELS;
        KiteColumns {
            instrument_token: Vec::with_capacity(rows),
            mode: Vec::with_capacity(rows),
            tradable: Vec::with_capacity(rows),
            last_price: Vec::with_capacity(rows),
            last_traded_quantity: Vec::with_capacity(rows),
            average_traded_price: Vec::with_capacity(rows),
            volume_traded: Vec::with_capacity(rows),
            total_buy_quantity: Vec::with_capacity(rows),
            total_sell_quantity: Vec::with_capacity(rows),
            open: Vec::with_capacity(rows),
            high: Vec::with_capacity(rows),
            low: Vec::with_capacity(rows),
            close: Vec::with_capacity(rows),
            change: Vec::with_capacity(rows),
            last_trade_time: Vec::with_capacity(rows),
            oi: Vec::with_capacity(rows),
            oi_day_high: Vec::with_capacity(rows),
            oi_day_low: Vec::with_capacity(rows),
            exchange_timestamp: Vec::with_capacity(rows),
            buy_quantity: Vec::with_capacity(depth),
            buy_price: Vec::with_capacity(depth),
            buy_orders: Vec::with_capacity(depth),
            sell_quantity: Vec::with_capacity(depth),
            sell_price: Vec::with_capacity(depth),
            sell_orders: Vec::with_capacity(depth),
            skipped: 0,
        }
    }

    /// Rows decoded.
    pub fn len(&self) -> usize {
        self.instrument_token.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instrument_token.is_empty()
    }

    fn push(&mut self, p: &Packet<'_>) {
        let [open, high, low, close] = p.ohlc();
        self.instrument_token.push(i64::from(p.instrument_token()));
        self.mode.push(p.mode() as i8);
        self.tradable.push(p.tradable());
        self.last_price.push(p.last_price());
        self.last_traded_quantity.push(i64::from(p.last_traded_quantity()));
        self.average_traded_price.push(p.average_traded_price());
        self.volume_traded.push(i64::from(p.volume_traded()));
        self.total_buy_quantity.push(i64::from(p.total_buy_quantity()));
        self.total_sell_quantity.push(i64::from(p.total_sell_quantity()));
        self.open.push(open);
        self.high.push(high);
        self.low.push(low);
        self.close.push(close);
        self.change.push(p.change());
        self.last_trade_time.push(i64::from(p.last_trade_time()));
        self.oi.push(i64::from(p.oi()));
        self.oi_day_high.push(i64::from(p.oi_day_high()));
        self.oi_day_low.push(i64::from(p.oi_day_low()));
        self.exchange_timestamp.push(i64::from(p.exchange_timestamp()));
        let [buy, sell] = [Side::Buy, Side::Sell].map(|side| {
            let (quantity, price, orders) = p.depth_side(side);
            (quantity.map(i64::from), price, orders.map(i64::from))
        });
        self.buy_quantity.extend_from_slice(&buy.0);
        self.buy_price.extend_from_slice(&buy.1);
        self.buy_orders.extend_from_slice(&buy.2);
        self.sell_quantity.extend_from_slice(&sell.0);
        self.sell_price.extend_from_slice(&sell.1);
        self.sell_orders.extend_from_slice(&sell.2);
    }
}

/// Decode every packet of `frame` into columns.
///
/// With `strict`, the first malformed packet (or trailing bytes) is an error; otherwise bad packets are
/// skipped and counted in [`KiteColumns::skipped`]. Heartbeats (frames under 2 bytes) give zero rows.
pub fn parse_frame(frame: &[u8], strict: bool) -> Result<KiteColumns, FrameError> {
    // The header's count, capped by what the bytes can hold (the smallest packet takes 10 with its length).
    let declared = match frame {
        [hi, lo, ..] => usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => 0,
    };
    let mut columns = KiteColumns::with_capacity(declared.min(frame.len() / 10));
    let summary = for_each_packet(frame, |p| columns.push(&p));
    match summary.error {
        Some(error) if strict => Err(error),
        _ => {
            columns.skipped = summary.skipped;
            Ok(columns)
        }
    }
}
