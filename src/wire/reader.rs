//! [`Reader`]: a bounds-checked cursor over received bytes.

use super::error::WireError;

/// A cursor over a byte slice. Every read checks the remaining length first and
/// returns [`WireError::Truncated`] instead of panicking; nothing is allocated here.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Current offset from the start of the input.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Take the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        match rest.get(..n) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(WireError::Truncated {
                needed: n,
                remaining: rest.len(),
            }),
        }
    }

    /// Take the next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Take everything that is left (py-ipv8's `raw`).
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        self.pos = self.data.len();
        rest
    }

    /// Split off a reader over the next `n` bytes (for nested payloads, which are
    /// parsed only within their length prefix, spec §4 `payload`).
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>, WireError> {
        Ok(Reader::new(self.take(n)?))
    }

    /// Check that `count` items of at least `min_item_len` bytes each can still fit,
    /// before allocating room for them.
    pub fn check_items(&self, count: usize, min_item_len: usize) -> Result<(), WireError> {
        let needed = count.saturating_mul(min_item_len);
        if needed > self.remaining() {
            return Err(WireError::Truncated {
                needed,
                remaining: self.remaining(),
            });
        }
        Ok(())
    }

    /// Fail with [`WireError::TrailingBytes`] unless everything was read.
    pub fn finish(&self) -> Result<(), WireError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(WireError::TrailingBytes(n)),
        }
    }

    /// Read a u8.
    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }
    /// Read a big-endian u16.
    pub fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    /// Read a big-endian u32.
    pub fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    /// Read a big-endian u64.
    pub fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    /// Read a big-endian i32.
    pub fn i32(&mut self) -> Result<i32, WireError> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    /// Read a big-endian i64.
    pub fn i64(&mut self) -> Result<i64, WireError> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    /// Read a big-endian binary32.
    pub fn f32(&mut self) -> Result<f32, WireError> {
        Ok(f32::from_be_bytes(self.array()?))
    }
    /// Read a big-endian binary64.
    pub fn f64(&mut self) -> Result<f64, WireError> {
        Ok(f64::from_be_bytes(self.array()?))
    }
    /// Read a little-endian ("native", spec §4) u16.
    pub fn u16_le(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_reports_truncation() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16().unwrap(), 0x0102);
        assert_eq!(
            r.u16(),
            Err(WireError::Truncated {
                needed: 2,
                remaining: 1
            })
        );
        assert_eq!(r.finish(), Err(WireError::TrailingBytes(1)));
        assert_eq!(r.rest(), &[3]);
        assert!(r.finish().is_ok());
        assert!(r.check_items(1, 1).is_err());
        assert!(r.check_items(usize::MAX, 2).is_err());
    }
}
