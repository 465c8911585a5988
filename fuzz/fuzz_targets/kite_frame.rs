//! Arbitrary bytes as a Kite binary frame: the parser and the tick store never panic, and their
//! counts agree (every declared packet is decoded or skipped; every decoded packet is stored or
//! rejected; a strict failure stores nothing).
#![no_main]

use alphastock_core::ticks::{parse_frame, validate, TickStore};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lenient = parse_frame(data, false).expect("a lenient parse never fails");
    let strict = parse_frame(data, true);
    assert_eq!(strict.is_err(), lenient.skipped > 0);
    assert_eq!(validate(data).is_err(), lenient.skipped > 0);
    if let Ok(columns) = &strict {
        assert_eq!(columns.instrument_token, lenient.instrument_token);
    }
    if let Err(e) = &strict {
        assert!(e.offset >= 2 && e.offset <= data.len());
    }
    let declared = if data.len() >= 2 { usize::from(u16::from_be_bytes([data[0], data[1]])) } else { 0 };
    let accounted = lenient.len() + lenient.skipped;
    assert!(accounted == declared || accounted == declared + 1, "{accounted} vs {declared} declared");

    // The same frame four times: ts 10 (stored, repeats rejected), 10 (duplicates), 5 (out of order), 20.
    let mut store = TickStore::new(3).expect("capacity 3");
    let mut updated = Vec::new();
    let mut stored_per_ingest = Vec::new();
    for ts in [10, 10, 5, 20] {
        updated.clear();
        let stored = store.ingest_kite(data, ts, false, &mut updated).expect("a lenient ingest never fails");
        assert_eq!(stored, updated.len());
        assert!(stored <= lenient.len());
        stored_per_ingest.push(stored);
    }
    assert_eq!(stored_per_ingest[1], 0);
    assert_eq!(stored_per_ingest[2], 0);
    assert_eq!(stored_per_ingest[3], stored_per_ingest[0]);
    assert_eq!(stored_per_ingest[0], store.tokens().len());
    let rejected: u64 = store.rejected_counts().iter().map(|(_, n)| n).sum();
    let stored: usize = stored_per_ingest.iter().sum();
    assert_eq!(stored as u64 + rejected, 4 * accounted as u64);
    for &token in store.tokens() {
        let window = store.window(i64::from(token), 10);
        assert_eq!(window.len(), 2);
        assert_eq!(window.ts_ns, [10, 20]);
    }

    let mut strict_store = TickStore::new(3).expect("capacity 3");
    match strict_store.ingest_kite(data, 1, true, &mut Vec::new()) {
        Ok(n) => assert_eq!(n, stored_per_ingest[0]),
        Err(_) => assert!(strict_store.tokens().is_empty()),
    }
});
