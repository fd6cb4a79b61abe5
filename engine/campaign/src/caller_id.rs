//! Caller-ID pools: which of the campaign's numbers to show to the callee.

use std::collections::{BTreeMap, HashMap};

/// How the next caller ID is picked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CallerIdStrategy {
    /// In turn.
    #[default]
    RoundRobin,
    /// At random (from the dialer's seeded generator).
    Random,
    /// One from the callee's region when there is one free, else round robin.
    SameRegion,
}

/// A campaign's caller-ID pool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallerIdConfig {
    /// The numbers shown; empty means the trunk's own caller ID.
    pub numbers: Vec<String>,
    /// How one is picked.
    pub strategy: CallerIdStrategy,
    /// At most this many calls at once per caller number.
    pub max_concurrent_per_number: Option<u32>,
    /// Region of each pool number (from the operator's prefix table), for `SameRegion`.
    pub regions: BTreeMap<String, String>,
}

/// One caller ID in use by one call; give it back with [`CallerIdPool::release`].
#[derive(Debug, PartialEq, Eq)]
pub struct CallerIdLease {
    slot: Option<usize>,
    /// The number to show, or `None` for the trunk's default caller ID.
    pub number: Option<String>,
}

/// The live state of a caller-ID pool: who is in use, whose turn it is.
#[derive(Clone, Debug)]
pub struct CallerIdPool {
    numbers: Vec<String>,
    regions: Vec<Option<String>>,
    in_use: Vec<u32>,
    cap: Option<u32>,
    strategy: CallerIdStrategy,
    cursor: usize,
    region_cursors: HashMap<String, usize>,
    rng: SplitMix64,
}

impl CallerIdPool {
    /// A pool over `config`'s numbers (duplicates kept once); `seed` drives `Random`.
    pub fn new(config: &CallerIdConfig, seed: u64) -> Self {
        let mut numbers: Vec<String> = Vec::with_capacity(config.numbers.len());
        for n in &config.numbers {
            if !numbers.contains(n) {
                numbers.push(n.clone());
            }
        }
        let regions = numbers
            .iter()
            .map(|n| config.regions.get(n).cloned())
            .collect();
        Self {
            in_use: vec![0; numbers.len()],
            numbers,
            regions,
            cap: config.max_concurrent_per_number,
            strategy: config.strategy,
            cursor: 0,
            region_cursors: HashMap::new(),
            rng: SplitMix64(seed),
        }
    }

    /// A caller ID for a callee in `callee_region`. `None` when every number is at its cap;
    /// an empty pool always gives a lease with `number: None` (the trunk's default).
    pub fn pick(&mut self, callee_region: Option<&str>) -> Option<CallerIdLease> {
        if self.numbers.is_empty() {
            return Some(CallerIdLease {
                slot: None,
                number: None,
            });
        }
        let slot = match self.strategy {
            CallerIdStrategy::RoundRobin => self.round_robin(),
            CallerIdStrategy::Random => self.random(),
            CallerIdStrategy::SameRegion => callee_region
                .and_then(|region| self.same_region(region))
                .or_else(|| self.round_robin()),
        }?;
        self.in_use[slot] += 1;
        Some(CallerIdLease {
            slot: Some(slot),
            number: Some(self.numbers[slot].clone()),
        })
    }

    /// True if [`pick`](Self::pick) would give a lease now.
    pub fn can_pick(&self) -> bool {
        self.numbers.is_empty() || (0..self.numbers.len()).any(|i| self.is_free(i))
    }

    /// Give a lease back. A lease from another pool (a slot out of range or not in use) is
    /// ignored and reported as `false`.
    pub fn release(&mut self, lease: CallerIdLease) -> bool {
        match lease.slot.and_then(|i| self.in_use.get_mut(i)) {
            Some(count) if *count > 0 => {
                *count -= 1;
                true
            }
            _ => lease.slot.is_none(),
        }
    }

    /// Calls using `number` now.
    pub fn in_use(&self, number: &str) -> u32 {
        self.numbers
            .iter()
            .position(|n| n == number)
            .map_or(0, |i| self.in_use[i])
    }

    /// Leases out, over every number of the pool.
    pub fn leased(&self) -> u32 {
        self.in_use.iter().sum()
    }

    fn is_free(&self, slot: usize) -> bool {
        self.cap.is_none_or(|cap| self.in_use[slot] < cap)
    }

    fn round_robin(&mut self) -> Option<usize> {
        let n = self.numbers.len();
        let slot = (0..n)
            .map(|k| (self.cursor + k) % n)
            .find(|&i| self.is_free(i))?;
        self.cursor = (slot + 1) % n;
        Some(slot)
    }

    fn random(&mut self) -> Option<usize> {
        let free = (0..self.numbers.len()).filter(|&i| self.is_free(i)).count();
        if free == 0 {
            return None;
        }
        let nth = (self.rng.next() % free as u64) as usize;
        (0..self.numbers.len())
            .filter(|&i| self.is_free(i))
            .nth(nth)
    }

    fn same_region(&mut self, region: &str) -> Option<usize> {
        let n = self.numbers.len();
        let start = self.region_cursors.get(region).copied().unwrap_or(0);
        let slot = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| self.regions[i].as_deref() == Some(region) && self.is_free(i))?;
        self.region_cursors
            .insert(region.to_owned(), (slot + 1) % n);
        Some(slot)
    }
}

/// splitmix64 (Steele, Lea, Flood 2014): small, seeded, good enough to spread caller IDs.
#[derive(Clone, Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(strategy: CallerIdStrategy, cap: Option<u32>) -> CallerIdConfig {
        let numbers: Vec<String> = ["021001", "021002", "010001", "010002", "021001"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let regions = numbers
            .iter()
            .map(|n| {
                (
                    n.clone(),
                    if n.starts_with("021") {
                        "shanghai"
                    } else {
                        "beijing"
                    }
                    .to_string(),
                )
            })
            .collect();
        CallerIdConfig {
            numbers,
            strategy,
            max_concurrent_per_number: cap,
            regions,
        }
    }

    fn number(lease: &Option<CallerIdLease>) -> Option<&str> {
        lease.as_ref().and_then(|l| l.number.as_deref())
    }

    #[test]
    fn empty_pool_means_trunk_default() {
        let mut pool = CallerIdPool::new(&CallerIdConfig::default(), 1);
        let lease = pool.pick(Some("x")).expect("lease");
        assert_eq!(lease.number, None);
        assert!(pool.can_pick());
        assert!(pool.release(lease));
        assert_eq!(pool.leased(), 0);
    }

    #[test]
    fn round_robin_in_turn_with_caps() {
        let mut pool = CallerIdPool::new(&config(CallerIdStrategy::RoundRobin, Some(1)), 1);
        let leases: Vec<_> = (0..4).map(|_| pool.pick(None)).collect();
        let shown: Vec<_> = leases.iter().map(number).collect();
        assert_eq!(
            shown,
            [
                Some("021001"),
                Some("021002"),
                Some("010001"),
                Some("010002")
            ]
        );
        assert!(!pool.can_pick());
        assert!(pool.pick(None).is_none());
        let mut leases: Vec<_> = leases.into_iter().flatten().collect();
        assert!(pool.release(leases.remove(1)));
        assert_eq!(number(&pool.pick(None)), Some("021002"));
        assert_eq!(pool.in_use("021002"), 1);
        assert_eq!(pool.leased(), 4);
    }

    #[test]
    fn random_is_seeded_and_respects_caps() {
        let picks = |seed| {
            let mut pool = CallerIdPool::new(&config(CallerIdStrategy::Random, None), seed);
            (0..32)
                .map(|_| pool.pick(None).and_then(|l| l.number).unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert_eq!(picks(7), picks(7));
        assert_ne!(picks(7), picks(8));
        let mut pool = CallerIdPool::new(&config(CallerIdStrategy::Random, Some(2)), 3);
        let leases: Vec<_> = (0..8).map(|_| pool.pick(None).expect("free")).collect();
        assert!(pool.pick(None).is_none());
        for n in ["021001", "021002", "010001", "010002"] {
            assert_eq!(pool.in_use(n), 2);
        }
        for l in leases {
            assert!(pool.release(l));
        }
        assert_eq!(pool.leased(), 0);
    }

    #[test]
    fn same_region_prefers_the_callee_region() {
        let mut pool = CallerIdPool::new(&config(CallerIdStrategy::SameRegion, Some(1)), 1);
        assert_eq!(number(&pool.pick(Some("beijing"))), Some("010001"));
        assert_eq!(number(&pool.pick(Some("beijing"))), Some("010002"));
        // Beijing numbers at their cap: any free number by round robin.
        assert_eq!(number(&pool.pick(Some("beijing"))), Some("021001"));
        assert_eq!(number(&pool.pick(Some("shanghai"))), Some("021002"));
        assert!(pool.pick(Some("shanghai")).is_none());
        assert!(pool.pick(None).is_none());
    }

    #[test]
    fn foreign_lease_is_ignored() {
        let mut a = CallerIdPool::new(&config(CallerIdStrategy::RoundRobin, None), 1);
        let mut b = CallerIdPool::new(&config(CallerIdStrategy::RoundRobin, None), 1);
        let lease = a.pick(None).expect("lease");
        assert!(!b.release(lease));
        assert_eq!(b.leased(), 0);
        assert_eq!(a.leased(), 1);
    }
}
