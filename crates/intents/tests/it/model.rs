//! The trained model: its file format, the reproducibility of training, the shipped file, and
//! the targets of issue 8 on the corpus's test split.

use recaudo_intents::corpus::{self, Example, Split};
use recaudo_intents::model::{Model, ModelError, SEED, SHIPPED_BYTES, TrainConfig};
use recaudo_intents::{Intent, evaluate, train_shipped};

fn corpus() -> Vec<Example> {
    corpus::shipped().unwrap_or_else(|e| panic!("{e}"))
}

fn small_model(seed: u64) -> Model {
    let all = corpus();
    let some: Vec<&Example> = all
        .iter()
        .filter(|e| e.split == Split::Train)
        .step_by(5)
        .collect();
    Model::train_with(
        &some,
        seed,
        &TrainConfig {
            epochs: 4,
            average_from: 2,
            ..TrainConfig::default()
        },
    )
}

#[test]
fn bytes_round_trip() {
    let m = small_model(3);
    assert_eq!(Model::from_bytes(&m.to_bytes()), Ok(m));
    let shipped = Model::shipped();
    assert_eq!(Model::from_bytes(&shipped.to_bytes()).as_ref(), Ok(shipped));
}

#[test]
fn a_corrupted_file_is_an_error_not_a_panic() {
    let bytes = small_model(3).to_bytes();
    assert_eq!(Model::from_bytes(b""), Err(ModelError::Magic));
    assert_eq!(
        Model::from_bytes(b"PK\x03\x04 not a model"),
        Err(ModelError::Magic)
    );
    assert_eq!(Model::from_bytes(b"RQIM"), Err(ModelError::Truncated));
    for cut in [5, 12, 40, bytes.len() / 2, bytes.len() - 1] {
        assert!(Model::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    // Every byte flipped somewhere in the file is noticed (the checksum or a field check).
    for i in (4..bytes.len()).step_by(bytes.len() / 200 + 1) {
        let mut b = bytes.clone();
        b[i] ^= 0xa5;
        assert!(Model::from_bytes(&b).is_err(), "byte {i} flipped");
    }
    // A newer format version is named as such.
    let mut v = bytes.clone();
    v[4] = 9;
    assert_eq!(Model::from_bytes(&v), Err(ModelError::Version(9)));
    // Trailing garbage.
    let mut t = bytes.clone();
    t.extend_from_slice(b"garbage");
    assert!(Model::from_bytes(&t).is_err());
}

#[test]
fn training_is_reproducible_and_the_seed_matters() {
    let a = small_model(11).to_bytes();
    let b = small_model(11).to_bytes();
    assert_eq!(a, b, "same corpus, same seed: same bytes");
    let c = small_model(12).to_bytes();
    assert_ne!(a, c, "another seed shuffles differently");
}

#[test]
fn the_shipped_model_is_the_corpus_trained_with_the_seed() {
    let trained = train_shipped(SEED).to_bytes();
    assert!(
        trained == SHIPPED_BYTES,
        "data/intents/model.bin is not train_shipped({SEED}): the corpus, the features or the \
         training changed; retrain with `recaudo intents train` and commit the file"
    );
    assert!(
        SHIPPED_BYTES.len() < 512 * 1024,
        "{} bytes",
        SHIPPED_BYTES.len()
    );
}

#[test]
fn the_test_split_meets_the_targets() {
    let all = corpus();
    let test: Vec<&Example> = all.iter().filter(|e| e.split == Split::Test).collect();
    assert!(test.len() > 300);
    let eval = evaluate(Model::shipped(), &test);
    let report = eval.to_markdown();
    assert!(
        eval.accuracy >= 0.90,
        "accuracy {:.4}\n{report}",
        eval.accuracy
    );
    let recall = eval.recall(Intent::OptOut);
    assert!(recall >= 0.95, "opt_out recall {recall:.4}\n{report}");
    assert_eq!(eval.total, test.len());
    assert!(report.contains("| opt_out |"));
}
