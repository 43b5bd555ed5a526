//! The trained part of the classifier: a multinomial logistic regression (softmax regression)
//! over the hashed features of [`crate::features`], written here rather than taken from linfa:
//! the "documented alternative". It is small (9 classes × [`features::DIM`] i8
//! weights, most of them zero: the file is ~180 KB), needs no dependency, trains in about a
//! second, and its training is reproducible to the byte.
//!
//! # Training ([`Model::train`])
//!
//! Plain stochastic gradient descent on the cross-entropy loss, on the train split only:
//! [`TrainConfig::epochs`] passes (20), each over the examples in an order shuffled
//! (Fisher–Yates) by a SplitMix64 generator seeded with the given seed; a learning rate
//! `lr / (1 + decay · epoch)`; an L2 penalty applied to the weights of the features a step
//! touches (the usual sparse form); the weights averaged over the ends of the epochs from
//! [`TrainConfig::average_from`] on (Polyak averaging, steadier than the last epoch). The
//! settings were chosen by 5-fold cross-validation on the train split. All arithmetic is `f32` in a fixed order, so the same
//! corpus and seed give the same bytes on every run (and in debug and release builds: Rust
//! neither reorders nor fuses floating-point operations). The weights are then quantised to
//! `i8` with one scale per class; the model *is* the quantised model (what is trained is what
//! is saved, loaded and measured).
//!
//! # File format ([`Model::to_bytes`], version 1, little-endian)
//!
//! | bytes | content |
//! | --- | --- |
//! | 4 | magic `RQIM` |
//! | 2 | format version (`1`) |
//! | 2 | number of classes (`9`, [`Intent::ALL`] order) |
//! | 1 | log2 of the number of buckets ([`features::BITS`]) |
//! | 4 | [`features::VERSION`], the feature extraction the weights belong to |
//! | 9 × 4 | bias per class (`f32`) |
//! | 9 × 4 | scale per class (`f32`): weight = scale × stored `i8` |
//! | 4 | number of non-zero rows `R` (`u32`) |
//! | R × … | each row: the gap to the previous row's bucket (LEB128, the first from 0), a 2-byte mask of the classes whose weight is non-zero, then those weights (`i8`) |
//! | 8 | FNV-1a 64 of every byte before it |
//!
//! [`Model::from_bytes`] checks all of it and answers [`ModelError`], never a panic.

use std::sync::OnceLock;

use crate::corpus::{self, Example, Split};
use crate::features::{self, Extractor, Features};
use crate::normalize::normalize;
use crate::{Intent, lang};

/// The number of classes ([`Intent::ALL`]).
pub const CLASSES: usize = 9;

/// The seed of the shipped model (`data/intents/model.bin`).
pub const SEED: u64 = 8;

const MAGIC: &[u8; 4] = b"RQIM";
const FORMAT_VERSION: u16 = 1;

/// The shipped model's bytes.
pub const SHIPPED_BYTES: &[u8] = include_bytes!("../data/intents/model.bin");

/// A trained classifier. Weights are row-major by bucket: `weights[bucket * CLASSES + class]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    weights: Vec<i8>,
    scale: [f32; CLASSES],
    bias: [f32; CLASSES],
}

/// A model file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not a model file (bad magic)")]
    Magic,
    #[error("model format version {0}, this build reads {FORMAT_VERSION}")]
    Version(u16),
    #[error(
        "model has {classes} classes and 2^{bits} buckets, this build has {CLASSES} and 2^{}",
        features::BITS
    )]
    Dimensions { classes: u16, bits: u8 },
    #[error(
        "model was trained on features version {found}, this build extracts version {}",
        features::VERSION
    )]
    Features { found: u32 },
    #[error("model file is truncated")]
    Truncated,
    #[error("model file is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("model file checksum mismatch")]
    Checksum,
}

/// Training settings. [`TrainConfig::default`] is what the shipped model uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    pub epochs: usize,
    pub lr: f32,
    pub decay: f32,
    pub l2: f32,
    /// Quantised weights with `|q| < prune` are stored as zero (a smaller file).
    pub prune: i8,
    /// Average the weights over the ends of the epochs from this one on (Polyak averaging;
    /// `epochs` or more: no averaging).
    pub average_from: usize,
}

impl Default for TrainConfig {
    fn default() -> TrainConfig {
        TrainConfig {
            epochs: 20,
            lr: 1.0,
            decay: 0.2,
            l2: 1e-4,
            prune: 1,
            average_from: 5,
        }
    }
}

/// SplitMix64: a small, well-known, deterministic generator (for the shuffles).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        // `z` as in the reference SplitMix64 (Steele, Lea and Flood 2014).
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..bound` (bound > 0), by rejection (no modulo bias).
    fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % bound;
        loop {
            let draw = self.next();
            if draw < zone {
                return draw % bound;
            }
        }
    }
}

/// The features the model reads for a text: normalised, language detected, hashed.
pub fn featurize(text: &str) -> Features {
    let normalized = normalize(text);
    features::extract(&normalized, lang::detect(&normalized))
}

/// Softmax in place (stable).
fn softmax(scores: &mut [f32; CLASSES]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for score in scores.iter_mut() {
        *score = (*score - max).exp();
        sum += *score;
    }
    for score in scores.iter_mut() {
        *score /= sum;
    }
}

impl Model {
    /// Trains on `examples` (the caller passes the train split) with [`TrainConfig::default`].
    pub fn train(examples: &[&Example], seed: u64) -> Model {
        Model::train_with(examples, seed, &TrainConfig::default())
    }

    /// Trains with explicit settings (for cross-validation and experiments).
    pub fn train_with(examples: &[&Example], seed: u64, cfg: &TrainConfig) -> Model {
        let mut ex = Extractor::new();
        let data: Vec<(Features, usize)> = examples
            .iter()
            .map(|e| {
                let normalized = normalize(&e.text);
                let mut feats = Features::default();
                ex.extract(&normalized, lang::detect(&normalized), &mut feats);
                (feats, e.intent.index())
            })
            .collect();
        let (trained, bias) = sgd(&data, seed, cfg);
        Model::quantize(&trained, bias, cfg.prune)
    }

    fn quantize(trained: &[f32], bias: [f32; CLASSES], prune: i8) -> Model {
        let mut scale = [0.0f32; CLASSES];
        for row in trained.chunks_exact(CLASSES) {
            for class in 0..CLASSES {
                scale[class] = scale[class].max(row[class].abs());
            }
        }
        for class_scale in &mut scale {
            *class_scale = if *class_scale > 0.0 {
                *class_scale / 127.0
            } else {
                1.0
            };
        }
        let weights = trained
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let q = (x / scale[i % CLASSES]).round().clamp(-127.0, 127.0) as i8;
                if q.unsigned_abs() < prune.unsigned_abs() {
                    0
                } else {
                    q
                }
            })
            .collect();
        Model {
            weights,
            scale,
            bias,
        }
    }

    /// Class probabilities ([`Intent::ALL`] order) for a message's features
    /// ([`features::Extractor::extract`]); indices out of range are ignored.
    pub fn predict(&self, feats: &Features) -> [f32; CLASSES] {
        let mut probs = self.scores(feats);
        softmax(&mut probs);
        probs
    }

    /// The raw scores (logits) before softmax.
    pub fn scores(&self, feats: &Features) -> [f32; CLASSES] {
        let mut acc = [0f32; CLASSES];
        for (bucket, value) in feats.iter() {
            let start = bucket as usize * CLASSES;
            if let Some(row) = self.weights.get(start..start + CLASSES) {
                for class in 0..CLASSES {
                    acc[class] += value * f32::from(row[class]);
                }
            }
        }
        let mut scores = self.bias;
        for class in 0..CLASSES {
            scores[class] += self.scale[class] * acc[class];
        }
        scores
    }

    /// The weight of `bucket` for `class` (dequantised).
    pub fn weight(&self, bucket: u32, class: Intent) -> f32 {
        let class_index = class.index();
        self.weights
            .get(bucket as usize * CLASSES + class_index)
            .map_or(0.0, |&q| self.scale[class_index] * f32::from(q))
    }

    /// The number of buckets with at least one non-zero weight.
    pub fn nonzero_rows(&self) -> usize {
        self.weights
            .chunks_exact(CLASSES)
            .filter(|r| r.iter().any(|&q| q != 0))
            .count()
    }

    /// The file (see the module docs for the format).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 * 1024);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(CLASSES as u16).to_le_bytes());
        out.push(features::BITS as u8);
        out.extend_from_slice(&features::VERSION.to_le_bytes());
        for class_bias in self.bias {
            out.extend_from_slice(&class_bias.to_le_bytes());
        }
        for class_scale in self.scale {
            out.extend_from_slice(&class_scale.to_le_bytes());
        }
        let rows = self.nonzero_rows() as u32;
        out.extend_from_slice(&rows.to_le_bytes());
        let mut prev = 0usize;
        for (bucket, row) in self.weights.chunks_exact(CLASSES).enumerate() {
            if row.iter().all(|&q| q == 0) {
                continue;
            }
            let mut gap = bucket - prev;
            prev = bucket;
            loop {
                let byte = (gap & 0x7f) as u8;
                gap >>= 7;
                if gap == 0 {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
            let mask: u16 = row
                .iter()
                .enumerate()
                .filter(|(_, q)| **q != 0)
                .fold(0, |m, (c, _)| m | 1 << c);
            out.extend_from_slice(&mask.to_le_bytes());
            out.extend(row.iter().filter(|q| **q != 0).map(|&q| q as u8));
        }
        let sum = fnv64(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Reads a file written by [`Model::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        if bytes.len() < 4 || &bytes[..4] != MAGIC {
            return Err(ModelError::Magic);
        }
        if bytes.len() < 8 + 4 {
            return Err(ModelError::Truncated);
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let mut reader = Reader {
            bytes: body,
            pos: 4,
        };
        let version = u16::from_le_bytes(reader.array()?);
        if version != FORMAT_VERSION {
            return Err(ModelError::Version(version));
        }
        let classes = u16::from_le_bytes(reader.array()?);
        let [bits] = reader.array()?;
        if usize::from(classes) != CLASSES || u32::from(bits) != features::BITS {
            return Err(ModelError::Dimensions { classes, bits });
        }
        let fv = u32::from_le_bytes(reader.array()?);
        if fv != features::VERSION {
            return Err(ModelError::Features { found: fv });
        }
        if fnv64(body) != u64::from_le_bytes(sum.try_into().map_err(|_| ModelError::Truncated)?) {
            return Err(ModelError::Checksum);
        }
        let mut bias = [0.0f32; CLASSES];
        for class_bias in &mut bias {
            *class_bias = f32::from_le_bytes(reader.array()?);
        }
        let mut scale = [0.0f32; CLASSES];
        for class_scale in &mut scale {
            *class_scale = f32::from_le_bytes(reader.array()?);
        }
        if bias.iter().chain(&scale).any(|x| !x.is_finite()) {
            return Err(ModelError::Corrupt("a bias or scale is not finite"));
        }
        let rows = u32::from_le_bytes(reader.array()?) as usize;
        if rows > features::DIM {
            return Err(ModelError::Corrupt("more rows than buckets"));
        }
        let mut weights = vec![0i8; features::DIM * CLASSES];
        let mut bucket = 0usize;
        for i in 0..rows {
            let mut gap = 0usize;
            let mut shift = 0u32;
            loop {
                let [byte] = reader.array()?;
                if shift > 28 {
                    return Err(ModelError::Corrupt("bucket gap too long"));
                }
                gap |= usize::from(byte & 0x7f) << shift;
                shift += 7;
                if byte & 0x80 == 0 {
                    break;
                }
            }
            if i > 0 && gap == 0 {
                return Err(ModelError::Corrupt("rows out of order"));
            }
            bucket = bucket
                .checked_add(gap)
                .filter(|&b| b < features::DIM)
                .ok_or(ModelError::Corrupt("bucket out of range"))?;
            let mask = u16::from_le_bytes(reader.array()?);
            if mask == 0 || mask >> CLASSES != 0 {
                return Err(ModelError::Corrupt("bad class mask"));
            }
            for class in 0..CLASSES {
                if mask & (1 << class) != 0 {
                    let [stored] = reader.array()?;
                    if stored == 0 {
                        return Err(ModelError::Corrupt("a stored weight is zero"));
                    }
                    weights[bucket * CLASSES + class] = stored as i8;
                }
            }
        }
        if reader.pos != body.len() {
            return Err(ModelError::Corrupt("trailing bytes"));
        }
        Ok(Model {
            weights,
            scale,
            bias,
        })
    }

    /// The shipped model (`data/intents/model.bin`, embedded in the binary), read once.
    pub fn shipped() -> &'static Model {
        static SHIPPED: OnceLock<Model> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            Model::from_bytes(SHIPPED_BYTES).unwrap_or_else(|e| {
                panic!(
                    "data/intents/model.bin does not load ({e}); retrain it with `recaudo intents train`"
                )
            })
        })
    }
}

/// The model trained on the shipped corpus's train split with `seed`: what
/// `data/intents/model.bin` holds for [`SEED`] (a test holds the two together).
pub fn train_shipped(seed: u64) -> Model {
    let all = corpus::shipped().unwrap_or_else(|e| panic!("the shipped corpus: {e}"));
    let train: Vec<&Example> = all.iter().filter(|e| e.split == Split::Train).collect();
    Model::train(&train, seed)
}

/// Stochastic gradient descent on `data` (features, class), as the module docs say.
fn sgd(data: &[(Features, usize)], seed: u64, cfg: &TrainConfig) -> (Vec<f32>, [f32; CLASSES]) {
    // The usual notation: `w` the weights, `y` the true class, `p` the softmax probabilities,
    // `g` the gradient of the log loss (`p` minus the one-hot `y`), `lr` the learning rate.
    let mut w = vec![0.0f32; features::DIM * CLASSES];
    let mut bias = [0.0f32; CLASSES];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = SplitMix64(seed);
    let averaging = cfg.average_from < cfg.epochs;
    let mut avg = vec![0.0f32; if averaging { w.len() } else { 0 }];
    let mut avg_bias = [0.0f32; CLASSES];
    let mut averaged = 0usize;
    for epoch in 0..cfg.epochs {
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        let lr = cfg.lr / (1.0 + cfg.decay * epoch as f32);
        for &example in &order {
            let (feats, y) = &data[example];
            let mut p = bias;
            for (bucket, value) in feats.iter() {
                let row = &w[bucket as usize * CLASSES..][..CLASSES];
                for class in 0..CLASSES {
                    p[class] += value * row[class];
                }
            }
            softmax(&mut p);
            let mut g = p;
            g[*y] -= 1.0;
            for (bucket, value) in feats.iter() {
                let row = &mut w[bucket as usize * CLASSES..][..CLASSES];
                for class in 0..CLASSES {
                    row[class] -= lr * (g[class] * value + cfg.l2 * row[class]);
                }
            }
            for class in 0..CLASSES {
                bias[class] -= lr * g[class];
            }
        }
        if averaging && epoch >= cfg.average_from {
            for (avg_weight, weight) in avg.iter_mut().zip(&w) {
                *avg_weight += weight;
            }
            for class in 0..CLASSES {
                avg_bias[class] += bias[class];
            }
            averaged += 1;
        }
    }
    if averaged > 0 {
        let count = averaged as f32;
        for avg_weight in &mut avg {
            *avg_weight /= count;
        }
        for avg_class_bias in &mut avg_bias {
            *avg_class_bias /= count;
        }
        return (avg, avg_bias);
    }
    (w, bias)
}

fn fnv64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let end = self.pos.checked_add(N).ok_or(ModelError::Truncated)?;
        let slice = self.bytes.get(self.pos..end).ok_or(ModelError::Truncated)?;
        self.pos = end;
        Ok(slice.try_into().unwrap_or([0; N]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Model {
        let all = corpus::shipped().unwrap();
        let some: Vec<&Example> = all.iter().step_by(7).collect();
        Model::train_with(
            &some,
            1,
            &TrainConfig {
                epochs: 3,
                ..TrainConfig::default()
            },
        )
    }

    #[test]
    fn bytes_round_trip() {
        let model = tiny();
        let bytes = model.to_bytes();
        assert_eq!(Model::from_bytes(&bytes), Ok(model));
    }

    #[test]
    fn corruption_is_an_error() {
        let bytes = tiny().to_bytes();
        assert_eq!(Model::from_bytes(&[]), Err(ModelError::Magic));
        assert_eq!(Model::from_bytes(b"RQIM"), Err(ModelError::Truncated));
        assert!(Model::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(Model::from_bytes(&bytes[..bytes.len() / 2]).is_err());
        for i in (4..bytes.len()).step_by(97) {
            let mut corrupted = bytes.clone();
            corrupted[i] ^= 0x5a;
            assert!(Model::from_bytes(&corrupted).is_err(), "flipped byte {i}");
        }
    }
}
