//! Pre-trade risk: nothing reaches a broker without `RiskEngine::check`.
//!
//! The engine answers APPROVE, REJECT, REDUCE_SIZE or REQUIRE_APPROVAL for one order intent,
//! with every failed rule as a code and a message (`check.rs` lists the rules and how they
//! combine). It also keeps what the rules need: positions and the day's P&L (`positions.rs`),
//! approved-order rate windows (`throttle.rs`), market-data times, cash, circuit limits and the
//! trading state — ACTIVE, REDUCING (only exposure-reducing orders) or HALTED (nothing) — with a
//! history of every change and its reason (`engine.rs`).
//!
//! Deterministic and free of I/O: the engine never reads a clock; times are UTC epoch
//! nanoseconds passed in by the caller, so live, paper and backtest run the same code.
//! Units: rupees, units (not lots), nanoseconds.

mod check;
mod engine;
mod intent;
mod limits;
mod positions;
mod throttle;
mod types;
mod violation;

pub use engine::RiskEngine;
pub use intent::{on_tick, tick_units, OrderIntent};
pub use limits::Limits;
pub use positions::{Book, Instrument};
pub use throttle::{MINUTE_NS, SECOND_NS};
pub use types::{
    Action, Code, Decision, EnumSet, Exchange, InstrumentKind, Product, SetMember, Side, StaleDataAction, StateChange,
    TradingState,
};
pub use violation::{Band, Detail, Violation, Window};

#[cfg(test)]
mod tests;
