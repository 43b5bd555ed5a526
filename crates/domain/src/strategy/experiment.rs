//! Arm assignment for champion/challenger experiments: a debt lands in the same arm every day,
//! on every node and in every version of recaudo, and the arms receive their `split` shares.

use super::{Arm, Experiment};
use crate::DebtId;

/// 64-bit FNV-1a over the bytes, then the SplitMix64 finaliser: stable by definition (no
/// dependence on the standard library's hasher, which may change between Rust versions) and
/// well mixed in every bit, so `% 100` is even.
fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in *part {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// The bucket (0–99) of a debt in an experiment.
pub fn bucket(experiment: &str, debt: DebtId) -> u8 {
    (stable_hash(&[experiment.as_bytes(), debt.text().as_bytes()]) % 100) as u8
}

impl Experiment {
    /// The arm a debt is in: its bucket falls in the arm's share of 0–99, arms in written order.
    /// A validated experiment's split sums to 100, so every bucket has an arm.
    pub fn arm_for(&self, debt: DebtId) -> Option<&Arm> {
        let debt_bucket = u32::from(bucket(&self.id, debt));
        let mut upper = 0u32;
        for (arm, share) in self.arms.iter().zip(&self.split) {
            upper += u32::from(*share);
            if debt_bucket < upper {
                return Some(arm);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn experiment(split: &[u8]) -> Experiment {
        Experiment {
            id: "wa-vs-sms".into(),
            step: "late-3".into(),
            arms: ["A", "B", "C"][..split.len()]
                .iter()
                .map(|n| Arm {
                    name: n.to_string(),
                    channel: None,
                    template: None,
                    variants: None,
                })
                .collect(),
            split: split.to_vec(),
        }
    }

    #[test]
    fn the_hash_is_pinned() {
        // These values must never change: they decide which arm live debts are in.
        let debt: DebtId = "debt_01JD0000000000000000000000".parse().expect("id");
        assert_eq!(u64::from(bucket("wa-vs-sms", debt)), PINNED % 100);
        assert_eq!(
            stable_hash(&[b"wa-vs-sms", b"debt_01JD0000000000000000000000"]),
            PINNED
        );
        assert_ne!(stable_hash(&[b"ab", b"c"]), stable_hash(&[b"a", b"bc"]));
    }

    /// FNV-1a 64 + SplitMix64 of ("wa-vs-sms", "debt_01JD0000000000000000000000"), computed
    /// independently (a ten-line Python transcription of the two published algorithms).
    const PINNED: u64 = 18_402_718_996_549_217_104;

    #[test]
    fn arms_get_their_share_and_each_debt_keeps_its_arm() {
        let e = experiment(&[50, 30, 20]);
        let mut counts = [0u32; 3];
        let n = 20_000;
        for _ in 0..n {
            let debt = DebtId::generate();
            let arm = e.arm_for(debt).expect("an arm");
            assert_eq!(e.arm_for(debt).map(|a| &a.name), Some(&arm.name), "stable");
            counts[["A", "B", "C"]
                .iter()
                .position(|x| *x == arm.name)
                .expect("known arm")] += 1;
        }
        for (count, share) in counts.iter().zip([50.0, 30.0, 20.0]) {
            let got = f64::from(*count) * 100.0 / f64::from(n);
            assert!((got - share).abs() < 1.5, "{counts:?}");
        }
        // Another experiment splits the same debts independently.
        let other = Experiment {
            id: "tone".into(),
            ..experiment(&[50, 50])
        };
        let same = (0..2_000)
            .map(|_| DebtId::generate())
            .filter(|d| {
                e.arm_for(*d).map(|a| a.name == "A") == other.arm_for(*d).map(|a| a.name == "A")
            })
            .count();
        assert!((800..1200).contains(&same), "{same}");
    }
}
