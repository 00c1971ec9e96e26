//! `compilar-cli`: Compilar's command-line shell. The same core and data folder as the window; each command
//! parses its arguments, makes one core call and prints the reply (for people by default, as one JSON
//! document with `--json`).
//!
//! Exit codes: 0 success; 2 a caller error (bad input, an unknown id, the wrong stage; also bad arguments);
//! 1 any other failure. With `--json` an error is printed on stderr as `{"error": {code, message, retryable}}`.

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod print;
mod term;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use compilar_core::api::{
    AboutRequest, AnalyzeRequest, AnswerRequest, BackupRequest, CheckInRequest, CloseGoalRequest,
    CompareModesRequest, CompareRequest, ConversationListRequest, CreateAssessmentRequest,
    EditGoalRequest, ExportFormat, ExportRequest, GenerateRequest, GeneratedListRequest,
    GoalListRequest, GoalStatus, GuidanceRequest, GuidanceStage, ImportDocumentRequest,
    ImportRequest, ListRequest, MessageSearchRequest, NewConversationRequest, NewGoalRequest,
    ProgressRequest, RejectedRequest, RenameRequest, ReportFormat, ReportRequest, SearchRequest,
    SendRequest, SetKeyRequest, SignInRequest, StartProfileRequest, SyncConversationRequest,
};
use compilar_core::api::{
    ConsentRequest, CreateTeamRequest, InviteRequest, JoinRequest, MemberRequest,
    RevokeInviteRequest, RoleRequest, RoundRequest, StartRoundRequest, TeamReportRequest,
    TeamRequest, TeamResultsRequest, UpdateTeamRequest,
};
use compilar_core::llm::StreamEvent;
use compilar_core::output::Overwrite;
use compilar_core::{recovery, App, AppOptions, Error};
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "compilar-cli",
    version,
    about = "Compilar from the command line: assessments, knowledge search, documents and health checks on the \
             same data as the app.",
    after_help = "Exit codes: 0 success, 2 a caller error (bad input, unknown id, wrong stage), 1 other failures."
)]
struct Cli {
    /// The data folder (default: $COMPILAR_DATA_DIR, else the app's own data folder).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print exactly one JSON document on stdout (errors as JSON on stderr); no progress bars.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The PILAR framework: modes, pillars, forces and the answer scale.
    Framework,
    /// Take, answer, complete and manage assessments.
    #[command(subcommand)]
    Assessment(AssessmentCmd),
    /// The coach: coaching reports for completed assessments.
    #[command(subcommand)]
    Coach(CoachCmd),
    /// Coach chat: conversations with the coach.
    #[command(subcommand)]
    Chat(ChatCmd),
    /// Fresh questions: new Likert statements for a pillar, written by a model and checked.
    #[command(subcommand)]
    Questions(QuestionsCmd),
    /// How a text reflects each pillar and force (a model's analysis, or an estimate without one).
    Analyze(AnalyzeArgs),
    /// Search the knowledge base (semantic + full text).
    Search(SearchArgs),
    /// One knowledge passage in full (its id is shown by `search`), with the passages closest to it.
    Passage { id: i64 },
    /// How the app window looks for this data folder: the theme and the zoom (shown; changed with the options).
    Appearance {
        /// system (follow the computer), light or dark.
        #[arg(long)]
        theme: Option<String>,
        /// 50–200 (per cent).
        #[arg(long)]
        zoom: Option<f64>,
    },
    /// Your own documents in the knowledge base.
    #[command(subcommand)]
    Documents(DocumentsCmd),
    /// Progress over time: latest scores, changes since the previous assessment, milestones.
    Progress {
        /// Only assessments about this group.
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        mode: Option<String>,
    },
    /// Two completed assessments of one pillar and mode side by side, force by force.
    Compare { first: String, second: String },
    /// Full profiles: all five pillars of a mode, pillar by pillar; and both modes compared for a group.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Development goals: set from a result's force, check in, close.
    #[command(subcommand)]
    Goals(GoalsCmd),
    /// Take a backup of the database now (consistent while the app is in use): into the backup folder, or
    /// to FILE.
    Backup {
        file: Option<String>,
        /// Replace FILE if it exists.
        #[arg(long, requires = "file")]
        force: bool,
    },
    /// The backups, and the automatic-backup settings (change them with --automatic and --keep).
    Backups {
        #[arg(long, value_enum)]
        automatic: Option<OnOff>,
        /// Automatic backups kept, 1–60.
        #[arg(long)]
        keep: Option<u32>,
    },
    /// Restore a backup (checked first; the current database is kept aside) or, with --undo, undo the last
    /// restore.
    Restore {
        #[arg(required_unless_present = "undo", conflicts_with = "undo")]
        file: Option<String>,
        #[arg(long)]
        undo: bool,
    },
    /// Delete every assessment, goal, report, conversation, document, fresh question, the AI call log and
    /// every backup. Settings and keys stay. Needs --confirm "delete my data".
    DeleteAllData {
        #[arg(long)]
        confirm: String,
    },
    /// A completed assessment as a report for printing or sharing: self-contained HTML, or PDF.
    Report {
        id: String,
        #[arg(long, value_enum, default_value = "pdf")]
        format: ReportFormatArg,
        /// Where to write it (outside the data folder).
        #[arg(long)]
        out: String,
        /// Replace the file at --out if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Export everything into a new folder, or a zip archive when PATH ends in .zip.
    Export {
        path: String,
        /// Replace the zip archive at PATH if it exists (a folder export always goes into a new or empty folder).
        #[arg(long)]
        force: bool,
    },
    /// Import an export (a folder or zip archive); --dry-run says what would change and writes nothing.
    Import {
        path: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// The AI providers: list them, change one, turn one on or off, test it, store or remove its API key.
    #[command(subcommand)]
    Providers(ProvidersCmd),
    /// The sync account: sign in to your team's Supabase project, sign out, see who is signed in.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Sync with the signed-in account: where it stands; --now pushes and pulls; the changes the server refused.
    Sync(SyncArgs),
    /// Teams on the signed-in account's project: create, invite, join, members, consent, rounds and results.
    #[command(subcommand)]
    Team(TeamCmd),
    /// Long work running on this data folder (in the app or another command).
    Jobs,
    /// Check this installation: versions, database integrity, migrations, keychain, AI providers.
    Doctor,
    /// When the database is damaged: shows its state and the backups; `--restore-backup` restores the newest
    /// good backup, `--start-fresh` starts with an empty database. The damaged file is kept either way.
    Recover(RecoverArgs),
}

#[derive(Subcommand)]
enum AccountCmd {
    /// Sign in with email and password. The password is read from the terminal without echo, or as one line
    /// from standard input when that is not a terminal; it is never an argument (other users could see it).
    Signin {
        /// The project's address, e.g. https://abcd.supabase.co.
        #[arg(long)]
        project: String,
        /// The project's publishable (anon) key.
        #[arg(long)]
        key: String,
        #[arg(long)]
        email: String,
        /// Add the assessments and goals already on this computer to the account without asking.
        #[arg(long)]
        adopt_local: bool,
    },
    /// Sign out: the session is revoked and removed from the keychain; local data stays.
    Signout,
    /// Who is signed in, the token's state (checked locally) and the key set's age.
    Status,
    /// Forget the cached key set and token checks (the next check starts from scratch).
    Invalidate,
}

#[derive(clap::Args)]
struct SyncArgs {
    /// Push what changed here and pull what changed elsewhere, now (with progress).
    #[arg(long)]
    now: bool,
    #[command(subcommand)]
    cmd: Option<SyncCmd>,
}

#[derive(Subcommand)]
enum SyncCmd {
    /// The changes the server refused ("not synced"), with the reason.
    Rejected,
    /// Send a refused change again with the next sync.
    Retry { table: String, id: String },
    /// Send every refused change again with the next sync.
    RetryAll,
    /// Forget a refused change (it stays on this computer, unsynced).
    Discard { table: String, id: String },
}

#[derive(Subcommand)]
enum TeamCmd {
    /// Your teams, with your role and whether you share your results with each.
    List,
    /// Create a team; you are its facilitator.
    Create {
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Results stay hidden until this many sharing members answered (3 to 1,000; default 5).
        #[arg(long)]
        threshold: Option<u32>,
    },
    /// Rename a team, or change its description or threshold (facilitators).
    Update {
        team: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        threshold: Option<u32>,
    },
    /// Delete a team (facilitators): members are told; everyone's own data stays theirs.
    Delete { team: String },
    /// A new invitation code, shown once (facilitators).
    Invite {
        team: String,
        /// How many people may join with it (default: any number until it expires).
        #[arg(long)]
        uses: Option<u32>,
        /// How many days it works, 1 to 90 (default 7).
        #[arg(long)]
        days: Option<u32>,
    },
    /// A team's open invitations (facilitators): when made, by whom, until when, uses left; never the code.
    Invites { team: String },
    /// Stop an invitation from working (facilitators); its id is in `team invites`.
    Revoke { invite: String },
    /// Join a team with an invitation code or its link (compilar://join/CODE).
    Join { code: String },
    /// Leave a team.
    Leave { team: String },
    /// A team's members and roles.
    Members { team: String },
    /// Remove a member (facilitators).
    Remove { team: String, user: String },
    /// Make a member a facilitator, or a facilitator a member (facilitators).
    Role {
        team: String,
        user: String,
        #[arg(value_parser = ["facilitator", "member"])]
        role: String,
    },
    /// Share your results for this team's rounds (on), or stop sharing them (off).
    Consent {
        team: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Group rounds: start, list, close, results.
    #[command(subcommand)]
    Round(RoundCmd),
    /// The team's results across its latest rounds; --format csv or json prints the export.
    Results {
        team: String,
        /// How many of the latest rounds (1 to 50, default 20).
        #[arg(long)]
        last: Option<u32>,
        #[arg(long, value_parser = ["csv", "json"])]
        format: Option<String>,
    },
}

#[derive(Subcommand)]
enum RoundCmd {
    /// Start a round (facilitators): one pillar of a mode, or without --pillar a full profile.
    Start {
        team: String,
        #[arg(long)]
        mode: String,
        #[arg(long)]
        pillar: Option<String>,
        /// When answers are due (RFC 3339, e.g. 2026-12-24T17:00:00Z).
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        message: Option<String>,
    },
    /// A team's rounds, or with no team the open rounds of all your teams.
    List { team: Option<String> },
    /// Close a round (facilitators).
    Close { round: String },
    /// A round's team results: figures only once enough sharing members answered.
    Results { round: String },
    /// Write the coaching report on a round's team results (aggregates only), streamed to stdout (Ctrl+C
    /// stops it). Without a provider, the offline coach writes it.
    Report {
        team: String,
        round: String,
        /// Use the offline coach (no model) even when a provider is set up.
        #[arg(long)]
        offline: bool,
        /// Skip this provider (repeatable).
        #[arg(long, value_name = "PROVIDER")]
        exclude: Vec<String>,
    },
    /// The team report kept on this computer for a round; with --markdown as a document with its sources.
    ShowReport {
        round: String,
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Subcommand)]
enum ProvidersCmd {
    /// The providers in fallback order: on or off, model, address, whether a key is set (never the key).
    List,
    /// Change a provider, with the same checks as the window (its id: openai, anthropic, local).
    Set {
        id: String,
        /// The chat model.
        #[arg(long)]
        model: Option<String>,
        /// The server's address (a local server such as Ollama: http://localhost:11434).
        #[arg(long)]
        url: Option<String>,
        /// The embedding model ("" for none).
        #[arg(long)]
        embedding_model: Option<String>,
        /// The place in the fallback order (0 first).
        #[arg(long)]
        position: Option<u32>,
    },
    /// Use the provider.
    Enable { id: String },
    /// Stop using the provider (its settings and key stay).
    Disable { id: String },
    /// Check that the provider answers: its models, and whether the chosen one is among them (exit 1 if not).
    Test { id: String },
    /// Store the provider's API key in the keychain: read from the terminal without echo, or as one line of
    /// standard input (never as an argument). With --remove, delete it.
    Key {
        id: String,
        #[arg(long)]
        remove: bool,
    },
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("action").args(["restore_backup", "start_fresh"])))]
struct RecoverArgs {
    /// Set the damaged database aside and restore the newest backup that passes SQLite's check.
    #[arg(long, conflicts_with = "start_fresh")]
    restore_backup: bool,
    /// Set the damaged database aside and start with an empty one.
    #[arg(long)]
    start_fresh: bool,
    /// Also when the database passes SQLite's check: it is kept as a backup that `restore --undo` brings back.
    /// Only with `--restore-backup` or `--start-fresh`.
    #[arg(long, requires = "action")]
    force: bool,
}

#[derive(Subcommand)]
enum ProfileCmd {
    /// Start a full profile of a mode; prints its first pillar's assessment.
    Start {
        #[arg(long)]
        mode: String,
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// The team round (of a full profile) it answers.
        #[arg(long)]
        round: Option<String>,
    },
    /// One full profile: its five pillars and how far it is.
    Show { id: String },
    /// Full profiles, newest first.
    List,
    /// The next pillar's assessment (started now if it was not), to answer with `assessment answer`.
    Next { id: String },
    /// The same group in egalitarian and hierarchical terms, letter by letter.
    CompareModes {
        #[arg(long)]
        group: Option<String>,
    },
}

#[derive(Subcommand)]
enum GoalsCmd {
    /// Goals, the most pressing first (active by review date, then closed ones).
    List {
        #[arg(long, value_enum)]
        status: Option<GoalStatusArg>,
    },
    /// One goal with its check-ins and how its force moved since.
    Show {
        id: String,
    },
    /// Set a goal from a completed assessment's force.
    Add {
        /// The completed assessment it comes from.
        #[arg(long)]
        assessment: String,
        /// The force to work on (its id, e.g. future_confidence).
        #[arg(long)]
        force: String,
        /// What to change.
        #[arg(long)]
        title: String,
        /// The practice; without it, the result's recommendation for the force.
        #[arg(long)]
        practice: Option<String>,
        /// The review date, YYYY-MM-DD (default: four weeks ahead).
        #[arg(long)]
        review: Option<String>,
    },
    /// Change an active goal: what to change, the practice, the review date (YYYY-MM-DD).
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        practice: Option<String>,
        #[arg(long)]
        review: Option<String>,
    },
    /// How is it going: a rating 1 (not at all) to 5 (very well) and a short note.
    Checkin {
        id: String,
        #[arg(long)]
        rating: u8,
        #[arg(long)]
        note: Option<String>,
    },
    /// Mark a goal done.
    Done {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Drop a goal, saying why.
    Drop {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Make a done or dropped goal active again.
    Reopen {
        id: String,
    },
    /// Move a goal to the bin (`restore` undoes it).
    Delete {
        id: String,
    },
    Restore {
        id: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormatArg {
    Html,
    Pdf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum GoalStatusArg {
    Active,
    Done,
    Dropped,
}

#[derive(Subcommand)]
enum AssessmentCmd {
    /// Start an assessment; prints it with its questions.
    Create {
        #[arg(long)]
        pillar: String,
        #[arg(long)]
        mode: String,
        /// Mix in the fresh questions stored for the pillar (one per force), scored like bank items.
        #[arg(long)]
        include_fresh: bool,
        /// The group it is about ("Product team").
        #[arg(long)]
        group: Option<String>,
        /// A short note.
        #[arg(long)]
        note: Option<String>,
        /// The team round it answers (an id from `team round open`).
        #[arg(long)]
        round: Option<String>,
    },
    /// Change what an assessment is about: its group and note (an empty value clears one).
    About {
        id: String,
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// The group names used so far.
    Groups,
    /// Record or change one answer (1 = strongly disagree … 5 = strongly agree).
    Answer {
        id: String,
        question: String,
        #[arg(allow_negative_numbers = true)]
        value: i64,
    },
    /// Score an assessment and freeze its answers.
    Complete { id: String },
    /// One assessment, with its answers and (when completed) its results.
    Show { id: String },
    /// Your assessments, newest first.
    List {
        #[arg(long)]
        pillar: Option<String>,
        #[arg(long)]
        mode: Option<String>,
        /// Only assessments about this group.
        #[arg(long)]
        group: Option<String>,
        /// Page size, 1–100 (default 20).
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        offset: Option<u32>,
    },
    /// Move an assessment to the bin (`restore` undoes it).
    Delete { id: String },
    /// Bring back a deleted assessment.
    Restore { id: String },
}

#[derive(Subcommand)]
enum CoachCmd {
    /// Write the coaching report of a completed assessment, streamed to stdout (Ctrl+C stops it and keeps
    /// what was written, marked stopped). Without a provider, the offline coach writes it.
    Report {
        id: String,
        /// Use the offline coach (no model) even when a provider is set up.
        #[arg(long)]
        offline: bool,
        /// Skip this provider (repeatable): "retry with another provider".
        #[arg(long, value_name = "PROVIDER")]
        exclude: Vec<String>,
    },
    /// The stored report of an assessment (the current one, and a newer attempt that did not complete).
    Show { id: String },
    /// The current report as Markdown, with its cited sources in full.
    Export { id: String },
    /// Short tips for where you are: choosing, before-quiz (with --pillar and --mode) or result (with --id).
    Tips {
        #[arg(long, value_enum)]
        stage: StageArg,
        #[arg(long)]
        pillar: Option<String>,
        #[arg(long)]
        mode: Option<String>,
        /// The assessment, for tips on a result.
        #[arg(long)]
        id: Option<String>,
        /// Ask a model (the framework's tips otherwise).
        #[arg(long)]
        model: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum StageArg {
    Choosing,
    BeforeQuiz,
    Result,
}

#[derive(Subcommand)]
enum ChatCmd {
    /// Start a conversation; `--about ID` (repeatable) shares a completed assessment's results with the coach.
    New {
        #[arg(long)]
        title: Option<String>,
        #[arg(long, value_name = "ASSESSMENT")]
        about: Vec<String>,
    },
    /// Ask the coach; the answer streams to stdout (Ctrl+C stops it and keeps what was written, marked stopped).
    Send {
        id: String,
        text: String,
        /// Answer from the knowledge base without a model.
        #[arg(long)]
        offline: bool,
        /// Skip this provider (repeatable).
        #[arg(long, value_name = "PROVIDER")]
        exclude: Vec<String>,
    },
    /// Your conversations, most recently active first.
    List {
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        offset: Option<u32>,
    },
    /// A conversation with its messages.
    Show { id: String },
    /// A conversation as Markdown (default) or JSON.
    Export {
        id: String,
        #[arg(long, value_enum, default_value = "markdown")]
        format: ExportArg,
    },
    /// Full-text search over every message.
    Search { query: String },
    /// Rename a conversation.
    Rename { id: String, title: String },
    /// Send this conversation to the signed-in account's project (on), or stop sending it (off). Off by default.
    Sync {
        id: String,
        #[arg(value_enum)]
        state: OnOff,
    },
    /// Move a conversation to the bin (`restore` undoes it).
    Delete { id: String },
    /// Bring back a deleted conversation.
    Restore { id: String },
}

#[derive(Subcommand)]
enum QuestionsCmd {
    /// Ask a model for new questions (each checked: force, length, scale, no near-duplicate); what is missing
    /// is left to the question bank.
    Generate {
        #[arg(long)]
        pillar: String,
        #[arg(long)]
        mode: String,
        /// 1–20 (default 10).
        #[arg(long)]
        count: Option<u32>,
        /// easier, standard (default) or harder.
        #[arg(long)]
        difficulty: Option<String>,
        /// Skip this provider (repeatable).
        #[arg(long, value_name = "PROVIDER")]
        exclude: Vec<String>,
    },
    /// The stored fresh questions.
    List {
        #[arg(long)]
        pillar: Option<String>,
        #[arg(long)]
        mode: Option<String>,
    },
    /// Remove a fresh question.
    Remove { id: String },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportArg {
    Markdown,
    Json,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["file", "text", "document"])))]
struct AnalyzeArgs {
    /// A text file (at most 20,000 characters).
    #[arg(long)]
    file: Option<PathBuf>,
    /// The text itself.
    #[arg(long)]
    text: Option<String>,
    /// One of your documents (by id; its first 20,000 characters).
    #[arg(long)]
    document: Option<String>,
    /// `egalitarian` or `hierarchical` (default: both).
    #[arg(long)]
    mode: Option<String>,
    /// The estimate from the search model, without a model.
    #[arg(long)]
    offline: bool,
}

#[derive(Args)]
struct SearchArgs {
    query: String,
    /// `egalitarian` or `hierarchical`.
    #[arg(long)]
    mode: Option<String>,
    #[arg(long)]
    pillar: Option<String>,
    /// How many results (default 10, at most 50).
    #[arg(long)]
    count: Option<u32>,
}

#[derive(Subcommand)]
enum DocumentsCmd {
    /// Import Markdown, text or PDF files (each reported on its own; the others go on if one fails).
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// The documents in the knowledge base.
    List,
    /// Remove a document and its passages.
    Delete { id: String },
}

/// How a run ended.
enum Failure {
    /// From the core: printed with its code.
    Core(Error),
    /// Several files, some failed: already reported.
    Reported { caller: bool },
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let json = cli.json;
    // The same log as the window's, in the data folder's `logs/` (`compilar-cli.<date>.log`; the level from
    // COMPILAR_LOG), never on stderr. A folder that cannot hold it does not stop the command.
    let _log = compilar_core::Paths::resolve(cli.data_dir.as_deref())
        .ok()
        .and_then(|p| compilar_core::logging::init_with(&p.log_dir, "compilar-cli", false).ok());
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "compilar-cli started");
    // One thread is enough for one command, and starts fastest; blocking SQLite work has its own pool.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            term::err(&format!("compilar-cli: could not start: {e}\n"));
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Core(e)) => {
            // The code only: messages can carry what the user wrote.
            tracing::warn!(code = e.code(), "the command failed");
            if json {
                term::err_raw(&format!(
                    "{}\n",
                    serde_json::json!({ "error": e.payload() })
                ));
            } else {
                term::err(&format!("compilar-cli: {e} ({})\n", e.code()));
                if e.code() == "database_damaged" {
                    term::err(
                        "Run `compilar-cli recover` to see the backups, then `compilar-cli recover --restore-backup` \
                         or `compilar-cli recover --start-fresh`.\n",
                    );
                }
            }
            ExitCode::from(if e.is_caller_error() { 2 } else { 1 })
        }
        Err(Failure::Reported { caller }) => ExitCode::from(if caller { 2 } else { 1 }),
    }
}

/// A command line clap cannot parse: under `--json`, the documented JSON error on stderr (exit 2); help and
/// the version are printed as asked.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let wants_json = std::env::args_os().skip(1).any(|a| a == "--json");
    if !wants_json || matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let code = e.exit_code();
        let _ = e.print();
        return ExitCode::from(u8::try_from(code).unwrap_or(2));
    }
    let message = e.render().to_string();
    let message = message
        .trim()
        .trim_start_matches("error: ")
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let payload = Error::InvalidArgument(message).payload();
    term::err_raw(&format!("{}\n", serde_json::json!({ "error": payload })));
    ExitCode::from(2)
}

/// Prints `value` as JSON, or for people with `human`.
fn emit<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T) -> String) -> Outcome {
    if json {
        match serde_json::to_string_pretty(value) {
            Ok(s) => term::out_raw(&format!("{s}\n")),
            Err(e) => return Err(Error::Internal(format!("could not print JSON: {e}")).into()),
        }
    } else {
        term::out(&human(value));
    }
    Ok(())
}

/// A file's content (Markdown, CSV or JSON text) on standard output; under `--json`, one JSON document with
/// it: `{"format": …, "content": …}`.
fn emit_content(json: bool, format: &str, content: &str) -> Outcome {
    if json {
        return emit(
            true,
            &serde_json::json!({ "format": format, "content": content }),
            |_| String::new(),
        );
    }
    term::out_content(content);
    if !content.ends_with('\n') {
        term::out_content("\n");
    }
    Ok(())
}

/// The password: from the terminal without echo, else one line of standard input.
fn read_password() -> Result<String, Error> {
    read_secret("Password: ", "the password")
}

/// A secret (`what`): from the terminal without echo after `prompt`, else one line of standard input. Never an
/// argument, so it stays out of the shell's history and the process list.
fn read_secret(prompt: &str, what: &str) -> Result<String, Error> {
    use std::io::{BufRead, IsTerminal, Read};
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt)
            .map_err(|e| Error::InvalidArgument(format!("could not read {what}: {e}")));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(4096)
        .read_line(&mut line)
        .map_err(|e| Error::InvalidArgument(format!("could not read {what}: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn providers(app: &App, json: bool, cmd: ProvidersCmd) -> Outcome {
    use compilar_core::api::ProviderChange;
    let s = app.settings();
    let change = |id: String, c: ProviderChange| async move { s.change_provider(&id, c).await };
    let settings = match cmd {
        ProvidersCmd::List => s.get().await?,
        ProvidersCmd::Set {
            id,
            model,
            url,
            embedding_model,
            position,
        } => {
            change(
                id,
                ProviderChange {
                    chat_model: model,
                    base_url: url,
                    embedding_model,
                    position,
                    ..ProviderChange::default()
                },
            )
            .await?
        }
        ProvidersCmd::Enable { id } => {
            change(
                id,
                ProviderChange {
                    enabled: Some(true),
                    ..ProviderChange::default()
                },
            )
            .await?
        }
        ProvidersCmd::Disable { id } => {
            change(
                id,
                ProviderChange {
                    enabled: Some(false),
                    ..ProviderChange::default()
                },
            )
            .await?
        }
        ProvidersCmd::Key { id, remove: true } => s.remove_key(&id).await?,
        ProvidersCmd::Key { id, remove: false } => {
            let key = read_secret(&format!("API key for {id}: "), "the key")?;
            s.set_key(SetKeyRequest { provider: id, key }).await?
        }
        ProvidersCmd::Test { id } => {
            let t = s.test_provider(&id).await?;
            emit(json, &t, print::connection_test)?;
            return if t.ok {
                Ok(())
            } else {
                Err(Failure::Reported { caller: false })
            };
        }
    };
    emit(json, &settings, print::providers)
}

/// Asks a yes/no question on the terminal (`false` when standard input is not one).
fn confirm(question: &str) -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes")
}

async fn account(app: &App, json: bool, cmd: AccountCmd) -> Outcome {
    let acct = app.account();
    match cmd {
        AccountCmd::Signin {
            project,
            key,
            email,
            adopt_local,
        } => {
            let password = read_password()?;
            let req = |adopt: bool| SignInRequest {
                project_url: project.clone(),
                public_key: key.clone(),
                email: email.clone(),
                password: password.clone(),
                adopt_local: adopt,
            };
            let st = match acct.sign_in(req(adopt_local)).await {
                Err(e @ Error::LocalDataNeedsConsent { .. }) if !json => {
                    if !confirm(&format!("{e}\nAdd them to {email}?")) {
                        return Err(e.into());
                    }
                    acct.sign_in(req(true)).await?
                }
                r => r?,
            };
            emit(json, &st, print::account)
        }
        AccountCmd::Signout => emit(json, &acct.sign_out().await?, print::account),
        AccountCmd::Status => emit(json, &acct.status().await?, print::account),
        AccountCmd::Invalidate => emit(json, &acct.invalidate().await?, print::account),
    }
}

async fn sync(app: &App, json: bool, args: SyncArgs) -> Outcome {
    let s = app.sync();
    match args.cmd {
        Some(SyncCmd::Rejected) => emit(json, &s.rejected().await?, |l| print::rejected(l)),
        Some(SyncCmd::Retry { table, id }) => emit(
            json,
            &s.retry_rejected(RejectedRequest { table, row_id: id })
                .await?,
            print::sync_status,
        ),
        Some(SyncCmd::RetryAll) => emit(json, &s.retry_all_rejected().await?, print::sync_status),
        Some(SyncCmd::Discard { table, id }) => emit(
            json,
            &s.discard_rejected(RejectedRequest { table, row_id: id })
                .await?,
            print::sync_status,
        ),
        None if args.now => {
            let bar = print::progress_bar(json, "Syncing");
            let report = s
                .sync_with({
                    let bar = bar.clone();
                    move |p| print::sync_progress(&bar, &p)
                })
                .await;
            bar.finish_and_clear();
            emit(json, &report?, print::sync_report)
        }
        None => emit(json, &s.status().await?, print::sync_status),
    }
}

async fn team(app: &App, json: bool, cmd: TeamCmd) -> Outcome {
    let t = app.teams();
    let team_req = |team_id: String| TeamRequest { team_id };
    match cmd {
        TeamCmd::List => emit(json, &t.list().await?, |l| print::teams(l)),
        TeamCmd::Create {
            name,
            description,
            threshold,
        } => emit(
            json,
            &t.create(CreateTeamRequest {
                name,
                description,
                min_responses: threshold,
            })
            .await?,
            print::team,
        ),
        TeamCmd::Update {
            team,
            name,
            description,
            threshold,
        } => emit(
            json,
            &t.update(UpdateTeamRequest {
                team_id: team,
                name,
                description,
                min_responses: threshold,
            })
            .await?,
            print::team,
        ),
        TeamCmd::Delete { team } => {
            t.delete(team_req(team)).await?;
            emit(json, &serde_json::json!({ "deleted": true }), |_| {
                "Team deleted. Its members are told; their own data stays theirs.\n".into()
            })
        }
        TeamCmd::Invite { team, uses, days } => emit(
            json,
            &t.invite(InviteRequest {
                team_id: team,
                max_uses: uses,
                valid_days: days,
            })
            .await?,
            print::invite,
        ),
        TeamCmd::Invites { team } => emit(json, &t.invites(team_req(team)).await?, |l| {
            print::invites(l)
        }),
        TeamCmd::Revoke { invite } => {
            t.revoke_invite(RevokeInviteRequest { invite_id: invite })
                .await?;
            emit(json, &serde_json::json!({ "revoked": true }), |_| {
                "Invitation revoked: its code no longer works.\n".into()
            })
        }
        TeamCmd::Join { code } => emit(json, &t.join(JoinRequest { code }).await?, print::team),
        TeamCmd::Leave { team } => {
            t.leave(team_req(team)).await?;
            emit(json, &serde_json::json!({ "left": true }), |_| {
                "You left the team. Your own data stays on this computer and in your account.\n"
                    .into()
            })
        }
        TeamCmd::Members { team } => emit(json, &t.members(team_req(team)).await?, |l| {
            print::members(l)
        }),
        TeamCmd::Remove { team, user } => emit(
            json,
            &t.remove_member(MemberRequest {
                team_id: team,
                user_id: user,
            })
            .await?,
            |l| print::members(l),
        ),
        TeamCmd::Role { team, user, role } => emit(
            json,
            &t.set_role(RoleRequest {
                team_id: team,
                user_id: user,
                role,
            })
            .await?,
            |l| print::members(l),
        ),
        TeamCmd::Consent { team, state } => emit(
            json,
            &t.set_consent(ConsentRequest {
                team_id: team,
                consent: state == "on",
            })
            .await?,
            print::team,
        ),
        TeamCmd::Round(RoundCmd::Start {
            team,
            mode,
            pillar,
            due,
            message,
        }) => emit(
            json,
            &t.start_round(StartRoundRequest {
                team_id: team,
                mode,
                pillar,
                due_at: due,
                message,
            })
            .await?,
            print::round,
        ),
        TeamCmd::Round(RoundCmd::List { team }) => {
            let list = match team {
                Some(team) => t.rounds(team_req(team)).await?,
                None => t.open_rounds().await?,
            };
            emit(json, &list, |l| print::rounds(l))
        }
        TeamCmd::Round(RoundCmd::Close { round }) => {
            t.close_round(RoundRequest { round_id: round }).await?;
            emit(json, &serde_json::json!({ "closed": true }), |_| {
                "Round closed: it leaves Home; its results stay.\n".into()
            })
        }
        TeamCmd::Round(RoundCmd::Results { round }) => emit(
            json,
            &t.round_results(RoundRequest { round_id: round }).await?,
            print::round_results,
        ),
        TeamCmd::Round(RoundCmd::Report {
            team,
            round,
            offline,
            exclude,
        }) => {
            let req = TeamReportRequest {
                team_id: team,
                round_id: round.clone(),
                offline: Some(offline),
                exclude: Some(exclude),
            };
            let (state, last) = streamed(
                json,
                move |sink| Box::pin(async move { app.teams().report(req, sink).await }),
                || t.cancel_report(&round),
            )
            .await?;
            report_end(json, &state, last)
        }
        TeamCmd::Round(RoundCmd::ShowReport { round, markdown }) => {
            if markdown {
                emit_content(json, "markdown", &t.export_report(&round).await?)
            } else {
                emit(json, &t.report_state(&round).await?, print::report_state)
            }
        }
        TeamCmd::Results { team, last, format } => {
            let req = TeamResultsRequest {
                team_id: team,
                last,
            };
            match format {
                Some(f) => {
                    let text = t.export_results(req, &f).await?;
                    emit_content(json, &f, &text)
                }
                None => emit(json, &t.team_results(req).await?, print::team_results),
            }
        }
    }
}

async fn open(data_dir: Option<PathBuf>) -> Result<App, Error> {
    App::open_with(AppOptions {
        data_dir,
        // Only the commands that search or import prepare the knowledge base (on their first use).
        prepare_knowledge: false,
        // `doctor` checks the whole database; a damaged page otherwise shows when a command reads it.
        check_integrity: false,
        // The command-line tool syncs only when told to (`compilar-cli sync`).
        sync_in_background: false,
        ..AppOptions::default()
    })
    .await
}

async fn run(cli: Cli) -> Outcome {
    let json = cli.json;
    // Recovery works on a folder whose database cannot be opened.
    if let Command::Recover(r) = &cli.command {
        let dir = cli.data_dir.as_deref();
        return if r.restore_backup {
            emit(
                json,
                &recovery::restore_latest_backup(dir, r.force)?,
                print::recovered,
            )
        } else if r.start_fresh {
            emit(
                json,
                &recovery::start_fresh(dir, r.force)?,
                print::recovered,
            )
        } else {
            emit(json, &recovery::status(dir)?, print::recovery)
        };
    }
    let app = open(cli.data_dir).await?;
    match cli.command {
        Command::Framework => {
            let info = app.assessments().framework();
            emit(json, &info, print::framework)
        }
        Command::Assessment(cmd) => assessment(&app, json, cmd).await,
        Command::Coach(cmd) => coach(&app, json, cmd).await,
        Command::Chat(cmd) => chat(&app, json, cmd).await,
        Command::Questions(cmd) => questions(&app, json, cmd).await,
        Command::Analyze(a) => {
            let text = match (&a.file, a.text) {
                (Some(f), _) => Some(read_text(f)?),
                (None, t) => t,
            };
            let reply = app
                .analysis()
                .analyze(AnalyzeRequest {
                    text,
                    document_id: a.document,
                    mode: a.mode,
                    offline: Some(a.offline),
                    exclude: None,
                    request_id: format!("cli-{}", std::process::id()),
                })
                .await?;
            emit(json, &reply, print::analysis)
        }
        Command::Search(a) => {
            let reply = app
                .knowledge()
                .search(SearchRequest {
                    query: a.query,
                    mode: a.mode,
                    pillar: a.pillar,
                    count: a.count,
                    ..SearchRequest::default()
                })
                .await?;
            emit(json, &reply, print::search)
        }
        Command::Passage { id } => {
            let p = app.knowledge().passage(id).await?;
            emit(json, &p, print::passage)
        }
        Command::Appearance { theme, zoom } => {
            let a = app
                .settings()
                .change_appearance(theme.as_deref(), zoom.map(|z| z / 100.0))
                .await?;
            emit(json, &a, print::appearance)
        }
        Command::Documents(cmd) => documents(&app, json, cmd).await,
        Command::Progress { group, mode } => {
            let view = app
                .progress()
                .view(ProgressRequest {
                    group,
                    mode,
                    utc_offset_minutes: None,
                })
                .await?;
            emit(json, &view, print::progress)
        }
        Command::Compare { first, second } => {
            let c = app
                .progress()
                .compare(CompareRequest { first, second })
                .await?;
            emit(json, &c, print::comparison)
        }
        Command::Goals(cmd) => goals(&app, json, cmd).await,
        Command::Profile(cmd) => {
            let p = app.full_profiles();
            match cmd {
                ProfileCmd::Start {
                    mode,
                    group,
                    note,
                    round,
                } => {
                    let a = p
                        .start(StartProfileRequest {
                            mode,
                            group_label: group,
                            note,
                            round_id: round,
                        })
                        .await?;
                    emit(json, &a, print::assessment)
                }
                ProfileCmd::Show { id } => emit(json, &p.get(&id).await?, print::full_profile),
                ProfileCmd::List => {
                    let list = p.list().await?;
                    emit(json, &list, |l| l.iter().map(print::full_profile).collect())
                }
                ProfileCmd::Next { id } => emit(json, &p.next(&id).await?, print::assessment),
                ProfileCmd::CompareModes { group } => {
                    let c = p.compare_modes(CompareModesRequest { group }).await?;
                    emit(json, &c, print::mode_comparison)
                }
            }
        }
        Command::Report {
            id,
            format,
            out,
            force,
        } => {
            let format = match format {
                ReportFormatArg::Html => ReportFormat::Html,
                ReportFormatArg::Pdf => ReportFormat::Pdf,
            };
            let f = app
                .reports()
                .save(
                    &id,
                    format,
                    std::path::Path::new(&out),
                    Overwrite::when(force),
                )
                .await?;
            emit(json, &f, |f| {
                format!("Report written: {} ({} bytes)\n", f.path, f.bytes)
            })
        }
        Command::Export { path, force } => {
            let bar = print::progress_bar(json, &path);
            let id = format!("cli-{}", std::process::id());
            let data = app.data();
            let run = data.export(
                ExportRequest {
                    path,
                    format: None,
                    request_id: id.clone(),
                    overwrite: Some(force),
                },
                {
                    let bar = bar.clone();
                    move |p| print::export_progress(&bar, &p)
                },
            );
            tokio::pin!(run);
            let summary = tokio::select! {
                r = &mut run => r,
                _ = tokio::signal::ctrl_c() => {
                    app.data().cancel_export(&id);
                    run.await
                }
            };
            bar.finish_and_clear();
            emit(json, &summary?, print::exported)
        }
        Command::Import { path, dry_run } => {
            let s = app.data().import(ImportRequest { path, dry_run }).await?;
            emit(json, &s, print::imported_data)
        }
        Command::Account(cmd) => account(&app, json, cmd).await,
        Command::Providers(cmd) => providers(&app, json, cmd).await,
        Command::Sync(args) => sync(&app, json, args).await,
        Command::Team(cmd) => team(&app, json, cmd).await,
        Command::Backup { file, force } => {
            let b = app
                .data()
                .backup(BackupRequest {
                    file,
                    overwrite: Some(force),
                })
                .await?;
            emit(json, &b, print::backup_taken)
        }
        Command::Backups { automatic, keep } => {
            let list = if automatic.is_some() || keep.is_some() {
                let on = automatic.map(|a| matches!(a, OnOff::On));
                app.data().change_backup_settings(on, keep).await?
            } else {
                app.data().backups().await?
            };
            emit(json, &list, print::backups)
        }
        Command::Restore { file, undo } => {
            let out = match (undo, file) {
                (true, _) => app.data().undo_restore().await?,
                (false, Some(f)) => app.data().restore(&f).await?,
                (false, None) => {
                    return Err(Error::EmptyInput("Name the backup file to restore.".into()).into())
                }
            };
            emit(json, &out, print::restored)
        }
        Command::DeleteAllData { confirm } => {
            let out = app.data().delete_everything(&confirm).await?;
            emit(json, &out, print::deleted)
        }
        Command::Jobs => {
            let jobs = app.diagnostics().jobs().await?;
            emit(json, &jobs, |j| print::jobs(j))
        }
        Command::Doctor => {
            let report = app.diagnostics().doctor().await?;
            emit(json, &report, print::doctor)?;
            if report.damaged {
                // The report is printed; the exit code says something is wrong.
                if !json {
                    term::err(
                        "compilar-cli: the database is damaged. Run `compilar-cli recover` to see the backups, then \
                         `compilar-cli recover --restore-backup` or `compilar-cli recover --start-fresh`.\n",
                    );
                }
                return Err(Failure::Reported { caller: false });
            }
            Ok(())
        }
        Command::Recover(_) => Ok(()),
    }
}

async fn goals(app: &App, json: bool, cmd: GoalsCmd) -> Outcome {
    let g = app.goals();
    let close = |id: String, status: GoalStatus, reason: Option<String>| CloseGoalRequest {
        goal_id: id,
        status,
        reason,
    };
    let goal = match cmd {
        GoalsCmd::List { status } => {
            let status = status.map(|s| match s {
                GoalStatusArg::Active => GoalStatus::Active,
                GoalStatusArg::Done => GoalStatus::Done,
                GoalStatusArg::Dropped => GoalStatus::Dropped,
            });
            let list = g
                .list(GoalListRequest {
                    status,
                    pillar: None,
                })
                .await?;
            return emit(json, &list, |l| print::goals(l));
        }
        GoalsCmd::Show { id } => g.get(&id).await?,
        GoalsCmd::Add {
            assessment,
            force,
            title,
            practice,
            review,
        } => {
            g.add(NewGoalRequest {
                assessment_id: assessment,
                force,
                title,
                practice,
                practice_source: None,
                practice_ref: None,
                review_on: review,
            })
            .await?
        }
        GoalsCmd::Edit {
            id,
            title,
            practice,
            review,
        } => {
            g.edit(EditGoalRequest {
                goal_id: id,
                title,
                practice,
                review_on: review,
            })
            .await?
        }
        GoalsCmd::Checkin { id, rating, note } => {
            g.check_in(CheckInRequest {
                goal_id: id,
                rating,
                note,
            })
            .await?
        }
        GoalsCmd::Done { id, reason } => g.close(close(id, GoalStatus::Done, reason)).await?,
        GoalsCmd::Drop { id, reason } => {
            g.close(close(id, GoalStatus::Dropped, Some(reason)))
                .await?
        }
        GoalsCmd::Reopen { id } => g.reopen(&id).await?,
        GoalsCmd::Delete { id } => {
            let r = g.delete(&id).await?;
            return emit(json, &r, |r| {
                format!(
                    "Goal {} moved to the bin (goals restore {} undoes it).\n",
                    r.id, r.id
                )
            });
        }
        GoalsCmd::Restore { id } => g.restore(&id).await?,
    };
    emit(json, &goal, print::goal)
}

async fn assessment(app: &App, json: bool, cmd: AssessmentCmd) -> Outcome {
    let a = app.assessments();
    match cmd {
        AssessmentCmd::Create {
            pillar,
            mode,
            include_fresh,
            group,
            note,
            round,
        } => {
            let x = a
                .create(CreateAssessmentRequest {
                    pillar,
                    mode,
                    include_fresh: Some(include_fresh),
                    group_label: group,
                    note,
                    round_id: round,
                })
                .await?;
            emit(json, &x, print::assessment)
        }
        AssessmentCmd::About { id, group, note } => {
            // Only what is given changes; an empty value clears it.
            let current = a.get(&id).await?;
            let x = a
                .set_about(AboutRequest {
                    assessment_id: id,
                    group_label: group.or(current.group_label),
                    note: note.or(current.note),
                })
                .await?;
            emit(json, &x, print::assessment)
        }
        AssessmentCmd::Groups => {
            let g = a.groups().await?;
            emit(json, &g, |g| {
                let mut s = String::new();
                for x in g.iter() {
                    s.push_str(&format!("{}  ({} assessments)\n", x.label, x.assessments));
                }
                if g.is_empty() {
                    s.push_str("No group names yet: `assessment create --group NAME` sets one.\n");
                }
                s
            })
        }
        AssessmentCmd::Answer {
            id,
            question,
            value,
        } => {
            let ack = a
                .answer(AnswerRequest {
                    assessment_id: id,
                    question_id: question,
                    value,
                })
                .await?;
            emit(json, &ack, |k| {
                format!("Answered {} with {}.\n", k.question_id, k.value)
            })
        }
        AssessmentCmd::Complete { id } => {
            let x = a.complete(&id).await?;
            emit(json, &x, print::assessment)
        }
        AssessmentCmd::Show { id } => {
            let x = a.get(&id).await?;
            emit(json, &x, print::assessment)
        }
        AssessmentCmd::List {
            pillar,
            mode,
            group,
            limit,
            offset,
        } => {
            let page = a
                .list(ListRequest {
                    pillar,
                    mode,
                    group,
                    limit,
                    offset,
                })
                .await?;
            emit(json, &page, print::page)
        }
        AssessmentCmd::Delete { id } => {
            let r = a.delete(&id).await?;
            emit(json, &r, |r| {
                format!(
                    "Moved {} to the bin. `compilar-cli assessment restore {}` brings it back.\n",
                    r.id, r.id
                )
            })
        }
        AssessmentCmd::Restore { id } => {
            let x = a.restore(&id).await?;
            emit(json, &x, print::assessment)
        }
    }
}

async fn coach(app: &App, json: bool, cmd: CoachCmd) -> Outcome {
    let c = app.coach();
    match cmd {
        CoachCmd::Report {
            id,
            offline,
            exclude,
        } => {
            let req = ReportRequest {
                assessment_id: id.clone(),
                offline: Some(offline),
                exclude: Some(exclude),
            };
            let (state, last) = streamed(
                json,
                move |sink| Box::pin(async move { app.coach().report(req, sink).await }),
                || c.cancel_report(&id),
            )
            .await?;
            report_end(json, &state, last)
        }
        CoachCmd::Show { id } => {
            let state = c.state(&id).await?;
            emit(json, &state, print::report_state)
        }
        CoachCmd::Tips {
            stage,
            pillar,
            mode,
            id,
            model,
        } => {
            let g = c
                .guidance(GuidanceRequest {
                    stage: match stage {
                        StageArg::Choosing => GuidanceStage::Choosing,
                        StageArg::BeforeQuiz => GuidanceStage::BeforeQuiz,
                        StageArg::Result => GuidanceStage::Result,
                    },
                    pillar,
                    mode,
                    assessment_id: id,
                    use_model: Some(model),
                })
                .await?;
            emit(json, &g, |g| {
                let mut s = String::new();
                if let Some(n) = &g.notice {
                    s.push_str(n);
                    s.push('\n');
                }
                for t in &g.tips {
                    s.push_str("\u{2022} ");
                    s.push_str(t);
                    s.push('\n');
                }
                s
            })
        }
        CoachCmd::Export { id } => {
            let md = c.export_markdown(&id).await?;
            emit(json, &serde_json::json!({ "markdown": md }), |_| md.clone())
        }
    }
}

/// Runs a streamed coach answer (report or chat), stopping it on Ctrl+C; returns its reply and its last event.
type Sink = Box<dyn Fn(StreamEvent) + Send + Sync + 'static>;
type Running<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = compilar_core::Result<T>> + 'a>>;

async fn streamed<'a, T, F>(
    json: bool,
    run: F,
    stop: impl FnOnce() -> bool,
) -> Result<(T, Option<StreamEvent>), Failure>
where
    F: FnOnce(Sink) -> Running<'a, T>,
{
    let last = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = last.clone();
    let sink = move |e: StreamEvent| {
        if !json {
            print::report_event(&e);
        }
        if matches!(e, StreamEvent::Done { .. } | StreamEvent::Error { .. }) {
            *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        }
    };
    let fut = run(Box::new(sink));
    tokio::pin!(fut);
    let reply = tokio::select! {
        r = &mut fut => r?,
        // Stopped: what was written is stored, marked stopped.
        _ = tokio::signal::ctrl_c() => {
            stop();
            fut.await?
        }
    };
    let last = last.lock().unwrap_or_else(|p| p.into_inner()).take();
    Ok((reply, last))
}

/// A stream that ended in an error is reported (after the reply was printed) and fails the command.
/// After a coaching report (one's own or a team's) was streamed: its state as JSON, or its footer, then how
/// the stream ended.
fn report_end(
    json: bool,
    state: &compilar_core::api::ReportState,
    last: Option<StreamEvent>,
) -> Outcome {
    if json {
        emit(true, state, |_| String::new())?;
    } else if let Some(r) = &state.report {
        term::out(&print::report_footer(r));
    }
    stream_end(json, last)
}

fn stream_end(json: bool, last: Option<StreamEvent>) -> Outcome {
    match last {
        Some(StreamEvent::Error { error, .. }) => {
            if json {
                term::err_raw(&format!("{}\n", serde_json::json!({ "error": error })));
            } else {
                term::err(&format!(
                    "compilar-cli: {} ({})\n",
                    error.message, error.code
                ));
            }
            Err(Failure::Reported { caller: false })
        }
        _ => Ok(()),
    }
}

async fn chat(app: &App, json: bool, cmd: ChatCmd) -> Outcome {
    let c = app.chat();
    match cmd {
        ChatCmd::New { title, about } => {
            let conv = c
                .create(NewConversationRequest {
                    title,
                    context: Some(about),
                })
                .await?;
            emit(json, &conv, print::conversation)
        }
        ChatCmd::Send {
            id,
            text,
            offline,
            exclude,
        } => {
            let req = SendRequest {
                conversation_id: id.clone(),
                text,
                exclude: Some(exclude),
                offline: Some(offline),
            };
            let (reply, last) = streamed(
                json,
                move |sink| Box::pin(async move { app.chat().send(req, sink).await }),
                || c.cancel(&id),
            )
            .await?;
            if json {
                emit(true, &reply, |_| String::new())?;
            } else if let Some(a) = &reply.answer {
                term::out(&print::answer_footer(a));
            }
            stream_end(json, last)
        }
        ChatCmd::List { limit, offset } => {
            let page = c.list(ConversationListRequest { limit, offset }).await?;
            emit(json, &page, print::conversations)
        }
        ChatCmd::Show { id } => {
            let v = c.open(&id).await?;
            emit(json, &v, print::conversation_view)
        }
        ChatCmd::Export { id, format } => {
            let f = match format {
                ExportArg::Markdown => ExportFormat::Markdown,
                ExportArg::Json => ExportFormat::Json,
            };
            let out = c.export(&id, f).await?;
            match f {
                // Already one JSON document.
                ExportFormat::Json => emit_content(false, "json", &out),
                ExportFormat::Markdown => emit_content(json, "markdown", &out),
            }
        }
        ChatCmd::Search { query } => {
            let r = c
                .search(MessageSearchRequest { query, limit: None })
                .await?;
            emit(json, &r, print::message_hits)
        }
        ChatCmd::Sync { id, state } => {
            let conv = c
                .set_synced(SyncConversationRequest {
                    conversation_id: id,
                    synced: matches!(state, OnOff::On),
                })
                .await?;
            emit(json, &conv, print::conversation)
        }
        ChatCmd::Rename { id, title } => {
            let conv = c
                .rename(RenameRequest {
                    conversation_id: id,
                    title,
                })
                .await?;
            emit(json, &conv, print::conversation)
        }
        ChatCmd::Delete { id } => {
            let r = c.delete(&id).await?;
            emit(json, &r, |r| {
                format!(
                    "Moved the conversation to the bin. `compilar-cli chat restore {}` brings it back.\n",
                    r.id
                )
            })
        }
        ChatCmd::Restore { id } => {
            let conv = c.restore(&id).await?;
            emit(json, &conv, print::conversation)
        }
    }
}

async fn questions(app: &App, json: bool, cmd: QuestionsCmd) -> Outcome {
    let q = app.questions();
    match cmd {
        QuestionsCmd::Generate {
            pillar,
            mode,
            count,
            difficulty,
            exclude,
        } => {
            let id = format!("cli-{}", std::process::id());
            let req = GenerateRequest {
                pillar,
                mode,
                count,
                difficulty,
                request_id: id.clone(),
                exclude: Some(exclude),
            };
            let run = q.generate(req);
            tokio::pin!(run);
            let reply = tokio::select! {
                r = &mut run => r?,
                _ = tokio::signal::ctrl_c() => {
                    q.cancel(&id);
                    run.await?
                }
            };
            emit(json, &reply, print::generated)
        }
        QuestionsCmd::List { pillar, mode } => {
            let list = q.list(GeneratedListRequest { pillar, mode }).await?;
            emit(json, &list, |l| print::generated_list(l))
        }
        QuestionsCmd::Remove { id } => {
            q.remove(&id).await?;
            emit(json, &serde_json::json!({ "removed": id }), |_| {
                format!("Removed fresh question {id}.\n")
            })
        }
    }
}

/// A text file for `analyze`: read up to a little over what the analysis accepts (the core says if it is
/// too long), as UTF-8.
fn read_text(path: &std::path::Path) -> Result<String, Failure> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::DocumentUnreadable {
        reason: format!("{}: {e}", path.display()),
    })?;
    // 20,000 characters are at most 80,000 bytes of UTF-8.
    let limit = compilar_core::capabilities::analysis::MAX_CHARS;
    let mut bytes = Vec::new();
    file.take(4 * limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::DocumentUnreadable {
            reason: format!("{}: {e}", path.display()),
        })?;
    if bytes.len() > 4 * limit {
        return Err(Error::PayloadTooLarge {
            what: "text to analyse",
            max: limit,
            unit: "characters",
        }
        .into());
    }
    String::from_utf8(bytes).map_err(|_| {
        Error::DocumentUndecodable(format!("{} is not UTF-8 text", path.display())).into()
    })
}

/// The result of importing one file, as `documents import --json` lists them.
#[derive(Serialize)]
struct FileResult {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<compilar_core::api::DocumentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<compilar_core::ErrorPayload>,
}

async fn documents(app: &App, json: bool, cmd: DocumentsCmd) -> Outcome {
    let d = app.documents();
    match cmd {
        DocumentsCmd::Import { files } => {
            let mut results = Vec::new();
            let (mut failed, mut caller) = (false, true);
            for (i, file) in files.iter().enumerate() {
                let path = file.display().to_string();
                let bar = print::progress_bar(json, &path);
                let out = d
                    .import(
                        ImportDocumentRequest {
                            path: path.clone(),
                            import_id: format!("cli-{}-{i}", std::process::id()),
                        },
                        |p| print::import_progress(&bar, &p),
                    )
                    .await;
                bar.finish_and_clear();
                match out {
                    Ok(doc) => {
                        if !json {
                            term::out(&print::imported(&path, &doc));
                        }
                        results.push(FileResult {
                            path,
                            document: Some(doc),
                            error: None,
                        });
                    }
                    Err(e) => {
                        failed = true;
                        caller &= e.is_caller_error();
                        if !json {
                            term::err(&format!("compilar-cli: {path}: {e} ({})\n", e.code()));
                        }
                        results.push(FileResult {
                            path,
                            document: None,
                            error: Some(e.payload()),
                        });
                    }
                }
            }
            if json {
                emit(true, &results, |_| String::new())?;
            }
            if failed {
                Err(Failure::Reported { caller })
            } else {
                Ok(())
            }
        }
        DocumentsCmd::List => {
            let docs = d.list().await?;
            emit(json, &docs, |x| print::documents(x))
        }
        DocumentsCmd::Delete { id } => {
            d.delete(&id).await?;
            emit(json, &serde_json::json!({ "deleted": id }), |_| {
                format!("Deleted document {id}.\n")
            })
        }
    }
}
