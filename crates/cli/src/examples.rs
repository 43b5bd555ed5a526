//! The example strategies of `examples/strategies/`, built in: the demo and `recaudo bench plan`
//! load them (docs/strategies.md shows each).

use anyhow::Context;

pub const EXAMPLE_STRATEGIES: [(&str, &str); 4] = [
    (
        "utility.yaml",
        include_str!("../../../examples/strategies/utility.yaml"),
    ),
    (
        "lender.yaml",
        include_str!("../../../examples/strategies/lender.yaml"),
    ),
    (
        "b2b.yaml",
        include_str!("../../../examples/strategies/b2b.yaml"),
    ),
    (
        "consumer.yaml",
        include_str!("../../../examples/strategies/consumer.yaml"),
    ),
];

/// Stores the example strategies for a tenant (again: a no-op).
pub async fn put_examples(
    ts: &recaudo_store::TenantStore,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    for (name, source) in EXAMPLE_STRATEGIES {
        ts.put_strategy(source, now)
            .await
            .with_context(|| format!("example strategy {name}"))?;
    }
    Ok(())
}
