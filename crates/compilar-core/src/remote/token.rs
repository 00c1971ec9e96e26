//! Access tokens checked on this computer: the signature against the project's published keys (cached, and
//! fetched again when a token names a key id the cache does not hold), the audience and the expiry.

use crate::util::lock;
use std::sync::Mutex;
use std::time::Instant;

use base64::Engine;
use jsonwebtoken::{jwk::JwkSet, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::gotrue;
use super::link::Project;
use crate::error::{Error, Result};

/// The claims Compilar reads.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Claims {
    pub sub: String,
    pub exp: i64,
    #[serde(default)]
    pub role: Option<String>,
}

struct Keys {
    set: JwkSet,
    fetched: Instant,
}

struct Verified {
    token: String,
    claims: Claims,
    how: &'static str,
}

/// The key set and the last token checked.
#[derive(Default)]
pub(crate) struct KeyCache {
    keys: Mutex<Option<Keys>>,
    verified: Mutex<Option<Verified>>,
}

impl KeyCache {
    pub(crate) fn clear(&self) {
        *lock(&self.keys) = None;
        *lock(&self.verified) = None;
    }

    /// The claims of `token` when it is the one checked last and has not expired: no work, no network.
    pub(crate) fn verified(&self, token: &str) -> Option<Claims> {
        let v = lock(&self.verified);
        let v = v.as_ref()?;
        (v.token == token && v.claims.exp > chrono::Utc::now().timestamp())
            .then(|| v.claims.clone())
    }

    pub(crate) fn verified_how(&self, token: &str) -> Option<&'static str> {
        lock(&self.verified)
            .as_ref()
            .filter(|v| v.token == token)
            .map(|v| v.how)
    }

    /// Seconds since the key set was fetched, and its key ids.
    pub(crate) fn describe(&self) -> (Option<u64>, Vec<String>) {
        match lock(&self.keys).as_ref() {
            Some(k) => (
                Some(k.fetched.elapsed().as_secs()),
                k.set
                    .keys
                    .iter()
                    .filter_map(|j| j.common.key_id.clone())
                    .collect(),
            ),
            None => (None, Vec::new()),
        }
    }

    fn find(&self, kid: &str) -> Option<jsonwebtoken::jwk::Jwk> {
        lock(&self.keys)
            .as_ref()
            .and_then(|k| k.set.find(kid).cloned())
    }

    fn remember(&self, token: &str, claims: &Claims, how: &'static str) {
        *lock(&self.verified) = Some(Verified {
            token: token.to_owned(),
            claims: claims.clone(),
            how,
        });
    }
}

fn refused(why: impl std::fmt::Display) -> Error {
    tracing::warn!(reason = %why, "a sign-in token failed its check");
    Error::SessionExpired
}

/// The payload of a token, unverified (only after the server itself vouched for the token).
fn payload(token: &str) -> Result<Claims> {
    let part = token
        .split('.')
        .nth(1)
        .ok_or_else(|| refused("not a JWT"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(refused)?;
    serde_json::from_slice(&bytes).map_err(refused)
}

/// Checks `token`; returns its claims and whether a network call was needed.
pub(crate) async fn verify(
    cache: &KeyCache,
    http: &reqwest::Client,
    project: &Project,
    token: &str,
) -> Result<(Claims, bool)> {
    let header = jsonwebtoken::decode_header(token).map_err(refused)?;
    let alg = header.alg;
    if !matches!(alg, Algorithm::ES256 | Algorithm::RS256) {
        // A shared-secret project: the secret is never on this computer, so the server checks the token once.
        gotrue::user(http, project, token).await?;
        let claims = payload(token)?;
        cache.remember(token, &claims, "server");
        return Ok((claims, true));
    }
    let kid = header
        .kid
        .clone()
        .ok_or_else(|| refused("the token names no key"))?;
    let mut network = false;
    let jwk = match cache.find(&kid) {
        Some(j) => j,
        None => {
            // Unknown key id: the project may have rotated its keys. Fetch the set once.
            let set = gotrue::jwks(http, project).await?;
            network = true;
            *lock(&cache.keys) = Some(Keys {
                set,
                fetched: Instant::now(),
            });
            cache
                .find(&kid)
                .ok_or_else(|| refused(format!("key {kid} is not in the project's key set")))?
        }
    };
    let key = DecodingKey::from_jwk(&jwk).map_err(refused)?;
    let mut v = Validation::new(alg);
    v.set_audience(&["authenticated"]);
    v.leeway = 30;
    v.set_required_spec_claims(&["exp", "sub", "aud"]);
    let data = jsonwebtoken::decode::<Claims>(token, &key, &v).map_err(refused)?;
    if data.claims.role.as_deref() != Some("authenticated") {
        // A service or anonymous key is never what a person signs in with.
        return Err(refused("the token is not a signed-in user's"));
    }
    cache.remember(token, &data.claims, "local");
    Ok((data.claims, network))
}
