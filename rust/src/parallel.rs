//! Element-wise batch evaluation, on a rayon pool when the batch is large.
//!
//! Kernels are written once as `Fn(index) -> item`; [`fill`] decides whether
//! to run them serially or split the outputs into disjoint chunks for the
//! pool. Outputs are any [`Outputs`]: a mutable slice, a tuple of them, or an
//! array of f64 slices, so multi-column results (greeks, IV + status) need no
//! intermediate buffers.

use std::sync::{Arc, RwLock};

use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// Batches smaller than this run on the calling thread: below it, pool
/// dispatch costs more than it saves.
pub const PARALLEL_THRESHOLD: usize = 16_384;
/// Work items per chunk at least, so each task amortises its dispatch.
const MIN_CHUNK: usize = 4_096;

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

/// Threads the pool uses when nothing was set: `RAYON_NUM_THREADS`, else the core count.
fn default_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn build_pool(threads: usize) -> Result<Arc<ThreadPool>, String> {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("alphastock-math-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| format!("could not start the math thread pool: {e}"))
}

fn pool() -> Result<Arc<ThreadPool>, String> {
    if let Some(pool) = POOL.read().map_err(|_| "thread pool lock poisoned")?.as_ref() {
        return Ok(Arc::clone(pool));
    }
    let mut slot = POOL.write().map_err(|_| "thread pool lock poisoned")?;
    if slot.is_none() {
        *slot = Some(build_pool(default_threads())?);
    }
    Ok(Arc::clone(slot.as_ref().expect("pool was just set")))
}

/// Set the number of threads for large batches; 0 restores the default.
pub fn set_num_threads(threads: usize) -> Result<(), String> {
    let threads = if threads == 0 { default_threads() } else { threads };
    let new_pool = build_pool(threads)?;
    *POOL.write().map_err(|_| "thread pool lock poisoned")? = Some(new_pool);
    Ok(())
}

/// Threads a large batch runs on.
pub fn num_threads() -> usize {
    pool().map_or(1, |p| p.current_num_threads())
}

/// A set of output columns that can be written element by element and split in two.
pub trait Outputs: Send + Sized {
    /// One element of every column.
    type Item;
    /// Rows in the output.
    fn rows(&self) -> usize;
    /// Split into rows `[0, mid)` and `[mid, rows)`.
    fn split(self, mid: usize) -> (Self, Self);
    /// Write row `i`.
    fn set(&mut self, i: usize, item: Self::Item);
}

impl<T: Send> Outputs for &mut [T] {
    type Item = T;
    #[inline]
    fn rows(&self) -> usize {
        self.len()
    }
    fn split(self, mid: usize) -> (Self, Self) {
        self.split_at_mut(mid)
    }
    #[inline]
    fn set(&mut self, i: usize, item: T) {
        self[i] = item;
    }
}

impl<A: Outputs, B: Outputs> Outputs for (A, B) {
    type Item = (A::Item, B::Item);
    #[inline]
    fn rows(&self) -> usize {
        self.0.rows()
    }
    fn split(self, mid: usize) -> (Self, Self) {
        let (a0, a1) = self.0.split(mid);
        let (b0, b1) = self.1.split(mid);
        ((a0, b0), (a1, b1))
    }
    #[inline]
    fn set(&mut self, i: usize, item: Self::Item) {
        self.0.set(i, item.0);
        self.1.set(i, item.1);
    }
}

impl<const N: usize> Outputs for [&mut [f64]; N] {
    type Item = [f64; N];
    #[inline]
    fn rows(&self) -> usize {
        self.first().map_or(0, |c| c.len())
    }
    fn split(self, mid: usize) -> (Self, Self) {
        let mut low: [&mut [f64]; N] = std::array::from_fn(|_| Default::default());
        let mut high: [&mut [f64]; N] = std::array::from_fn(|_| Default::default());
        for (i, column) in self.into_iter().enumerate() {
            (low[i], high[i]) = column.split_at_mut(mid);
        }
        (low, high)
    }
    #[inline]
    fn set(&mut self, i: usize, item: [f64; N]) {
        for (column, value) in self.iter_mut().zip(item) {
            column[i] = value;
        }
    }
}

fn fill_serial<O: Outputs>(out: &mut O, offset: usize, kernel: &(impl Fn(usize) -> O::Item + Sync)) {
    for i in 0..out.rows() {
        out.set(i, kernel(offset + i));
    }
}

/// Write `kernel(i)` into row `i` of `out` for every row.
///
/// Runs on the thread pool when there are at least [`PARALLEL_THRESHOLD`]
/// rows and more than one thread; the result is identical either way.
pub fn fill<O: Outputs>(out: O, kernel: impl Fn(usize) -> O::Item + Sync) {
    fill_chunks(out, |offset, mut part: O| fill_serial(&mut part, offset, &kernel));
}

/// Hand disjoint chunks of `out` to `kernel(first_row, chunk)`, covering every row once.
///
/// For kernels that work on blocks of rows (SIMD): the whole output is one
/// chunk below [`PARALLEL_THRESHOLD`] rows or on one thread, otherwise it is
/// split into a few chunks per thread and run on the pool.
pub fn fill_chunks<O: Outputs>(out: O, kernel: impl Fn(usize, O) + Sync) {
    let rows = out.rows();
    let pool = match pool() {
        Ok(pool) if rows >= PARALLEL_THRESHOLD && pool.current_num_threads() > 1 => pool,
        // A pool that cannot start is not a reason to fail a calculation.
        _ => return kernel(0, out),
    };
    let chunk = (rows / (pool.current_num_threads() * 4)).max(MIN_CHUNK);
    let mut chunks = Vec::with_capacity(rows / chunk + 1);
    let mut rest = out;
    let mut offset = 0;
    while rest.rows() > chunk {
        let (head, tail) = rest.split(chunk);
        chunks.push((offset, head));
        offset += chunk;
        rest = tail;
    }
    chunks.push((offset, rest));
    pool.install(|| {
        chunks.into_par_iter().for_each(|(offset, part)| kernel(offset, part));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_and_serial_fill_agree() {
        let n = PARALLEL_THRESHOLD * 3 + 17;
        let mut a = vec![0.0; n];
        let mut b = vec![0i8; n];
        let mut c = vec![0.0; n];
        let mut d = vec![0.0; n];
        fill((a.as_mut_slice(), b.as_mut_slice()), |i| (i as f64 * 0.5, (i % 7) as i8));
        fill([c.as_mut_slice(), d.as_mut_slice()], |i| [i as f64, -(i as f64)]);
        for i in 0..n {
            assert_eq!((a[i], b[i], c[i], d[i]), (i as f64 * 0.5, (i % 7) as i8, i as f64, -(i as f64)));
        }
    }

    #[test]
    fn thread_count_can_be_changed_and_restored() {
        set_num_threads(1).unwrap();
        assert_eq!(num_threads(), 1);
        set_num_threads(0).unwrap();
        assert!(num_threads() >= 1);
    }
}
