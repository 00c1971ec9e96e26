//! Request and response types of the account capability.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Sign in to a Supabase project with email and password.
#[derive(Clone, Deserialize, TS)]
pub struct SignInRequest {
    /// The project's address, e.g. `https://abcd.supabase.co` (or a self-hosted one).
    pub project_url: String,
    /// The project's publishable (anon) key. It is public by design; it is not a password.
    pub public_key: String,
    pub email: String,
    /// Sent to the project once; never stored.
    pub password: String,
    /// This computer already has assessments or goals: they become the account's (`adopt_local` must be
    /// true, after the person has said yes). See [`LocalData`].
    #[serde(default)]
    pub adopt_local: bool,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("project_url", &self.project_url)
            .field("email", &self.email)
            .field("adopt_local", &self.adopt_local)
            .finish_non_exhaustive()
    }
}

/// What is on this computer that signing in would bring to the account.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct LocalData {
    pub assessments: u32,
    pub goals: u32,
    pub reports: u32,
    /// Rows of every synced kind together.
    #[ts(type = "number")]
    pub total: u64,
    /// The account this data folder syncs with already (signing in as anyone else is refused).
    pub linked_email: Option<String>,
}

/// Where the sign-in token stands in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Valid,
    /// Under a minute left: the next use refreshes it.
    RefreshSoon,
    /// Expired: the next use refreshes it.
    Expired,
    /// No session.
    None,
}

/// Where the sign-in token stands, checked on this computer.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TokenState {
    pub state: TokenStatus,
    #[ts(type = "number | null")]
    pub expires_in_s: Option<i64>,
    /// How the signature was checked: "local" (the project's published keys), "server" (a project with a
    /// shared secret: asked once per token) or null (not checked yet).
    pub verified: Option<String>,
    /// Token checks answered without any network call, and checks that needed one.
    #[ts(type = "number")]
    pub checks: u64,
    #[ts(type = "number")]
    pub network_checks: u64,
    /// Share of checks answered locally, 0–1 (null before the first check).
    pub hit_rate: Option<f64>,
    /// Seconds since the project's key set was fetched (null: not fetched).
    #[ts(type = "number | null")]
    pub key_set_age_s: Option<u64>,
    pub key_ids: Vec<String>,
}

/// Who is signed in, and where.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AccountStatus {
    pub signed_in: bool,
    /// This data folder is linked to an account (also after signing out).
    pub linked: bool,
    pub email: Option<String>,
    pub user_id: Option<String>,
    pub project_url: Option<String>,
    pub public_key: Option<String>,
    pub device_id: Option<String>,
    /// Signed out because the session ended (sign in again; nothing waiting to sync was lost).
    pub session_ended: bool,
    pub token: TokenState,
}
