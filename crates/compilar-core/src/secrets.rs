//! API keys: in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows),
//! never in the database, logs or exports. `OPENAI_API_KEY` / `ANTHROPIC_API_KEY` override the stored key
//! for headless use. Where no keychain works, the app says so and keeps working without stored keys.
//!
//! Keychain calls block (D-Bus on Linux), so callers run them on a blocking thread. Keys read once are kept
//! in memory so that every model call does not go to the keychain; [`Secrets::scrub`] removes any known key
//! from text (provider error messages sometimes echo part of the key).

use crate::util::lock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::llm::types::ProviderKind;

/// The keychain "service" under which keys are stored (one entry per provider id). Development builds use
/// their own, so a build from source never reads or overwrites the keys of an installed Compilar.
pub const KEYCHAIN_SERVICE: &str = crate::paths::DATA_FOLDER_NAME;
const PROBE_USER: &str = "compilar-keychain-probe";
const MAX_KEY_LEN: usize = 512;
/// The shortest key accepted: real keys are 40+ characters, and anything shorter than 8 could not be removed
/// from logs and errors without mangling ordinary words.
pub const MIN_KEY_LEN: usize = 8;

/// Which keychain to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeychainBackend {
    /// The operating system's keychain.
    Os,
    /// keyring's in-memory mock store (tests).
    Mock,
}

/// Where a provider's key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    Keychain,
    Environment,
    None,
}

/// Whether the keychain works here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct KeychainStatus {
    pub available: bool,
    /// e.g. "Secret Service", "macOS Keychain".
    pub backend: String,
    /// Why it is unavailable, in plain words (`null` when available).
    pub message: Option<String>,
    /// What works instead and how to get a keychain, one step per entry (empty when available).
    pub steps: Vec<String>,
    /// The system's own error, for a details line (never shown as the explanation).
    pub technical: Option<String>,
}

pub struct Secrets {
    backend: KeychainBackend,
    entries: Mutex<HashMap<String, Arc<keyring::Entry>>>,
    /// Keys read from or written to the keychain (`None`: known to be absent).
    cache: Mutex<HashMap<String, Option<String>>>,
    /// Secrets that are not API keys (the sync session), read or written, kept apart from the keys that
    /// [`Secrets::scrub`] looks for.
    others: Mutex<HashMap<String, Option<String>>>,
    /// Overrides from the environment, by provider kind.
    env: HashMap<ProviderKind, String>,
    status: Mutex<Option<KeychainStatus>>,
}

fn backend_name(b: KeychainBackend) -> &'static str {
    match b {
        KeychainBackend::Mock => "in-memory test store",
        KeychainBackend::Os if cfg!(target_os = "macos") => "macOS Keychain",
        KeychainBackend::Os if cfg!(target_os = "windows") => "Windows Credential Manager",
        KeychainBackend::Os => "Secret Service (GNOME Keyring, KWallet)",
    }
}

/// How to get a working keychain on this system.
fn keychain_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        "To save keys, unlock your login keychain (Keychain Access) and restart Compilar."
    } else if cfg!(target_os = "windows") {
        "To save keys, make sure Windows Credential Manager is running and restart Compilar."
    } else {
        "To save keys, install and unlock a keychain such as GNOME Keyring (package gnome-keyring) or \
         KWallet, sign in to your desktop again, and restart Compilar."
    }
}

fn unavailable(e: &keyring::Error) -> Error {
    Error::KeychainUnavailable(e.to_string())
}

impl Secrets {
    /// `env` holds the override keys by kind (read from the process environment by [`Secrets::env_keys`]).
    pub fn new(backend: KeychainBackend, env: HashMap<ProviderKind, String>) -> Self {
        Secrets {
            backend,
            entries: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            others: Mutex::new(HashMap::new()),
            env: env
                .into_iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k, v.trim().to_owned()))
                .collect(),
            status: Mutex::new(None),
        }
    }

    /// `OPENAI_API_KEY` and `ANTHROPIC_API_KEY` from the process environment.
    pub fn env_keys() -> HashMap<ProviderKind, String> {
        [ProviderKind::Openai, ProviderKind::Anthropic]
            .into_iter()
            .filter_map(|k| {
                let var = k.key_env_var()?;
                let v = std::env::var(var).ok()?;
                if v.trim().chars().count() < MIN_KEY_LEN {
                    tracing::warn!(var, "ignored: too short to be an API key");
                    return None;
                }
                Some((k, v))
            })
            .collect()
    }

    fn entry(&self, user: &str) -> std::result::Result<Arc<keyring::Entry>, keyring::Error> {
        let mut entries = lock(&self.entries);
        if let Some(e) = entries.get(user) {
            return Ok(Arc::clone(e));
        }
        let e = match self.backend {
            KeychainBackend::Os => keyring::Entry::new(KEYCHAIN_SERVICE, user)?,
            KeychainBackend::Mock => keyring::Entry::new_with_credential(
                keyring::mock::default_credential_builder().build(None, KEYCHAIN_SERVICE, user)?,
            ),
        };
        let e = Arc::new(e);
        entries.insert(user.to_owned(), Arc::clone(&e));
        Ok(e)
    }

    /// Checks once whether the keychain can be used (blocking).
    pub fn status(&self) -> KeychainStatus {
        if let Some(s) = lock(&self.status).clone() {
            return s;
        }
        let probe = self.entry(PROBE_USER).and_then(|e| match e.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        });
        let technical = probe.err().map(|e| e.to_string());
        let available = technical.is_none();
        let s = KeychainStatus {
            available,
            backend: backend_name(self.backend).to_owned(),
            message: (!available).then(|| {
                "Compilar could not find a keychain on this computer (the place the system keeps passwords \
                 safe), so it cannot save API keys for cloud providers. Everything else works."
                    .to_owned()
            }),
            steps: if available {
                Vec::new()
            } else {
                vec![
                    "A local model needs no key: run Ollama or LM Studio on this computer and switch on \
                     \u{201c}Local model\u{201d} below."
                        .to_owned(),
                    keychain_hint().to_owned(),
                    "For administrators: Compilar also reads OPENAI_API_KEY and ANTHROPIC_API_KEY from the \
                     environment it is started in."
                        .to_owned(),
                ]
            },
            technical,
        };
        if !s.available {
            tracing::warn!(backend = %s.backend, "the keychain is not available; stored API keys are off");
        }
        *lock(&self.status) = Some(s.clone());
        s
    }

    fn require_keychain(&self) -> Result<()> {
        let s = self.status();
        if s.available {
            Ok(())
        } else {
            Err(Error::KeychainUnavailable(
                s.message.unwrap_or_else(|| "unknown reason".into()),
            ))
        }
    }

    /// The key for a provider and where it came from (blocking). A keychain that fails to answer counts as
    /// "no stored key" so that calls still go to the providers that need none.
    pub fn key(&self, provider_id: &str, kind: ProviderKind) -> (Option<String>, KeySource) {
        if let Some(k) = self.env.get(&kind) {
            return (Some(k.clone()), KeySource::Environment);
        }
        if let Some(cached) = lock(&self.cache).get(provider_id) {
            return match cached {
                Some(k) => (Some(k.clone()), KeySource::Keychain),
                None => (None, KeySource::None),
            };
        }
        if !self.status().available {
            return (None, KeySource::None);
        }
        let read = self.entry(provider_id).and_then(|e| e.get_password());
        let key = match read {
            Ok(k) => Some(k),
            Err(keyring::Error::NoEntry) => None,
            Err(e) => {
                tracing::warn!(provider = provider_id, error = %e, "reading the key from the keychain failed");
                return (None, KeySource::None);
            }
        };
        lock(&self.cache).insert(provider_id.to_owned(), key.clone());
        match key {
            Some(k) => (Some(k), KeySource::Keychain),
            None => (None, KeySource::None),
        }
    }

    /// Checks a key typed by a person. Returns it trimmed.
    /// Refuses what cannot be a key: empty, too short (which also could not be scrubbed from text
    /// without mangling it), too long, or with spaces.
    pub fn validate_key(key: &str) -> Result<String> {
        let k = key.trim();
        if k.is_empty() {
            return Err(Error::EmptyInput("The API key is empty.".into()));
        }
        if k.len() > MAX_KEY_LEN {
            return Err(Error::PayloadTooLarge {
                what: "API key",
                max: MAX_KEY_LEN,
                unit: "characters",
            });
        }
        let n = k.chars().count();
        if n < MIN_KEY_LEN {
            return Err(Error::InvalidApiKey(format!(
                "That is {n} characters; API keys are much longer. Paste the whole key."
            )));
        }
        if k.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::InvalidApiKey(
                "An API key has no spaces or line breaks; check what was pasted.".into(),
            ));
        }
        Ok(k.to_owned())
    }

    /// Stores (or replaces) a provider's key (blocking).
    pub fn set(&self, provider_id: &str, key: &str) -> Result<()> {
        let key = Self::validate_key(key)?;
        self.require_keychain()?;
        self.entry(provider_id)
            .and_then(|e| e.set_password(&key))
            .map_err(|e| unavailable(&e))?;
        lock(&self.cache).insert(provider_id.to_owned(), Some(key));
        tracing::info!(provider = provider_id, "API key stored in the keychain");
        Ok(())
    }

    /// Removes a provider's stored key (blocking). Removing a key that is not there is fine.
    pub fn remove(&self, provider_id: &str) -> Result<()> {
        self.require_keychain()?;
        match self.entry(provider_id).and_then(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(unavailable(&e)),
        }
        lock(&self.cache).insert(provider_id.to_owned(), None);
        tracing::info!(provider = provider_id, "API key removed from the keychain");
        Ok(())
    }

    /// A secret that is not an API key (the sync session), by entry name (blocking). `None`: not stored, or
    /// no keychain here.
    pub fn secret(&self, name: &str) -> Result<Option<String>> {
        if let Some(cached) = lock(&self.others).get(name) {
            return Ok(cached.clone());
        }
        if !self.status().available {
            return Ok(None);
        }
        let v = match self.entry(name).and_then(|e| e.get_password()) {
            Ok(v) => Some(v),
            Err(keyring::Error::NoEntry) => None,
            Err(e) => return Err(unavailable(&e)),
        };
        lock(&self.others).insert(name.to_owned(), v.clone());
        Ok(v)
    }

    /// Stores a secret that is not an API key (at most 32 KiB) under `name` (blocking).
    pub fn set_secret(&self, name: &str, value: &str) -> Result<()> {
        if value.len() > 32 * 1024 {
            return Err(Error::PayloadTooLarge {
                what: "secret",
                max: 32 * 1024,
                unit: "bytes",
            });
        }
        self.require_keychain()?;
        self.entry(name)
            .and_then(|e| e.set_password(value))
            .map_err(|e| unavailable(&e))?;
        lock(&self.others).insert(name.to_owned(), Some(value.to_owned()));
        Ok(())
    }

    /// Removes the secret `name` (blocking); removing one that is not there is fine.
    pub fn remove_secret(&self, name: &str) -> Result<()> {
        if !self.status().available {
            lock(&self.others).insert(name.to_owned(), None);
            return Ok(());
        }
        match self.entry(name).and_then(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(unavailable(&e)),
        }
        lock(&self.others).insert(name.to_owned(), None);
        Ok(())
    }

    /// Replaces every known key (and any long-enough piece of one) in `text` with `[key removed]`.
    pub fn scrub(&self, text: &str) -> String {
        let mut keys: Vec<String> = self.env.values().cloned().collect();
        keys.extend(lock(&self.cache).values().flatten().cloned());
        let mut out = text.to_owned();
        for k in keys {
            // Keys shorter than this are refused when set and ignored from the environment.
            if k.chars().count() < MIN_KEY_LEN {
                continue;
            }
            out = out.replace(&k, "[key removed]");
            // Providers echo keys as "sk-abc…wxyz": drop any 8-character run taken from the key too.
            let chars: Vec<char> = k.chars().collect();
            for w in chars.windows(8) {
                let piece: String = w.iter().collect();
                if out.contains(&piece) {
                    out = out.replace(&piece, "[key removed]");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_round_trip_and_env_override() {
        let s = Secrets::new(KeychainBackend::Mock, HashMap::new());
        assert!(s.status().available);
        assert_eq!(
            s.key("openai", ProviderKind::Openai),
            (None, KeySource::None)
        );
        s.set("openai", "  sk-test-1234567890  ").unwrap();
        assert_eq!(
            s.key("openai", ProviderKind::Openai),
            (Some("sk-test-1234567890".into()), KeySource::Keychain)
        );
        s.remove("openai").unwrap();
        s.remove("openai").unwrap();
        assert_eq!(s.key("openai", ProviderKind::Openai).1, KeySource::None);

        let env = HashMap::from([(ProviderKind::Anthropic, "sk-ant-env-000111222".to_owned())]);
        let s = Secrets::new(KeychainBackend::Mock, env);
        s.set("anthropic", "sk-ant-stored-999").unwrap();
        assert_eq!(
            s.key("anthropic", ProviderKind::Anthropic),
            (Some("sk-ant-env-000111222".into()), KeySource::Environment)
        );
    }

    #[test]
    fn bad_keys_are_refused() {
        let s = Secrets::new(KeychainBackend::Mock, HashMap::new());
        for bad in ["", "   ", "sk-with space", "sk-line\nbreak"] {
            assert!(s.set("openai", bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            s.set("openai", &"x".repeat(600)),
            Err(Error::PayloadTooLarge { .. })
        ));
        assert_eq!(s.key("openai", ProviderKind::Openai).1, KeySource::None);
    }

    #[test]
    fn scrub_removes_keys_and_fragments() {
        let s = Secrets::new(KeychainBackend::Mock, HashMap::new());
        s.set("openai", "sk-proj-ABCDEFGH12345678").unwrap();
        let out = s.scrub("Incorrect API key provided: sk-proj-ABCDEFGH12345678 and sk-proj-****5678 or ABCDEFGH1");
        assert!(!out.contains("ABCDEFGH"), "{out}");
        assert!(out.contains("[key removed]"));
    }
}
