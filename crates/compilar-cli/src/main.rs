//! `compilar-cli`: Compilar's command-line shell. The same core and data folder as the window; each command
//! parses its arguments, makes one core call and prints the reply (for people by default, as one JSON
//! document with `--json`).
//!
//! Exit codes: 0 success; 2 a caller error (bad input, an unknown id, the wrong stage; also bad arguments);
//! 1 any other failure. With `--json` an error is printed on stderr as `{"error": {code, message, retryable}}`.

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod args;
mod commands;
mod out;
mod print;
mod term;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
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

use args::*;
use out::*;

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
    // Completions and the manual page touch no data folder, not even its log.
    let logs = !matches!(cli.command, Command::Completions { .. } | Command::Man);
    let _log = compilar_core::Paths::resolve(cli.data_dir.as_deref())
        .ok()
        .filter(|_| logs)
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
    match rt.block_on(commands::run(cli)) {
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
