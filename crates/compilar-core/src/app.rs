//! The facade: one type holding the services, one method per user action. Every shell (the Tauri commands,
//! tests, benchmarks) goes through it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};

use crate::api::*;
use crate::domain::{self, truncate_for_message, Domain};
use crate::error::{Error, Result};
use crate::llm::{
    Clock, KeychainBackend, Llm, LlmOptions, Prompt, ProviderKind, Secrets, SystemClock,
};
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

/// How to open the app. [`AppOptions::default`] is what the desktop app uses.
pub struct AppOptions {
    /// The data folder (see [`Paths::resolve`]).
    pub data_dir: Option<PathBuf>,
    /// Where API keys live.
    pub keychain: KeychainBackend,
    /// Keys that override the keychain (normally `OPENAI_API_KEY` / `ANTHROPIC_API_KEY`).
    pub env_keys: HashMap<ProviderKind, String>,
    /// The clock of the circuit breakers and the rate limiter.
    pub clock: Arc<dyn Clock>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            data_dir: None,
            keychain: KeychainBackend::Os,
            env_keys: Secrets::env_keys(),
            clock: Arc::new(SystemClock::new()),
        }
    }
}

impl AppOptions {
    /// For tests: this data folder, keyring's in-memory store, no keys from the environment.
    pub fn for_tests(data_dir: &Path) -> Self {
        AppOptions {
            data_dir: Some(data_dir.to_owned()),
            keychain: KeychainBackend::Mock,
            env_keys: HashMap::new(),
            clock: Arc::new(SystemClock::new()),
        }
    }
}

/// Longest prompt accepted from a person.
const MAX_PROMPT_CHARS: usize = 20_000;
const MAX_CALLS_SHOWN: u32 = 50;
const PLAYGROUND_SYSTEM: &str = "You are the assistant inside Compilar, a desktop app for understanding how groups \
coordinate, built on the PILAR framework (Prospects, Involved, Liked, Agency, Respect). Answer clearly and briefly, \
in Markdown.";

struct Inner {
    domain: Arc<Domain>,
    store: Arc<Store>,
    llm: Arc<Llm>,
    knowledge: crate::knowledge::Knowledge,
    /// Running imports by the caller's id, so they can be stopped.
    imports: std::sync::Mutex<HashMap<String, tokio_util::sync::CancellationToken>>,
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
        App::open_with(AppOptions {
            data_dir,
            ..AppOptions::default()
        })
        .await
    }

    /// [`App::open`] with every dependency chosen by the caller.
    pub async fn open_with(opts: AppOptions) -> Result<App> {
        let domain = Arc::new(Domain::builtin()?);
        let paths = Paths::resolve(opts.data_dir.as_deref())?;
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
        let store = Arc::new(store);
        let profile = store.write(ensure_local_profile).await?;
        let llm = Arc::new(
            Llm::open(
                Arc::clone(&store),
                LlmOptions {
                    clock: opts.clock,
                    keychain: opts.keychain,
                    env_keys: opts.env_keys,
                },
            )
            .await?,
        );
        let knowledge = crate::knowledge::Knowledge::open(
            Arc::clone(&store),
            Arc::clone(&domain),
            Arc::clone(&llm),
        )
        .await?;
        tracing::info!(data_dir = %paths.data_dir.display(), "Compilar core ready");
        Ok(App {
            inner: Arc::new(Inner {
                domain,
                store,
                llm,
                knowledge,
                imports: std::sync::Mutex::new(HashMap::new()),
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

/// The AI layer: provider settings and keys, "try a prompt", breakers, the rate limit and the call log.
impl App {
    /// The LLM service (for the core's own features and for tests).
    pub fn llm(&self) -> &Llm {
        &self.inner.llm
    }

    /// Provider settings, key status (never a key) and whether the keychain works.
    pub async fn llm_settings(&self) -> Result<LlmSettings> {
        let (providers, ai, keychain) = self.inner.llm.settings_view().await?;
        Ok(LlmSettings {
            providers,
            ai,
            keychain,
        })
    }

    /// Saves every provider's settings (and so the fallback order). All are validated before any is saved.
    pub async fn save_provider_settings(&self, req: SaveProvidersRequest) -> Result<LlmSettings> {
        self.inner.llm.save_settings(req.providers).await?;
        self.llm_settings().await
    }

    pub async fn save_ai_settings(&self, ai: crate::llm::AiSettings) -> Result<LlmSettings> {
        self.inner.llm.save_ai_settings(ai).await?;
        self.llm_settings().await
    }

    /// Stores or replaces a provider's key in the OS keychain.
    pub async fn set_api_key(&self, req: SetKeyRequest) -> Result<LlmSettings> {
        check_len(&req.provider, "provider")?;
        self.inner.llm.set_key(&req.provider, &req.key).await?;
        self.llm_settings().await
    }

    pub async fn remove_api_key(&self, provider: &str) -> Result<LlmSettings> {
        check_len(provider, "provider")?;
        self.inner.llm.remove_key(provider).await?;
        self.llm_settings().await
    }

    /// Lists the provider's models to check the address and the key.
    pub async fn test_provider(&self, provider: &str) -> Result<crate::llm::ConnectionTest> {
        check_len(provider, "provider")?;
        self.inner.llm.test_connection(provider).await
    }

    fn playground_prompt(&self, req: &AskRequest) -> Result<Prompt> {
        let text = req.prompt.trim();
        if text.is_empty() {
            return Err(Error::InvalidArgument("Write a question first.".into()));
        }
        if req.prompt.chars().count() > MAX_PROMPT_CHARS {
            return Err(Error::PayloadTooLarge {
                what: "prompt",
                max: MAX_PROMPT_CHARS,
                unit: "characters",
            });
        }
        if req.request_id.trim().is_empty() || req.request_id.len() > 64 {
            return Err(Error::InvalidArgument(
                "The request id must be 1 to 64 characters.".into(),
            ));
        }
        if req.exclude.len() > crate::llm::settings::PROVIDER_IDS.len() {
            return Err(Error::InvalidArgument("Too many providers to skip.".into()));
        }
        for p in &req.exclude {
            if !crate::llm::settings::PROVIDER_IDS.contains(&p.as_str()) {
                return Err(Error::UnknownProvider(truncate_for_message(p)));
            }
        }
        Ok(Prompt {
            system: Some(PLAYGROUND_SYSTEM.to_owned()),
            messages: vec![crate::llm::ChatMessage {
                role: crate::llm::Role::User,
                content: text.to_owned(),
            }],
            max_tokens: 1024,
            temperature: None,
        })
    }

    /// A whole answer to a prompt, from the first provider in the chain that can give one.
    pub async fn ask(&self, req: AskRequest) -> Result<crate::llm::ChatAnswer> {
        let prompt = self.playground_prompt(&req)?;
        self.inner
            .llm
            .chat(crate::llm::Feature::Playground, &prompt, &req.exclude)
            .await
    }

    /// A streamed answer: events go to `sink` (ending with one `done` or `error`), and the last event is
    /// returned. Bad input fails before anything is sent. [`App::cancel_stream`] stops it.
    pub async fn ask_stream<F>(&self, req: AskRequest, sink: F) -> Result<crate::llm::StreamEvent>
    where
        F: Fn(crate::llm::StreamEvent) + Send + Sync,
    {
        let prompt = self.playground_prompt(&req)?;
        let llm = &self.inner.llm;
        let cancel = llm.register_stream(&req.request_id)?;
        let end = llm
            .stream(
                crate::llm::Feature::Playground,
                &prompt,
                &req.exclude,
                &cancel,
                &sink,
            )
            .await;
        llm.unregister_stream(&req.request_id);
        Ok(end)
    }

    /// Stops a running stream. Returns whether one was running under that id.
    pub fn cancel_stream(&self, request_id: &str) -> bool {
        self.inner.llm.cancel(request_id)
    }

    /// Breakers, the rate limit, the keychain and the recent call log, for the Diagnostics page.
    pub async fn llm_status(&self) -> Result<LlmStatus> {
        let llm = &self.inner.llm;
        let providers = llm.provider_status().await?;
        let calls = llm.recent_calls(MAX_CALLS_SHOWN).await?;
        let keychain = self.llm_settings().await?.keychain;
        Ok(LlmStatus {
            providers,
            rate_limit: llm.rate_limit_state(),
            keychain,
            calls,
        })
    }

    /// Reset, force open or force close a provider's breaker.
    pub async fn control_breaker(&self, req: BreakerControlRequest) -> Result<LlmStatus> {
        check_len(&req.provider, "provider")?;
        self.inner.llm.control_breaker(&req.provider, req.action)?;
        self.llm_status().await
    }
}

/// The knowledge base and the framework explorer.
impl App {
    /// Hybrid (semantic + full-text) search over the knowledge base, with filters.
    pub async fn search_knowledge(
        &self,
        req: crate::knowledge::SearchRequest,
    ) -> Result<crate::knowledge::SearchReply> {
        self.inner.knowledge.search(req).await
    }

    pub async fn knowledge_status(&self) -> Result<crate::knowledge::KnowledgeStatus> {
        self.inner.knowledge.status().await
    }

    /// The forces of a pillar, checking that the pillar belongs to `mode`.
    pub fn forces_of_pillar(&self, pillar: &str, mode: &str) -> Result<PillarForces> {
        check_len(pillar, "pillar")?;
        check_len(mode, "mode")?;
        let d = &self.inner.domain;
        let m = d.mode(mode)?;
        let p = d.pillar(pillar)?;
        if p.mode != m.id {
            return Err(Error::PillarModeMismatch {
                pillar: p.name.clone(),
                pillar_mode: p.mode.clone(),
                mode: m.id.clone(),
            });
        }
        Ok(PillarForces {
            pillar: p.clone(),
            forces: d.framework.forces_of(p).into_iter().cloned().collect(),
        })
    }

    /// The 20 directed connections between the pillars of a mode.
    pub fn connections_of_mode(&self, mode: &str) -> Result<Vec<crate::domain::Connection>> {
        check_len(mode, "mode")?;
        let d = &self.inner.domain;
        let m = d.mode(mode)?;
        Ok(d.framework
            .connections
            .iter()
            .filter(|c| c.mode == m.id)
            .cloned()
            .collect())
    }
}

/// The user's own documents.
impl App {
    /// Imports a Markdown or text file into the knowledge base, reporting progress; [`App::cancel_import`]
    /// with the same `import_id` stops it before anything is written.
    pub async fn import_document<F>(
        &self,
        req: ImportDocumentRequest,
        progress: F,
    ) -> Result<crate::knowledge::documents::DocumentInfo>
    where
        F: Fn(crate::knowledge::documents::ImportProgress) + Send + Sync,
    {
        if req.import_id.trim().is_empty() || req.import_id.len() > 64 {
            return Err(Error::InvalidArgument(
                "The import id must be 1 to 64 characters.".into(),
            ));
        }
        if req.path.len() > 4096 {
            return Err(Error::PayloadTooLarge {
                what: "file path",
                max: 4096,
                unit: "characters",
            });
        }
        let token = tokio_util::sync::CancellationToken::new();
        {
            let mut imports = match self.inner.imports.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if imports.contains_key(&req.import_id) {
                return Err(Error::InvalidArgument(
                    "An import with this id is already running.".into(),
                ));
            }
            imports.insert(req.import_id.clone(), token.clone());
        }
        let out = self
            .inner
            .knowledge
            .import_document(Path::new(&req.path), &token, &progress)
            .await;
        match self.inner.imports.lock() {
            Ok(mut g) => g.remove(&req.import_id),
            Err(p) => p.into_inner().remove(&req.import_id),
        };
        out
    }

    /// Stops a running import. Returns whether one was running under that id.
    pub fn cancel_import(&self, import_id: &str) -> bool {
        let token = match self.inner.imports.lock() {
            Ok(g) => g.get(import_id).cloned(),
            Err(p) => p.into_inner().get(import_id).cloned(),
        };
        token.map(|t| t.cancel()).is_some()
    }

    pub async fn list_documents(&self) -> Result<Vec<crate::knowledge::documents::DocumentInfo>> {
        self.inner.knowledge.list_documents().await
    }

    pub async fn delete_document(&self, id: &str) -> Result<()> {
        self.inner.knowledge.delete_document(id).await
    }

    /// The embedding models the knowledge base can use, how far each has embedded it, and any switch running.
    pub async fn embedding_models(&self) -> Result<crate::knowledge::models::EmbeddingModels> {
        self.inner.knowledge.embedding_models().await
    }

    /// Switches the knowledge base to another embedding model: embeds what that model has not embedded yet
    /// (progress after every batch), then makes it the one searches use. Searches keep using the current
    /// model until it is done; [`App::cancel_model_switch`] stops it (the work done so far is kept).
    pub async fn switch_embedding_model<F>(
        &self,
        req: crate::knowledge::models::SwitchModelRequest,
        progress: F,
    ) -> Result<crate::knowledge::models::EmbeddingModels>
    where
        F: Fn(crate::knowledge::models::SwitchProgress) + Send + Sync,
    {
        if req.model_id.trim().is_empty() || req.model_id.len() > 300 {
            return Err(Error::InvalidArgument("Choose an embedding model.".into()));
        }
        self.inner
            .knowledge
            .switch_model(req.model_id.trim(), &progress)
            .await
    }

    /// Stops a running model switch. Returns whether one was running.
    pub fn cancel_model_switch(&self) -> bool {
        self.inner.knowledge.cancel_switch()
    }
}
