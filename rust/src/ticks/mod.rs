//! Live ticks: the Kite binary frame decoder and the per-instrument ring-buffer store.
//!
//! [`kite`] decodes packets in place; [`columns`] collects them into columns for `parse_frame`;
//! [`store`] writes them straight into [`ring`] buffers without any intermediate object;
//! [`bulk`] reads many tokens' newest ticks at once.

pub mod bulk;
pub mod columns;
pub mod index;
pub mod kite;
pub mod recording;
pub mod ring;
pub mod store;
#[cfg(test)]
pub(crate) mod test_util;

pub use bulk::{LatestColumns, TokenWindows};
pub use columns::{parse_frame, KiteColumns};
pub use kite::{for_each_packet, validate, FrameError, FrameErrorKind, FrameSummary, Mode, Packet, PacketKind};
pub use ring::{Tick, Window};
pub use store::{Reject, TickStore};
