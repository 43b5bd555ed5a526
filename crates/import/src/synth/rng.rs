//! A small deterministic PRNG (xoshiro256**, seeded through SplitMix64) with the helpers the
//! generator needs. Same seed, same sequence, on every run; not for cryptography.
//!
//! The float helpers ([`Rng::normal`], [`Rng::lognormal`]) use `ln`, `cos` and `exp`, which are
//! identical on one platform and toolchain; only integer helpers are bit-exact everywhere.

/// SplitMix64: used to expand a seed into xoshiro state, and as a stateless mixer.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        // `z` as in the reference SplitMix64 (Steele, Lea and Flood 2014).
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// xoshiro256**.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        let state = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        // SplitMix64 never yields four zeros in a row, but be explicit: all-zero state is fixed.
        if state == [0; 4] {
            return Rng { s: [1, 2, 3, 4] };
        }
        Rng { s: state }
    }

    /// An independent stream for item `index` of the run seeded with `seed`: generating item
    /// `i` does not depend on how many numbers items before it drew.
    pub fn for_stream(seed: u64, index: u64) -> Self {
        let mut sm = SplitMix64::new(seed ^ 0x6A09_E667_F3BC_C909);
        let mixed = sm.next_u64();
        let mut sm = SplitMix64::new(mixed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng::new(sm.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        // `s` and `t` as in the reference xoshiro256** (Blackman and Vigna).
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (Lemire's multiply-and-reject, unbiased). `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        let span = (hi - lo) as u64;
        if span == u64::MAX {
            return self.next_u64() as i64;
        }
        lo + self.below(span + 1) as i64
    }

    /// Uniform in `lo..=hi` for `u32`.
    pub fn range_u32(&mut self, lo: u32, hi: u32) -> u32 {
        self.range(i64::from(lo), i64::from(hi)) as u32
    }

    /// Uniform index into a collection of `len` items.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with the given `probability`.
    pub fn chance(&mut self, probability: f64) -> bool {
        self.f64() < probability
    }

    /// A uniformly chosen element. `items` must not be empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// An index chosen with probability proportional to `weights[i]`.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut draw = self.below(total.max(1));
        for (index, &weight) in weights.iter().enumerate() {
            let weight = u64::from(weight);
            if draw < weight {
                return index;
            }
            draw -= weight;
        }
        weights.len() - 1
    }

    /// An element chosen by the weight `weight(item)`.
    pub fn pick_weighted<'a, T>(&mut self, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
        let total: u64 = items.iter().map(|i| u64::from(weight(i))).sum();
        let mut draw = self.below(total.max(1));
        for item in items {
            let item_weight = u64::from(weight(item));
            if draw < item_weight {
                return item;
            }
            draw -= item_weight;
        }
        &items[items.len() - 1]
    }

    /// A normal variate (Box-Muller).
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        // 1 - f64() is in (0, 1], so ln never sees 0.
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        mean + sd * z
    }

    /// A lognormal variate with the given median (`exp(mu)`) and shape `sigma`.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * self.normal(0.0, sigma).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // Reference output of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut sm = SplitMix64::new(0);
        assert_eq!(sm.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(sm.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn same_seed_same_stream() {
        let first: Vec<u64> = (0..10)
            .map({
                let mut rng = Rng::new(7);
                move |_| rng.next_u64()
            })
            .collect();
        let second: Vec<u64> = (0..10)
            .map({
                let mut rng = Rng::new(7);
                move |_| rng.next_u64()
            })
            .collect();
        assert_eq!(first, second);
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
        assert_ne!(
            Rng::for_stream(7, 0).next_u64(),
            Rng::for_stream(7, 1).next_u64()
        );
    }

    #[test]
    fn ranges_stay_in_bounds_and_cover() {
        let mut rng = Rng::new(1);
        let mut seen = [false; 7];
        for _ in 0..10_000 {
            let value = rng.range(-3, 3);
            assert!((-3..=3).contains(&value));
            seen[(value + 3) as usize] = true;
            let fraction = rng.f64();
            assert!((0.0..1.0).contains(&fraction));
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(rng.range(5, 5), 5);
    }

    #[test]
    fn distributions_are_roughly_right() {
        let mut rng = Rng::new(42);
        let count = 50_000;
        let mean = (0..count).map(|_| rng.normal(10.0, 2.0)).sum::<f64>() / count as f64;
        assert!((mean - 10.0).abs() < 0.1, "{mean}");
        let mut samples: Vec<f64> = (0..count).map(|_| rng.lognormal(250.0, 0.8)).collect();
        samples.sort_by(f64::total_cmp);
        let median = samples[count / 2];
        assert!((median / 250.0 - 1.0).abs() < 0.05, "{median}");
        let hits = (0..count).filter(|_| rng.chance(0.3)).count() as f64 / count as f64;
        assert!((hits - 0.3).abs() < 0.01, "{hits}");
        let mut counts = [0u32; 3];
        for _ in 0..count {
            counts[rng.weighted(&[1, 0, 3])] += 1;
        }
        assert_eq!(counts[1], 0);
        let share = f64::from(counts[2]) / count as f64;
        assert!((share - 0.75).abs() < 0.01, "{share}");
    }
}
