//! Operators (the people of a tenant's collections team who sign in to the dashboard) and their
//! sessions. A password is kept as an argon2id PHC string; a session as the SHA-256 of the
//! cookie's value, so neither a password nor a live session can be read back from the database.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use recaudo_domain::operators::OperatorRole;
use recaudo_domain::portfolio::Language;
use recaudo_domain::{OperatorId, Secret, TenantId};

use crate::rows::parse;
use crate::sql::{Sql, exec, fetch_all, fetch_optional};
use crate::{Entity, Result, Store, StoreError, TenantStore, on_pool};

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// How long a session lasts after sign-in (a working day and a half), whatever is done in it.
pub const SESSION_HOURS: i64 = 12;

/// A person who signs in to a tenant's dashboard (never their password).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Operator {
    pub id: OperatorId,
    pub tenant_id: TenantId,
    pub email: String,
    pub name: String,
    pub role: OperatorRole,
    pub language: Language,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// An operator to create. The password is a [`Secret`]: its `Debug` prints `***`.
#[derive(Debug, Clone)]
pub struct NewOperator {
    pub email: String,
    pub name: String,
    pub role: OperatorRole,
    /// The tenant's language when unset.
    pub language: Option<Language>,
    pub password: Secret<String>,
}

#[derive(sqlx::FromRow)]
struct OperatorRow {
    id: OperatorId,
    tenant_id: TenantId,
    email: String,
    name: String,
    role: String,
    language: String,
    created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
}

impl OperatorRow {
    fn into_domain(self) -> Result<Operator> {
        Ok(Operator {
            id: self.id,
            tenant_id: self.tenant_id,
            email: self.email,
            name: self.name,
            role: parse("operator role", &self.role)?,
            language: parse("language", &self.language)?,
            created_at: self.created_at,
            disabled_at: self.disabled_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    operator: OperatorRow,
    password_hash: String,
}

const COLUMNS: &str = "id, tenant_id, email, name, role, language, created_at, disabled_at";

fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// An e-mail address as operators sign in with it: trimmed, lower-cased, one `@` with text on
/// both sides and a dot in the domain.
pub fn normalise_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }
        None => false,
    };
    if !ok || email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("email", "must be an e-mail address"));
    }
    Ok(email)
}

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters, at most 256.
pub fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(invalid(
            "password",
            format!("must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > 256 {
        return Err(invalid("password", "must have at most 256 characters"));
    }
    Ok(())
}

/// A fresh password of 20 characters (about 119 bits), for a new account or the demo; shown once.
pub fn new_password() -> Secret<String> {
    // Letters and digits a person reads back without confusing them (no 0/O, 1/l/I).
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let text = (0..20)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect();
    Secret::new(text)
}

/// Argon2id with the parameters OWASP recommends (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::corrupt(e.to_string()))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| StoreError::corrupt(format!("password hash: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => hasher().verify_password(password.as_bytes(), &hash).is_ok(),
        Err(_) => false,
    }
}

/// Runs a password hash off the async threads (it takes tens of milliseconds by design).
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::corrupt(format!("password hashing stopped: {e}")))
}

/// A stored hash of a password nobody has, verified when the e-mail is unknown so that a
/// wrong address takes as long to refuse as a wrong password.
static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn session_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Creates an operator of `tenant`. The e-mail must be new to the whole installation.
    pub async fn create_operator(
        &self,
        tenant: TenantId,
        new: NewOperator,
        now: DateTime<Utc>,
    ) -> Result<Operator> {
        let email = normalise_email(&new.email)?;
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(invalid("name", "must be 1 to 100 characters"));
        }
        check_password(new.password.expose_secret())?;
        let tenant = self.get_tenant(tenant).await?;
        let password = new.password.expose_secret().clone();
        let hash = blocking(move || hash_password(&password)).await??;
        let operator = Operator {
            id: OperatorId::generate(),
            tenant_id: tenant.id,
            email,
            name,
            role: new.role,
            language: new.language.unwrap_or(tenant.language),
            created_at: now,
            disabled_at: None,
        };
        let mut sql = Sql::new(
            "INSERT INTO operators (id, tenant_id, email, name, role, language, password_hash, \
             created_at) VALUES ",
        );
        sql.push_values(vec![
            operator.id.into(),
            operator.tenant_id.into(),
            operator.email.clone().into(),
            operator.name.clone().into(),
            operator.role.as_str().into(),
            operator.language.as_str().into(),
            hash.into(),
            now.into(),
        ]);
        let written: Result<u64> = async { Ok(on_pool!(self, |pool| exec!(sql, pool))) }.await;
        match written {
            Ok(_) => Ok(operator),
            Err(e) if e.is_unique_violation() => Err(StoreError::Duplicate {
                what: Entity::Operator,
                external_id: operator.email,
            }),
            Err(e) => Err(e),
        }
    }

    /// The operators of `tenant`, by e-mail.
    pub async fn list_operators(&self, tenant: TenantId) -> Result<Vec<Operator>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM operators WHERE tenant_id = "
        ));
        sql.push_arg(tenant);
        sql.push(" ORDER BY email");
        let rows = on_pool!(self, |pool| fetch_all!(OperatorRow, sql, pool));
        rows.into_iter().map(OperatorRow::into_domain).collect()
    }

    /// Disables an operator of `tenant` (they can no longer sign in) and ends their sessions.
    pub async fn disable_operator(
        &self,
        tenant: TenantId,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let email = normalise_email(email)?;
        let mut sql = Sql::new("UPDATE operators SET disabled_at = ");
        sql.push_arg(now);
        sql.push(" WHERE tenant_id = ");
        sql.push_arg(tenant);
        sql.push(" AND email = ");
        sql.push_arg(email.clone());
        let mut end = Sql::new(
            "DELETE FROM operator_sessions WHERE operator_id IN \
             (SELECT id FROM operators WHERE tenant_id = ",
        );
        end.push_arg(tenant);
        end.push(" AND email = ");
        end.push_arg(email.clone());
        end.push(")");
        let changed = on_pool!(self, |pool| {
            let mut tx = crate::sql::begin!(pool);
            let changed = exec!(sql, &mut *tx);
            exec!(end, &mut *tx);
            tx.commit().await?;
            changed
        });
        if changed == 0 {
            return Err(StoreError::not_found(Entity::Operator, email));
        }
        Ok(())
    }

    /// The operator these credentials sign in, or `None` for an unknown address, a wrong
    /// password or a disabled operator alike (the caller says no more than "wrong credentials").
    pub async fn check_login(
        &self,
        email: &str,
        password: &Secret<String>,
    ) -> Result<Option<Operator>> {
        let Ok(email) = normalise_email(email) else {
            return Ok(None);
        };
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS}, password_hash FROM operators WHERE email = "
        ));
        sql.push_arg(email);
        let row = on_pool!(self, |pool| fetch_optional!(LoginRow, sql, pool));
        let password = password.expose_secret().clone();
        let Some(row) = row else {
            blocking(move || {
                let decoy = DECOY.get_or_init(|| {
                    hash_password("a password nobody has, for timing").unwrap_or_default()
                });
                verify_password(&password, decoy)
            })
            .await?;
            return Ok(None);
        };
        let phc = row.password_hash;
        if !blocking(move || verify_password(&password, &phc)).await? {
            return Ok(None);
        }
        let operator = row.operator.into_domain()?;
        Ok(operator.disabled_at.is_none().then_some(operator))
    }

    /// Opens a session for `operator`: the cookie's value, seen in clear only here.
    pub async fn open_session(
        &self,
        operator: &Operator,
        now: DateTime<Utc>,
    ) -> Result<Secret<String>> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let mut sql = Sql::new(
            "INSERT INTO operator_sessions (token_hash, operator_id, tenant_id, created_at, \
             expires_at) VALUES ",
        );
        sql.push_values(vec![
            session_hash(&token).into(),
            operator.id.into(),
            operator.tenant_id.into(),
            now.into(),
            (now + Duration::hours(SESSION_HOURS)).into(),
        ]);
        // Sessions that ended are forgotten as new ones open.
        let mut sweep = Sql::new("DELETE FROM operator_sessions WHERE expires_at < ");
        sweep.push_arg(now);
        on_pool!(self, |pool| {
            exec!(sweep, pool);
            exec!(sql, pool);
        });
        Ok(Secret::new(token))
    }

    /// The operator of a live session and their tenant's store, or `None` when the session is
    /// unknown, ended or its operator disabled.
    pub async fn session(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Operator, TenantStore)>> {
        let mut sql = Sql::new(&format!(
            "SELECT {} FROM operators o JOIN operator_sessions s ON s.operator_id = o.id \
             WHERE s.token_hash = ",
            COLUMNS
                .split(", ")
                .map(|c| format!("o.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        sql.push_arg(session_hash(token));
        sql.push(" AND s.expires_at > ");
        sql.push_arg(now);
        sql.push(" AND o.disabled_at IS NULL");
        let row = on_pool!(self, |pool| fetch_optional!(OperatorRow, sql, pool));
        let Some(row) = row else {
            return Ok(None);
        };
        let operator = row.into_domain()?;
        let tenant = self.get_tenant(operator.tenant_id).await?;
        Ok(Some((operator, self.tenant(&tenant))))
    }

    /// Ends a session (sign-out). Ending an unknown session does nothing.
    pub async fn close_session(&self, token: &str) -> Result<()> {
        let mut sql = Sql::new("DELETE FROM operator_sessions WHERE token_hash = ");
        sql.push_arg(session_hash(token));
        on_pool!(self, |pool| exec!(sql, pool));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalise_email(" Ana@Luz.COM ").unwrap(), "ana@luz.com");
        for bad in [
            "",
            "ana",
            "ana@",
            "@luz.com",
            "ana@luz",
            "ana@.com",
            "a na@luz.com",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused_naming_the_field() {
        let error = check_password("short").unwrap_err().to_string();
        assert!(
            error.contains("password") && error.contains("12"),
            "{error}"
        );
        assert!(check_password("twelve chars").is_ok());
    }
}
