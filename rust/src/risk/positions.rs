//! Per-instrument state (position, average price, last mark, last tick, circuit limits) and the
//! day's P&L, in rupees.
//!
//! Money is `price × quantity × multiplier` rupees: quantity is what Kite counts (units on NSE/NFO,
//! lots on MCX, where the contract multiplier — CRUDEOIL 100 barrels per lot — turns a price per
//! barrel into rupees per lot; 1 elsewhere). The multiplier comes with each fill.
//!
//! Average price is weighted on increases; a reduction realises
//! `closed × (price − avg) × sign × multiplier` and keeps the average; a flip realises the whole old
//! position and opens the rest at the fill price. Unrealised P&L is `Σ qty × (mark − avg) × multiplier`
//! over open positions, summed in a fixed order so the same inputs always give the same bits.
//! This is the rule of `alphastock.risk.position` (Python: the Portfolio and the PaperBroker's
//! ledger); `tests/risk/test_position_parity.py` runs the same random fills and marks through both
//! and asserts equal realised and unrealised P&L. Day P&L (equity) = realised + unrealised,
//! and the day's peak is the highest equity seen after any fill or mark (starting at 0).
//!
//! `reset_day` starts a new day the way the exchange's daily mark-to-market does: realised P&L
//! goes to 0 and carried positions are re-based at their last mark (so `avg_price` is the day
//! basis, not the original cost).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Hashes Kite instrument tokens (u32) with one multiply. The low byte of a token is its
/// segment, so the product's high half is folded down to keep bucket indices well spread.
#[derive(Default)]
pub struct TokenHasher(u64);

impl Hasher for TokenHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let h = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^ (h >> 32)
    }
}

type TokenMap<V> = HashMap<u32, V, BuildHasherDefault<TokenHasher>>;

/// What the engine knows about one instrument.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Instrument {
    pub token: u32,
    /// Net position, units (positive long, negative short).
    pub qty: i64,
    /// Average price of the open position (the day basis after `reset_day`), rupees; 0 when flat.
    pub avg_price: f64,
    /// Rupees per (price × quantity): 1, or the contract multiplier where Kite's quantity counts
    /// lots (MCX); set by every fill.
    pub multiplier: f64,
    /// Last mark (or fill) price, rupees.
    pub mark: Option<f64>,
    /// Time of the last tick or mark, ns.
    pub last_data_ns: Option<i64>,
    /// Circuit limits set with `set_circuit`, rupees.
    pub circuit: Option<(f64, f64)>,
    /// Index into the book's underlyings; `None` until a check or a fill names one.
    underlying: Option<usize>,
}

impl Instrument {
    /// Unrealised P&L at the last mark, rupees (0 when flat or never marked).
    pub fn unrealised(&self) -> f64 {
        match self.mark {
            // `+ 0.0` turns the −0.0 of a short at its own price into 0.0.
            Some(m) if self.qty != 0 => self.qty as f64 * (m - self.avg_price) * self.multiplier + 0.0,
            _ => 0.0,
        }
    }
}

/// Every instrument seen, the gross position per underlying and the day's P&L.
#[derive(Clone, Debug, Default)]
pub struct Book {
    slots: TokenMap<usize>,
    instruments: Vec<Instrument>,
    underlying_ids: HashMap<String, usize>,
    underlying_names: Vec<Arc<str>>,
    /// Σ |qty| over the instruments bound to each underlying, units.
    underlying_gross: Vec<i64>,
    /// Slots with a non-zero position, in the order they opened (the summation order).
    open: Vec<usize>,
    realised: f64,
    unrealised: f64,
    peak: f64,
    trades_today: u32,
}

impl Book {
    /// The instrument's slot, created on first sight.
    #[inline]
    pub fn slot(&mut self, token: u32) -> usize {
        if let Some(&slot) = self.slots.get(&token) {
            return slot;
        }
        let slot = self.instruments.len();
        self.instruments.push(Instrument { token, multiplier: 1.0, ..Instrument::default() });
        self.slots.insert(token, slot);
        slot
    }

    #[inline]
    pub fn at(&self, slot: usize) -> &Instrument {
        &self.instruments[slot]
    }

    pub fn get(&self, token: u32) -> Option<&Instrument> {
        self.slots.get(&token).map(|&s| &self.instruments[s])
    }

    pub fn set_circuit(&mut self, slot: usize, circuit: Option<(f64, f64)>) {
        self.instruments[slot].circuit = circuit;
    }

    pub fn touch(&mut self, slot: usize, ts_ns: i64) {
        let inst = &mut self.instruments[slot];
        inst.last_data_ns = Some(inst.last_data_ns.map_or(ts_ns, |t| t.max(ts_ns)));
    }

    /// Binds the instrument to an underlying (moving its gross position if it changes) and
    /// returns the underlying's index. Cheap when the name is unchanged: one string compare.
    #[inline]
    pub fn bind_underlying(&mut self, slot: usize, name: &str) -> usize {
        if let Some(id) = self.instruments[slot].underlying {
            if *self.underlying_names[id] == *name {
                return id;
            }
        }
        self.rebind(slot, name)
    }

    #[cold]
    fn rebind(&mut self, slot: usize, name: &str) -> usize {
        let id = match self.underlying_ids.get(name) {
            Some(&id) => id,
            None => {
                let id = self.underlying_names.len();
                self.underlying_ids.insert(name.to_owned(), id);
                self.underlying_names.push(Arc::from(name));
                self.underlying_gross.push(0);
                id
            }
        };
        let inst = &mut self.instruments[slot];
        let size = inst.qty.abs();
        if let Some(old) = inst.underlying.replace(id) {
            self.underlying_gross[old] -= size;
        }
        self.underlying_gross[id] += size;
        id
    }

    /// The instrument's underlying index, binding it to a per-token group if it has none yet.
    fn underlying_of(&mut self, slot: usize) -> usize {
        match self.instruments[slot].underlying {
            Some(id) => id,
            None => {
                let name = format!("#{}", self.instruments[slot].token);
                self.rebind(slot, &name)
            }
        }
    }

    /// The name of the underlying the instrument is bound to, if any.
    pub fn underlying_name(&self, token: u32) -> Option<&str> {
        let id = self.get(token)?.underlying?;
        Some(&self.underlying_names[id])
    }

    /// The shared name of underlying `id` (cheap to clone into a violation).
    pub fn underlying_arc(&self, id: usize) -> Arc<str> {
        Arc::clone(&self.underlying_names[id])
    }

    #[inline]
    pub fn underlying_gross(&self, id: usize) -> i64 {
        self.underlying_gross[id]
    }

    /// Gross position (units) of the underlying with this name; 0 when unknown.
    pub fn underlying_gross_by_name(&self, name: &str) -> i64 {
        self.underlying_ids.get(name).map_or(0, |&id| self.underlying_gross[id])
    }

    /// Applies one execution: `signed_qty` (+ buy, − sell) at `price`, worth
    /// `price × |signed_qty| × multiplier` rupees, less `charges` rupees.
    pub fn fill(&mut self, slot: usize, signed_qty: i64, price: f64, multiplier: f64, charges: f64) {
        let ul = self.underlying_of(slot);
        let inst = &mut self.instruments[slot];
        inst.multiplier = multiplier;
        let before = inst.qty;
        let after = before + signed_qty;
        if before == 0 || before.signum() == signed_qty.signum() {
            let size = after.abs() as f64;
            inst.avg_price = (before.abs() as f64 * inst.avg_price + signed_qty.abs() as f64 * price) / size;
        } else {
            let closed = signed_qty.abs().min(before.abs());
            self.realised += closed as f64 * (price - inst.avg_price) * before.signum() as f64 * multiplier;
            if after == 0 {
                inst.avg_price = 0.0;
            } else if after.signum() != before.signum() {
                inst.avg_price = price; // flipped: the remainder opened at this fill
            }
        }
        inst.qty = after;
        inst.mark = Some(price);
        self.realised -= charges;
        self.underlying_gross[ul] += after.abs() - before.abs();
        self.trades_today = self.trades_today.saturating_add(1);
        if before == 0 && after != 0 {
            self.open.push(slot);
        } else if before != 0 && after == 0 {
            self.open.retain(|&s| s != slot);
        }
        self.revalue();
    }

    /// Records a mark price; returns whether it moved the P&L (the instrument has a position).
    pub fn mark(&mut self, slot: usize, price: f64, ts_ns: i64) -> bool {
        self.touch(slot, ts_ns);
        let inst = &mut self.instruments[slot];
        inst.mark = Some(price);
        if inst.qty == 0 {
            return false;
        }
        self.revalue();
        true
    }

    /// Recomputes unrealised P&L over open positions (fixed order) and the day's peak.
    fn revalue(&mut self) {
        self.unrealised = self.open.iter().map(|&s| self.instruments[s].unrealised()).sum();
        self.peak = self.peak.max(self.equity());
    }

    pub fn realised(&self) -> f64 {
        self.realised
    }

    pub fn unrealised(&self) -> f64 {
        self.unrealised
    }

    /// Day P&L: realised + unrealised, rupees.
    #[inline]
    pub fn equity(&self) -> f64 {
        self.realised + self.unrealised
    }

    pub fn peak(&self) -> f64 {
        self.peak
    }

    /// How far the day's P&L is below its peak, rupees (≥ 0).
    #[inline]
    pub fn drawdown(&self) -> f64 {
        self.peak - self.equity()
    }

    pub fn trades_today(&self) -> u32 {
        self.trades_today
    }

    pub fn open_positions(&self) -> usize {
        self.open.len()
    }

    /// Tokens with a position, in the order they opened.
    pub fn open_tokens(&self) -> Vec<u32> {
        self.open.iter().map(|&s| self.instruments[s].token).collect()
    }

    /// A new day: realised P&L, peak and trade count to 0; open positions re-based at their mark.
    pub fn reset_day(&mut self) {
        for &s in &self.open {
            let inst = &mut self.instruments[s];
            if let Some(m) = inst.mark {
                inst.avg_price = m;
            }
        }
        self.realised = 0.0;
        self.trades_today = 0;
        self.peak = 0.0;
        self.revalue();
        self.peak = self.equity().max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_average_realised_and_flip() {
        let mut b = Book::default();
        let s = b.slot(11);
        b.bind_underlying(s, "NIFTY");
        b.fill(s, 100, 10.0, 1.0, 0.0);
        b.fill(s, 50, 13.0, 1.0, 0.0); // avg = (100·10 + 50·13)/150 = 11
        assert_eq!((b.at(s).qty, b.at(s).avg_price), (150, 11.0));
        b.fill(s, -60, 12.0, 1.0, 0.0); // realise 60 × (12 − 11) = 60
        assert_eq!((b.at(s).qty, b.at(s).avg_price, b.realised()), (90, 11.0, 60.0));
        assert_eq!(b.unrealised(), 90.0); // mark 12: 90 × 1
        b.fill(s, -140, 9.0, 1.0, 5.0); // realise 90 × (9 − 11) = −180, charges 5; short 50 @ 9
        assert_eq!((b.at(s).qty, b.at(s).avg_price), (-50, 9.0));
        assert_eq!(b.realised(), 60.0 - 180.0 - 5.0);
        assert!(b.mark(s, 8.0, 1));
        assert_eq!(b.unrealised(), 50.0); // −50 × (8 − 9)
        assert_eq!(b.peak(), 300.0); // after the 13.0 fill: 150 × (13 − 11)
        assert_eq!(b.drawdown(), 300.0 - (-125.0 + 50.0));
        assert_eq!(b.underlying_gross_by_name("NIFTY"), 50);
        assert_eq!(b.trades_today(), 4);
        b.fill(s, 50, 8.5, 1.0, 0.0); // close: realise 50 × (9 − 8.5) = 25
        assert_eq!((b.at(s).qty, b.open_positions(), b.unrealised()), (0, 0, 0.0));
        assert_eq!(b.realised(), -125.0 + 25.0);
    }

    #[test]
    fn multiplier_scales_realised_and_unrealised_into_rupees() {
        // CRUDEOIL on MCX: Kite's quantity counts lots of 100 barrels, prices are per barrel.
        let mut b = Book::default();
        let s = b.slot(4_000_007);
        b.fill(s, 2, 5600.0, 100.0, 0.0);
        assert!(b.mark(s, 5610.0, 1));
        assert_eq!(b.unrealised(), 2.0 * 10.0 * 100.0);
        b.fill(s, -1, 5620.0, 100.0, 40.0); // realise 1 lot × 20 × 100 = 2000, less 40 charges
        assert_eq!(b.realised(), 2000.0 - 40.0);
        assert_eq!(b.unrealised(), 1.0 * 20.0 * 100.0); // marked at the fill, 5620
        assert_eq!(b.at(s).multiplier, 100.0);
    }

    #[test]
    fn rebinding_moves_gross_and_unbound_fills_get_a_token_group() {
        let mut b = Book::default();
        let s = b.slot(7);
        b.fill(s, -30, 100.0, 1.0, 0.0);
        assert_eq!(b.underlying_gross_by_name("#7"), 30);
        b.bind_underlying(s, "BANKNIFTY");
        assert_eq!((b.underlying_gross_by_name("#7"), b.underlying_gross_by_name("BANKNIFTY")), (0, 30));
    }

    #[test]
    fn reset_day_rebases_carried_positions() {
        let mut b = Book::default();
        let s = b.slot(1);
        b.fill(s, 10, 100.0, 1.0, 0.0);
        b.mark(s, 90.0, 5);
        b.reset_day();
        assert_eq!((b.at(s).avg_price, b.equity(), b.peak(), b.trades_today()), (90.0, 0.0, 0.0, 0));
        b.mark(s, 95.0, 6);
        assert_eq!(b.equity(), 50.0);
        assert_eq!(b.at(s).last_data_ns, Some(6));
    }
}
