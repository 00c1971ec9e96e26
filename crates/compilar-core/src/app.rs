//! The facade: one type holding the services, one method per user action. Every shell (the Tauri commands,
//! tests, benchmarks) goes through it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};

use crate::api::*;
use crate::domain::{self, truncate_for_message, Domain};
use crate::error::{Error, Result};
use crate::store::{assessments as sql, Store};
use crate::util::{new_id, now, parse_id};

/// The bundle identifier; fixed forever (it names the data folder on every platform).
pub const IDENTIFIER: &str = "io.compilar.desktop";
/// Overrides the data folder (tests, portable installs).
pub const DATA_DIR_ENV: &str = "COMPILAR_DATA_DIR";
/// The database file inside the data folder.
pub const DB_FILE: &str = "compilar.db";

/// Longest free-text identifier (pillar, mode, question id) accepted.
const MAX_KEY_LEN: usize = 128;
const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;

/// Where the app keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub database: PathBuf,
    pub log_dir: PathBuf,
    pub backup_dir: PathBuf,
}

impl Paths {
    /// The data folder: `explicit` if given, else `$COMPILAR_DATA_DIR`, else the OS application-data folder
    /// (`~/.local/share/io.compilar.desktop` on Linux, `~/Library/Application Support/io.compilar.desktop` on
    /// macOS, `%APPDATA%\io.compilar.desktop` on Windows).
    pub fn resolve(explicit: Option<&Path>) -> Result<Paths> {
        let data_dir = match explicit {
            Some(p) => p.to_owned(),
            None => match std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
                Some(v) => PathBuf::from(v),
                None => dirs::data_dir()
                    .ok_or_else(|| {
                        Error::Io(std::io::Error::other(
                            "this system reports no application-data folder; set COMPILAR_DATA_DIR",
                        ))
                    })?
                    .join(IDENTIFIER),
            },
        };
        Ok(Paths {
            database: data_dir.join(DB_FILE),
            log_dir: data_dir.join("logs"),
            backup_dir: data_dir.join("backups"),
            data_dir,
        })
    }
}

struct Inner {
    domain: Arc<Domain>,
    store: Store,
    paths: Paths,
    profile: Arc<str>,
}

/// The application core. Cheap to clone; all clones share the same services.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

fn check_len(s: &str, what: &'static str) -> Result<()> {
    if s.len() > MAX_KEY_LEN {
        Err(Error::PayloadTooLarge {
            what,
            max: MAX_KEY_LEN,
            unit: "characters",
        })
    } else {
        Ok(())
    }
}

fn seed_of(id: &uuid::Uuid) -> u64 {
    let b = id.as_bytes();
    u64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]])
}

/// The single local profile that owns data until sign-in exists.
fn ensure_local_profile(conn: &Connection) -> Result<String> {
    let existing: Option<String> = conn
        .query_row(
            "SELECT value FROM app_meta WHERE key = 'local_profile_id'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = new_id().to_string();
    let ts = now();
    conn.execute(
        "INSERT INTO profiles (id, display_name, created_at, updated_at) VALUES (?1, 'Me', ?2, ?2)",
        params![id, ts],
    )?;
    conn.execute(
        "INSERT INTO app_meta (key, value) VALUES ('local_profile_id', ?1)",
        params![id],
    )?;
    Ok(id)
}

impl App {
    /// Opens the app's data in `data_dir` (see [`Paths::resolve`]): loads and validates the PILAR data,
    /// opens the database and applies migrations. Call once at start-up.
    pub async fn open(data_dir: Option<PathBuf>) -> Result<App> {
        let domain = Arc::new(Domain::builtin()?);
        let paths = Paths::resolve(data_dir.as_deref())?;
        let (db, backups, dir) = (
            paths.database.clone(),
            paths.backup_dir.clone(),
            paths.data_dir.clone(),
        );
        let store = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            Store::open(&db, &backups)
        })
        .await??;
        let profile = store.write(ensure_local_profile).await?;
        tracing::info!(data_dir = %paths.data_dir.display(), "Compilar core ready");
        Ok(App {
            inner: Arc::new(Inner {
                domain,
                store,
                paths,
                profile: Arc::from(profile.as_str()),
            }),
        })
    }

    pub fn paths(&self) -> &Paths {
        &self.inner.paths
    }

    pub fn domain(&self) -> &Domain {
        &self.inner.domain
    }

    /// The framework and scale.
    pub fn framework(&self) -> FrameworkInfo {
        let d = &self.inner.domain;
        let mut per = HashMap::new();
        for q in d.bank.all() {
            *per.entry(q.pillar.clone()).or_insert(0u32) += 1;
        }
        FrameworkInfo {
            framework: d.framework.clone(),
            scale: d.bank.scale.clone(),
            questions_per_pillar: per,
        }
    }

    /// Starts an assessment of `pillar` in `mode`, with its questions in a stable shuffled order.
    pub async fn create_assessment(&self, req: CreateAssessmentRequest) -> Result<Assessment> {
        check_len(&req.pillar, "pillar")?;
        check_len(&req.mode, "mode")?;
        let d = &self.inner.domain;
        let mode = d.mode(&req.mode)?;
        let pillar = d.pillar(&req.pillar)?;
        if pillar.mode != mode.id {
            return Err(Error::PillarModeMismatch {
                pillar: pillar.name.clone(),
                pillar_mode: pillar.mode.clone(),
                mode: mode.id.clone(),
            });
        }
        let id = new_id();
        let question_ids = d.bank.shuffled_ids(&pillar.id, seed_of(&id));
        let id = id.to_string();
        let (pid, mid, owner, version) = (
            pillar.id.clone(),
            mode.id.clone(),
            Arc::clone(&self.inner.profile),
            d.bank.version,
        );
        let (id2, qids) = (id.clone(), question_ids.clone());
        self.inner
            .store
            .write(move |c| {
                sql::insert(
                    c,
                    &sql::NewAssessment {
                        id: &id2,
                        owner: &owner,
                        pillar: &pid,
                        mode: &mid,
                        question_ids: &qids,
                        bank_version: version,
                        now: &now(),
                    },
                )
            })
            .await?;
        tracing::info!(assessment = %id, pillar = %pillar.id, "assessment created");
        self.get_assessment(&id).await
    }

    /// Records or changes one answer. Atomic and idempotent; safe under concurrent calls.
    pub async fn answer(&self, req: AnswerRequest) -> Result<AnswerAck> {
        let id = parse_id(&req.assessment_id)?.to_string();
        check_len(&req.question_id, "question id")?;
        let d = &self.inner.domain;
        if d.bank.get(&req.question_id).is_none() {
            return Err(Error::UnknownQuestion(truncate_for_message(
                &req.question_id,
            )));
        }
        let scale = &d.bank.scale;
        if req.value < scale.min || req.value > scale.max {
            return Err(Error::ValueOutOfRange {
                value: req.value,
                min: scale.min,
                max: scale.max,
            });
        }
        let patch = sql::AnswerPatch::new(
            id,
            Arc::clone(&self.inner.profile),
            req.question_id,
            req.value,
            now(),
        );
        self.inner
            .store
            .write_statement(move |c| sql::answer(c, &patch).map(|()| patch))
            .await
            .map(|p| AnswerAck {
                assessment_id: p.id,
                question_id: p.question,
                value: req.value,
            })
    }

    /// Scores the assessment and freezes its answers.
    pub async fn complete_assessment(&self, id: &str) -> Result<Assessment> {
        let id = parse_id(id)?.to_string();
        let owner = Arc::clone(&self.inner.profile);
        let domain = Arc::clone(&self.inner.domain);
        let id2 = id.clone();
        self.inner
            .store
            .write(move |c| {
                let row = sql::get(c, &id2, &owner)?;
                if row.deleted_at.is_some() {
                    return Err(Error::AssessmentDeleted);
                }
                if row.stage == "completed" {
                    return Err(Error::AssessmentCompleted);
                }
                let results = domain::score(&domain, &row.pillar, &row.question_ids, &row.answers)?;
                sql::complete(c, &id2, &owner, &results, &now())
            })
            .await?;
        tracing::info!(assessment = %id, "assessment completed");
        self.get_assessment(&id).await
    }

    /// One assessment (also a deleted one, so that it can be shown for undo).
    pub async fn get_assessment(&self, id: &str) -> Result<Assessment> {
        let id = parse_id(id)?.to_string();
        let owner = Arc::clone(&self.inner.profile);
        let row = self
            .inner
            .store
            .read(move |c| sql::get(c, &id, &owner))
            .await?;
        self.view(row)
    }

    fn view(&self, row: sql::AssessmentRow) -> Result<Assessment> {
        let d = &self.inner.domain;
        let questions = row
            .question_ids
            .iter()
            .map(|q| {
                d.bank.get(q).cloned().ok_or_else(|| {
                    Error::Internal(format!("stored question {q} is not in the bank"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Assessment {
            answered: row.answers.len() as u32,
            total: questions.len() as u32,
            id: row.id,
            pillar: row.pillar,
            mode: row.mode,
            stage: Stage::from_db(&row.stage),
            questions,
            answers: row.answers,
            results: row.results,
            created_at: row.created_at,
            updated_at: row.updated_at,
            completed_at: row.completed_at,
            deleted_at: row.deleted_at,
        })
    }

    /// Live assessments, newest first.
    pub async fn list_assessments(&self, req: ListRequest) -> Result<AssessmentPage> {
        let d = &self.inner.domain;
        let pillar = match &req.pillar {
            Some(p) => {
                check_len(p, "pillar")?;
                Some(d.pillar(p)?.id.clone())
            }
            None => None,
        };
        let mode = match &req.mode {
            Some(m) => {
                check_len(m, "mode")?;
                Some(d.mode(m)?.id.clone())
            }
            None => None,
        };
        let limit = req.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::InvalidArgument(format!(
                "The page size must be between 1 and {MAX_PAGE}, not {limit}."
            )));
        }
        let offset = req.offset.unwrap_or(0);
        let owner = Arc::clone(&self.inner.profile);
        let (rows, total) = self
            .inner
            .store
            .read(move |c| {
                sql::list(
                    c,
                    &sql::ListFilter {
                        owner: &owner,
                        pillar: pillar.as_deref(),
                        mode: mode.as_deref(),
                        limit,
                        offset,
                    },
                )
            })
            .await?;
        let items = rows
            .into_iter()
            .map(|r| AssessmentSummary {
                pillar_name: d
                    .framework
                    .pillar(&r.pillar)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| r.pillar.clone()),
                id: r.id,
                pillar: r.pillar,
                mode: r.mode,
                stage: Stage::from_db(&r.stage),
                answered: r.answered,
                total: r.total,
                pillar_score: r.pillar_score,
                created_at: r.created_at,
                updated_at: r.updated_at,
                completed_at: r.completed_at,
            })
            .collect();
        Ok(AssessmentPage {
            items,
            total,
            limit,
            offset,
        })
    }

    /// Moves an assessment to the bin (a tombstone); [`App::restore_assessment`] undoes it.
    pub async fn delete_assessment(&self, id: &str) -> Result<AssessmentRef> {
        let id = parse_id(id)?.to_string();
        let owner = Arc::clone(&self.inner.profile);
        let id2 = id.clone();
        self.inner
            .store
            .write(move |c| sql::delete(c, &id2, &owner, &now()))
            .await?;
        tracing::info!(assessment = %id, "assessment deleted");
        Ok(AssessmentRef { id })
    }

    /// Undoes a delete.
    pub async fn restore_assessment(&self, id: &str) -> Result<Assessment> {
        let id = parse_id(id)?.to_string();
        let owner = Arc::clone(&self.inner.profile);
        let id2 = id.clone();
        self.inner
            .store
            .write(move |c| sql::restore(c, &id2, &owner, &now()))
            .await?;
        tracing::info!(assessment = %id, "assessment restored");
        self.get_assessment(&id).await
    }

    /// Versions, paths and counts for the diagnostics view.
    pub async fn diagnostics(&self) -> Result<Diagnostics> {
        let (sqlite_version, vec_version, assessments) = self
            .inner
            .store
            .read(|c| {
                let (s, v): (String, String) =
                    c.query_row("SELECT sqlite_version(), vec_version()", [], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                Ok((s, v, sql::count(c)?))
            })
            .await?;
        let d = &self.inner.domain;
        let p = &self.inner.paths;
        Ok(Diagnostics {
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: p.data_dir.display().to_string(),
            database_path: p.database.display().to_string(),
            log_dir: p.log_dir.display().to_string(),
            sqlite_version,
            vec_version,
            schema_version: self.inner.store.migration_report().schema_version,
            framework_version: d.framework.version,
            question_bank_version: d.bank.version,
            questions: d.bank.all().len() as u32,
            assessments,
        })
    }
}
