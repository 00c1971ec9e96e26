//! The command line as clap reads it: every command, its arguments and their help (the help and the
//! errors people see come from these definitions).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "compilar-cli",
    version,
    about = "Compilar from the command line: assessments, knowledge search, documents and health checks on the \
             same data as the app.",
    after_help = "Exit codes: 0 success, 2 a caller error (bad input, unknown id, wrong stage), 1 other failures."
)]
pub(crate) struct Cli {
    /// The data folder (default: $COMPILAR_DATA_DIR, else the app's own data folder).
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Print exactly one JSON document on stdout (errors as JSON on stderr); no progress bars.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
    /// Shell completions for bash, zsh, fish, elvish or PowerShell, generated from these definitions: for
    /// example `compilar-cli completions bash > ~/.local/share/bash-completion/completions/compilar-cli`.
    Completions { shell: clap_complete::Shell },
    /// The manual page (roff), generated from these definitions: for example
    /// `compilar-cli man > ~/.local/share/man/man1/compilar-cli.1`.
    Man,
}

#[derive(Subcommand)]
pub(crate) enum AccountCmd {
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
pub(crate) struct SyncArgs {
    /// Push what changed here and pull what changed elsewhere, now (with progress).
    #[arg(long)]
    pub(crate) now: bool,
    #[command(subcommand)]
    pub(crate) cmd: Option<SyncCmd>,
}

#[derive(Subcommand)]
pub(crate) enum SyncCmd {
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
pub(crate) enum TeamCmd {
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
        #[arg(value_parser = clap::builder::TypedValueParser::try_map(
            clap::builder::PossibleValuesParser::new(["facilitator", "member"]),
            |s| s.parse::<compilar_core::api::TeamRole>(),
        ))]
        role: compilar_core::api::TeamRole,
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
pub(crate) enum RoundCmd {
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
pub(crate) enum ProvidersCmd {
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
pub(crate) struct RecoverArgs {
    /// Set the damaged database aside and restore the newest backup that passes SQLite's check.
    #[arg(long, conflicts_with = "start_fresh")]
    pub(crate) restore_backup: bool,
    /// Set the damaged database aside and start with an empty one.
    #[arg(long)]
    pub(crate) start_fresh: bool,
    /// Also when the database passes SQLite's check: it is kept as a backup that `restore --undo` brings back.
    /// Only with `--restore-backup` or `--start-fresh`.
    #[arg(long, requires = "action")]
    pub(crate) force: bool,
}

#[derive(Subcommand)]
pub(crate) enum ProfileCmd {
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
pub(crate) enum GoalsCmd {
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
pub(crate) enum ReportFormatArg {
    Html,
    Pdf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum GoalStatusArg {
    Active,
    Done,
    Dropped,
}

#[derive(Subcommand)]
pub(crate) enum AssessmentCmd {
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
pub(crate) enum CoachCmd {
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
pub(crate) enum StageArg {
    Choosing,
    BeforeQuiz,
    Result,
}

#[derive(Subcommand)]
pub(crate) enum ChatCmd {
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
pub(crate) enum QuestionsCmd {
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
pub(crate) enum ExportArg {
    Markdown,
    Json,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["file", "text", "document"])))]
pub(crate) struct AnalyzeArgs {
    /// A text file (at most 20,000 characters).
    #[arg(long)]
    pub(crate) file: Option<PathBuf>,
    /// The text itself.
    #[arg(long)]
    pub(crate) text: Option<String>,
    /// One of your documents (by id; its first 20,000 characters).
    #[arg(long)]
    pub(crate) document: Option<String>,
    /// `egalitarian` or `hierarchical` (default: both).
    #[arg(long)]
    pub(crate) mode: Option<String>,
    /// The estimate from the search model, without a model.
    #[arg(long)]
    pub(crate) offline: bool,
}

#[derive(Args)]
pub(crate) struct SearchArgs {
    pub(crate) query: String,
    /// `egalitarian` or `hierarchical`.
    #[arg(long)]
    pub(crate) mode: Option<String>,
    #[arg(long)]
    pub(crate) pillar: Option<String>,
    /// How many results (default 10, at most 50).
    #[arg(long)]
    pub(crate) count: Option<u32>,
}

#[derive(Subcommand)]
pub(crate) enum DocumentsCmd {
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
