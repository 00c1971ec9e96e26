//! The link between this data folder and an account (the `sync_account` row), and the project's address.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::principal::Principal;
use crate::store::records;
use crate::util::{new_id, now};

/// A Supabase project: its address and publishable key.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    /// Without a trailing slash.
    pub url: String,
    pub public_key: String,
}

impl Project {
    /// Checks the address and key a person typed.
    pub(crate) fn parse(url: &str, key: &str) -> Result<Project> {
        let bad = |field: &str, message: String| Error::InvalidSettings {
            message,
            field: Some(field.to_owned()),
            settings_of: None,
        };
        let u = url.trim().trim_end_matches('/');
        if u.is_empty() {
            return Err(bad(
                "project_url",
                "Type the project's address, e.g. https://abcd.supabase.co.".into(),
            ));
        }
        if u.len() > 500 {
            return Err(bad(
                "project_url",
                "The project address is longer than 500 characters.".into(),
            ));
        }
        let parsed = url::Url::parse(u).map_err(|_| {
            bad(
                "project_url",
                format!(
                    "\u{201c}{}\u{201d} is not a web address.",
                    crate::domain::truncate_for_message(u)
                ),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad(
                "project_url",
                "The project address starts with https:// (or http:// for one on this computer)."
                    .into(),
            ));
        }
        if parsed.scheme() == "http"
            && !matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
        {
            return Err(bad(
                "project_url",
                "Use https:// for a project on another computer: sign-in sends your password."
                    .into(),
            ));
        }
        let k = key.trim();
        if k.is_empty() {
            return Err(bad(
                "public_key",
                "Paste the project's publishable (anon) key from its API settings.".into(),
            ));
        }
        if k.len() > 2000 || k.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                "public_key",
                "That is not a project key: it has spaces or is far too long.".into(),
            ));
        }
        Ok(Project {
            url: u.to_owned(),
            public_key: k.to_owned(),
        })
    }

    pub(crate) fn auth(&self, path: &str) -> String {
        format!("{}/auth/v1{path}", self.url)
    }

    pub(crate) fn rest(&self, path: &str) -> String {
        format!("{}/rest/v1{path}", self.url)
    }
}

pub(crate) fn check_email(email: &str) -> Result<String> {
    let e = email.trim();
    if e.is_empty() {
        return Err(Error::EmptyInput("Type your email address.".into()));
    }
    if e.len() > 254 || !e.contains('@') || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::InvalidArgument(format!(
            "\u{201c}{}\u{201d} is not an email address.",
            crate::domain::truncate_for_message(e)
        )));
    }
    Ok(e.to_owned())
}

/// The `sync_account` row.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub project_url: String,
    pub public_key: String,
    pub user_id: String,
    pub email: String,
    pub device_id: String,
    pub signed_in: bool,
    pub last_sync_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_code: Option<String>,
}

impl Link {
    pub(crate) fn project(&self) -> Project {
        Project {
            url: self.project_url.clone(),
            public_key: self.public_key.clone(),
        }
    }
}

pub(crate) fn read(c: &Connection) -> Result<Option<Link>> {
    Ok(c.query_row(
        "SELECT project_url, public_key, user_id, email, device_id, signed_in, last_sync_at, last_error,
                json_extract(last_error, '$.code')
           FROM sync_account WHERE id = 1",
        [],
        |r| {
            Ok(Link {
                project_url: r.get(0)?,
                public_key: r.get(1)?,
                user_id: r.get(2)?,
                email: r.get(3)?,
                device_id: r.get(4)?,
                signed_in: r.get(5)?,
                last_sync_at: r.get(6)?,
                last_error: r.get(7)?,
                last_error_code: r.get(8)?,
            })
        },
    )
    .optional()?)
}

pub(crate) fn linked_user(c: &Connection) -> Result<Option<String>> {
    Ok(
        c.query_row("SELECT user_id FROM sync_account WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?,
    )
}

/// Links this data folder to the account (first sign-in) or marks it signed in again, and queues every synced
/// row of `who` that is not queued yet (nothing is lost: rows already on the server are only sent again).
pub(crate) fn link(
    c: &Connection,
    who: &Principal,
    url: &str,
    key: &str,
    user_id: &str,
    email: &str,
) -> Result<()> {
    let first = linked_user(c)?.is_none();
    let at = now();
    if first {
        c.execute(
            "INSERT INTO sync_account (id, project_url, public_key, user_id, email, device_id, signed_in, linked_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, 1, ?6)",
            rusqlite::params![url, key, user_id, email, new_id().to_string(), at],
        )?;
        c.execute(
            "INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at) VALUES ('profiles', ?1, ?2)",
            rusqlite::params![who.owner(), at],
        )?;
        for t in records::TABLES {
            let only_shared = t
                .shared_only
                .map(|w| format!(" AND {w}"))
                .unwrap_or_default();
            c.execute(
                &format!(
                    "INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
                     SELECT '{0}', id, ?2 FROM {0} WHERE owner_id = ?1{only_shared} ORDER BY rowid",
                    t.name
                ),
                rusqlite::params![who.owner(), at],
            )?;
        }
    } else {
        c.execute(
            "UPDATE sync_account SET signed_in = 1, project_url = ?1, public_key = ?2, email = ?3,
                    last_error = NULL WHERE id = 1",
            rusqlite::params![url, key, email],
        )?;
    }
    Ok(())
}

pub(crate) fn set_signed_in(c: &Connection, on: bool, error: Option<&str>) -> Result<()> {
    c.execute(
        "UPDATE sync_account SET signed_in = ?1, last_error = ?2 WHERE id = 1",
        rusqlite::params![on, error],
    )?;
    Ok(())
}

pub(crate) fn record_sync(c: &Connection, error: Option<&str>) -> Result<()> {
    match error {
        None => c.execute(
            "UPDATE sync_account SET last_sync_at = ?1, last_error = NULL WHERE id = 1",
            [now()],
        )?,
        Some(e) => c.execute(
            "UPDATE sync_account SET last_error = ?1 WHERE id = 1 AND signed_in = 1",
            [e],
        )?,
    };
    Ok(())
}
