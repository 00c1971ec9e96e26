//! What every command shares: printing a reply for people or as one JSON document (`--json`), a file's
//! content, secrets read without echo, a yes/no question, a streamed answer stopped on Ctrl+C, and how a
//! stream ended.

use crate::*;

/// Where replies go: for people, or as exactly one JSON document on stdout (`--json`). Every command prints
/// through it, so no command decides by itself how `--json` looks.
#[derive(Clone, Copy)]
pub(crate) struct Out {
    pub(crate) json: bool,
}

impl Out {
    /// The reply: as JSON, or for people with `human`.
    pub(crate) fn emit<T: Serialize>(self, value: &T, human: impl FnOnce(&T) -> String) -> Outcome {
        emit(self.json, value, human)
    }

    /// A reply printed only under `--json` (for people it was shown as it happened).
    pub(crate) fn json_only<T: Serialize>(self, value: &T) -> Outcome {
        emit(true, value, |_| String::new())
    }

    /// A file's content; under `--json`, `{"format": …, "content": …}`.
    pub(crate) fn content(self, format: &str, content: &str) -> Outcome {
        emit_content(self.json, format, content)
    }

    /// Content that already is one JSON document: printed as it is either way.
    pub(crate) fn raw_content(self, format: &str, content: &str) -> Outcome {
        emit_content(false, format, content)
    }

    /// A streamed coach answer, shown token by token for people, stopped on Ctrl+C.
    pub(crate) async fn streamed<'a, T, F>(
        self,
        run: F,
        stop: impl FnOnce() -> bool,
    ) -> Result<(T, Option<StreamEvent>), Failure>
    where
        F: FnOnce(Sink) -> Running<'a, T>,
    {
        streamed(self.json, run, stop).await
    }

    /// After a coaching report streamed: its state (JSON) or footer, then how the stream ended.
    pub(crate) fn report_end(
        self,
        state: &compilar_core::api::ReportState,
        last: Option<StreamEvent>,
    ) -> Outcome {
        report_end(self.json, state, last)
    }

    /// How a stream ended: an error is reported and fails the command.
    pub(crate) fn stream_end(self, last: Option<StreamEvent>) -> Outcome {
        stream_end(self.json, last)
    }
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
pub(crate) fn read_password() -> Result<String, Error> {
    read_secret("Password: ", "the password")
}

/// A secret (`what`): from the terminal without echo after `prompt`, else one line of standard input. Never an
/// argument, so it stays out of the shell's history and the process list.
pub(crate) fn read_secret(prompt: &str, what: &str) -> Result<String, Error> {
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

/// Asks a yes/no question on the terminal (`false` when standard input is not one).
pub(crate) fn confirm(question: &str) -> bool {
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

/// Runs a streamed coach answer (report or chat), stopping it on Ctrl+C; returns its reply and its last event.
pub(crate) type Sink = Box<dyn Fn(StreamEvent) + Send + Sync + 'static>;
pub(crate) type Running<'a, T> =
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

/// A text file for `analyze`: read up to a little over what the analysis accepts (the core says if it is
/// too long), as UTF-8.
pub(crate) fn read_text(path: &std::path::Path) -> Result<String, Failure> {
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
