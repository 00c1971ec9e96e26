//! `documents`: import, list and delete your own documents.

use crate::*;

/// The result of importing one file, as `documents import --json` lists them.
#[derive(Serialize)]
pub(crate) struct FileResult {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<compilar_core::api::DocumentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<compilar_core::ErrorPayload>,
}

pub(crate) async fn documents(app: &App, out: Out, cmd: DocumentsCmd) -> Outcome {
    let d = app.documents();
    match cmd {
        DocumentsCmd::Import { files } => {
            let mut results = Vec::new();
            let (mut failed, mut caller) = (false, true);
            for (i, file) in files.iter().enumerate() {
                let path = file.display().to_string();
                let bar = print::progress_bar(out.json, &path);
                let done = d
                    .import(
                        ImportDocumentRequest {
                            path: path.clone(),
                            import_id: format!("cli-{}-{i}", std::process::id()),
                        },
                        |p| print::import_progress(&bar, &p),
                    )
                    .await;
                bar.finish_and_clear();
                match done {
                    Ok(doc) => {
                        if !out.json {
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
                        if !out.json {
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
            if out.json {
                out.json_only(&results)?;
            }
            if failed {
                Err(Failure::Reported { caller })
            } else {
                Ok(())
            }
        }
        DocumentsCmd::List => {
            let docs = d.list().await?;
            out.emit(&docs, |x| print::documents(x))
        }
        DocumentsCmd::Delete { id } => {
            d.delete(&id).await?;
            out.emit(&serde_json::json!({ "deleted": id }), |_| {
                format!("Deleted document {id}.\n")
            })
        }
    }
}
