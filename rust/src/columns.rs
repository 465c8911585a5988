//! Broadcast-aware views of input columns: one value per row, or one value for all rows.
//!
//! Batch kernels take their inputs as columns of length n or 1 (numpy-style
//! broadcasting of scalars without materialising them); [`broadcast_rows`]
//! checks the lengths once and [`Column::at`] reads row `i` without a branch.

/// A column that is either one value per row or one value repeated for all rows.
#[derive(Clone, Copy, Debug)]
pub struct Column<'a, T> {
    data: &'a [T],
    step: usize,
}

impl<'a, T: Copy> Column<'a, T> {
    /// View `data` as `rows` rows; `data` must have length `rows` or 1 (see [`broadcast_rows`]).
    pub fn new(data: &'a [T], rows: usize) -> Self {
        Column { data, step: usize::from(data.len() == rows && rows != 1) }
    }

    /// The value at `row` (panics only if the column was built for fewer rows).
    #[inline(always)]
    pub fn at(&self, row: usize) -> T {
        self.data[row * self.step]
    }

    /// Rows `row .. row + len` into a block of `N` (len <= N), the rest left as `fill`.
    ///
    /// A full block of a per-row column is one slice copy (a vector load);
    /// a repeated value is a splat.
    #[inline(always)]
    pub fn block<const N: usize>(&self, row: usize, len: usize, fill: T) -> [T; N] {
        if self.step == 0 {
            let mut block = [fill; N];
            block[..len].fill(self.data[0]);
            return block;
        }
        if len == N {
            if let Ok(block) = <[T; N]>::try_from(&self.data[row..row + N]) {
                return block;
            }
        }
        let mut block = [fill; N];
        block[..len].copy_from_slice(&self.data[row..row + len]);
        block
    }
}

/// Rows of the broadcast result of columns with these `(name, length)` pairs.
///
/// Every length must be 1 or the common length n; a zero length makes the result empty.
/// The error names the offending column and lists every shape.
pub fn broadcast_rows(lengths: &[(&str, usize)]) -> Result<usize, String> {
    let rows = lengths.iter().map(|(_, n)| *n).filter(|&n| n != 1).max().unwrap_or(1);
    for (name, n) in lengths {
        if *n != 1 && *n != rows {
            let shapes: Vec<String> = lengths.iter().map(|(a, n)| format!("{a}[{n}]")).collect();
            return Err(format!("{name} has {n} elements and cannot broadcast with the others: {}", shapes.join(", ")));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_repeat_and_lengths_must_agree() {
        assert_eq!(broadcast_rows(&[("a", 1), ("b", 4), ("c", 4)]), Ok(4));
        assert_eq!(broadcast_rows(&[("a", 1), ("b", 1)]), Ok(1));
        assert_eq!(broadcast_rows(&[("a", 0), ("b", 1)]), Ok(0));
        assert!(broadcast_rows(&[("a", 3), ("b", 4)]).unwrap_err().contains("a[3], b[4]"));
        let data = [7.0];
        let column = Column::new(&data, 5);
        assert_eq!(column.at(4), 7.0);
        let data = [1.0, 2.0, 3.0];
        assert_eq!(Column::new(&data, 3).at(2), 3.0);
        assert_eq!(Column::new(&data, 3).block::<2>(1, 2, 0.0), [2.0, 3.0]);
        assert_eq!(Column::new(&data, 3).block::<4>(1, 2, 9.0), [2.0, 3.0, 9.0, 9.0]);
        assert_eq!(Column::new(&[5.0], 3).block::<4>(0, 3, 9.0), [5.0, 5.0, 5.0, 9.0]);
    }
}
