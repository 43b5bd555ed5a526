//! `Authorization: Bearer <api key>`: the key names the tenant every handler then works for.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use recaudo_domain::Secret;

use crate::AppState;
use crate::extract::Authenticated;
use crate::problem::Problem;

/// The API key of a request, if it carries one in `Authorization: Bearer …`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<Secret<&str>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, key) = value.split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty()).then(|| Secret::new(key))
}

/// Refuses requests without a known API key (401); puts the key's tenant in the extensions.
pub async fn require_tenant(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(key) = bearer(req.headers()) else {
        return Problem::unauthorized("send an API key in `Authorization: Bearer <key>`")
            .with_field("Authorization")
            .into_response();
    };
    match state
        .store
        .authenticate_at(key.expose_secret(), state.clock.now())
        .await
    {
        Ok(Some(tenant)) => {
            req.extensions_mut().insert(Authenticated(tenant));
            next.run(req).await
        }
        Ok(None) => Problem::unauthorized("the API key is not valid")
            .with_field("Authorization")
            .into_response(),
        Err(error) => Problem::from(error).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_bearer_keys_only() {
        let cases = [
            ("Bearer rk_abc", Some("rk_abc")),
            ("bearer   rk_abc ", Some("rk_abc")),
            ("Basic dXNlcjpwYXNz", None),
            ("Bearer ", None),
            ("rk_abc", None),
        ];
        for (value, want) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            let got = bearer(&headers);
            assert_eq!(got.as_ref().map(|k| *k.expose_secret()), want, "{value}");
            if let Some(key) = got {
                assert_eq!(format!("{key:?}"), "***");
            }
        }
        assert!(bearer(&HeaderMap::new()).is_none());
    }
}
