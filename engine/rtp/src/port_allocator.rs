//! RTP port pairs from a configured range.

use std::ops::RangeInclusive;

use crate::RtpError;

/// Hands out even RTP ports (RTCP on the next odd port) from a range, round-robin, so a port
/// released by one call is the last to be reused and late packets of the old call do not land in
/// a new one.
#[derive(Debug, Clone)]
pub struct PortAllocator {
    /// First even port of the range.
    first: u16,
    /// `true` for each pair currently allocated; index `i` is port `first + 2 * i`.
    allocated: Vec<bool>,
    /// Index where the next search starts.
    cursor: usize,
    in_use: usize,
}

impl PortAllocator {
    /// An allocator over every even port `p` in `range` whose `p + 1` is in `range` too.
    /// Port 0 is never used. Fails if no such pair exists.
    pub fn new(range: RangeInclusive<u16>) -> Result<Self, RtpError> {
        let start = (*range.start()).max(2);
        let first = start
            .checked_add(start % 2)
            .ok_or_else(|| RtpError::invalid_range(&range))?;
        let last_rtcp = *range.end();
        if range.is_empty() || first >= last_rtcp {
            return Err(RtpError::invalid_range(&range));
        }
        // Pairs (first + 2i, first + 2i + 1) that end at or before `last_rtcp`.
        let pairs = usize::from(last_rtcp - first).div_ceil(2);
        Ok(PortAllocator {
            first,
            allocated: vec![false; pairs],
            cursor: 0,
            in_use: 0,
        })
    }

    /// Reserves a free RTP port (its RTCP port is `port + 1`), or `None` if all are in use.
    pub fn allocate(&mut self) -> Option<u16> {
        let pairs = self.allocated.len();
        let index = (0..pairs)
            .map(|offset| (self.cursor + offset) % pairs)
            .find(|&index| !self.allocated[index])?;
        self.allocated[index] = true;
        self.in_use += 1;
        self.cursor = (index + 1) % pairs;
        Some(self.port_of(index))
    }

    /// Returns an RTP port to the pool. Returns `false` (and changes nothing) if the port was not
    /// allocated by this allocator.
    pub fn release(&mut self, port: u16) -> bool {
        let Some(slot) = self
            .index_of(port)
            .and_then(|index| self.allocated.get_mut(index))
        else {
            return false;
        };
        if !*slot {
            return false;
        }
        *slot = false;
        self.in_use -= 1;
        true
    }

    /// Number of ports currently allocated.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    /// Number of RTP ports the range holds.
    pub fn capacity(&self) -> usize {
        self.allocated.len()
    }

    fn port_of(&self, index: usize) -> u16 {
        // `index < pairs` and `first + 2 * (pairs - 1) + 1 <= range end`, so this fits in u16.
        self.first + 2 * index as u16
    }

    fn index_of(&self, port: u16) -> Option<usize> {
        let offset = port.checked_sub(self.first)?;
        (offset % 2 == 0).then_some(usize::from(offset / 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_ports_with_rtcp_inside_range() {
        let mut ports = PortAllocator::new(10001..=10006).unwrap();
        assert_eq!(ports.capacity(), 2);
        assert_eq!(ports.allocate(), Some(10002));
        assert_eq!(ports.allocate(), Some(10004));
        assert_eq!(ports.allocate(), None, "10006 has no 10007 in range");
        assert_eq!(ports.in_use(), 2);
    }

    #[test]
    fn round_robin_does_not_reuse_a_released_port_at_once() {
        let mut ports = PortAllocator::new(20000..=20009).unwrap();
        let first = ports.allocate().unwrap();
        assert!(ports.release(first));
        let allocated: Vec<u16> = (0..4).map(|_| ports.allocate().unwrap()).collect();
        assert_eq!(allocated, [20002, 20004, 20006, 20008]);
        assert_eq!(
            ports.allocate(),
            Some(20000),
            "wraps around to the released port last"
        );
        assert_eq!(ports.allocate(), None);
        assert_eq!(ports.in_use(), 5);
    }

    #[test]
    fn release_rejects_unknown_or_free_ports() {
        let mut ports = PortAllocator::new(30000..=30003).unwrap();
        let port = ports.allocate().unwrap();
        assert!(!ports.release(port + 1), "odd port");
        assert!(!ports.release(29998), "below range");
        assert!(!ports.release(40000), "above range");
        assert!(ports.release(port));
        assert!(!ports.release(port), "double release");
        assert_eq!(ports.in_use(), 0);
    }

    #[test]
    fn invalid_ranges() {
        for range in [5000..=5000, 5001..=5002, 0..=1, 65535..=65535] {
            assert!(PortAllocator::new(range.clone()).is_err(), "{range:?}");
        }
        #[allow(clippy::reversed_empty_ranges)]
        let empty = 6000..=5000;
        assert!(PortAllocator::new(empty).is_err());
        assert_eq!(PortAllocator::new(0..=3).unwrap().allocate(), Some(2));
        assert_eq!(
            PortAllocator::new(65534..=65535).unwrap().allocate(),
            Some(65534)
        );
    }
}
