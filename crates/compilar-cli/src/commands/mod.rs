//! One file per command area; `run` sends a parsed command line to its area (the commands that need no
//! area of their own are answered here).

mod account;
mod assessment;
mod chat;
mod coach;
mod documents;
mod goals;
mod providers;
mod questions;
mod sync;
mod team;

use crate::*;
use account::account;
use assessment::assessment;
use chat::chat;
use coach::coach;
use documents::documents;
use goals::goals;
use providers::providers;
use questions::questions;
use sync::sync;
use team::team;

pub(crate) async fn open(data_dir: Option<PathBuf>) -> Result<App, Error> {
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

pub(crate) async fn run(cli: Cli) -> Outcome {
    let out = Out { json: cli.json };
    // Completions need no data folder at all.
    if let Command::Completions { shell } = &cli.command {
        use clap::CommandFactory;
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut Cli::command(), "compilar-cli", &mut script);
        return out.content(&shell.to_string(), &String::from_utf8_lossy(&script));
    }
    if let Command::Man = &cli.command {
        use clap::CommandFactory;
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .map_err(compilar_core::Error::Io)?;
        return out.content("roff", &String::from_utf8_lossy(&page));
    }
    // Recovery works on a folder whose database cannot be opened.
    if let Command::Recover(r) = &cli.command {
        let dir = cli.data_dir.as_deref();
        return if r.restore_backup {
            out.emit(
                &recovery::restore_latest_backup(dir, r.force)?,
                print::recovered,
            )
        } else if r.start_fresh {
            out.emit(&recovery::start_fresh(dir, r.force)?, print::recovered)
        } else {
            out.emit(&recovery::status(dir)?, print::recovery)
        };
    }
    let app = open(cli.data_dir).await?;
    match cli.command {
        Command::Framework => {
            let info = app.assessments().framework();
            out.emit(&info, print::framework)
        }
        Command::Assessment(cmd) => assessment(&app, out, cmd).await,
        Command::Coach(cmd) => coach(&app, out, cmd).await,
        Command::Chat(cmd) => chat(&app, out, cmd).await,
        Command::Questions(cmd) => questions(&app, out, cmd).await,
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
            out.emit(&reply, print::analysis)
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
            out.emit(&reply, print::search)
        }
        Command::Passage { id } => {
            let p = app.knowledge().passage(id).await?;
            out.emit(&p, print::passage)
        }
        Command::Appearance { theme, zoom } => {
            let a = app
                .settings()
                .change_appearance(theme.as_deref(), zoom.map(|z| z / 100.0))
                .await?;
            out.emit(&a, print::appearance)
        }
        Command::Documents(cmd) => documents(&app, out, cmd).await,
        Command::Progress { group, mode } => {
            let view = app
                .progress()
                .view(ProgressRequest {
                    group,
                    mode,
                    utc_offset_minutes: None,
                })
                .await?;
            out.emit(&view, print::progress)
        }
        Command::Compare { first, second } => {
            let c = app
                .progress()
                .compare(CompareRequest { first, second })
                .await?;
            out.emit(&c, print::comparison)
        }
        Command::Goals(cmd) => goals(&app, out, cmd).await,
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
                    out.emit(&a, print::assessment)
                }
                ProfileCmd::Show { id } => out.emit(&p.get(&id).await?, print::full_profile),
                ProfileCmd::List => {
                    let list = p.list().await?;
                    out.emit(&list, |l| l.iter().map(print::full_profile).collect())
                }
                ProfileCmd::Next { id } => out.emit(&p.next(&id).await?, print::assessment),
                ProfileCmd::CompareModes { group } => {
                    let c = p.compare_modes(CompareModesRequest { group }).await?;
                    out.emit(&c, print::mode_comparison)
                }
            }
        }
        Command::Report {
            id,
            format,
            out: file,
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
                    std::path::Path::new(&file),
                    Overwrite::when(force),
                )
                .await?;
            out.emit(&f, |f| {
                format!("Report written: {} ({} bytes)\n", f.path, f.bytes)
            })
        }
        Command::Export { path, force } => {
            let bar = print::progress_bar(out.json, &path);
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
            out.emit(&summary?, print::exported)
        }
        Command::Import { path, dry_run } => {
            let s = app.data().import(ImportRequest { path, dry_run }).await?;
            out.emit(&s, print::imported_data)
        }
        Command::Account(cmd) => account(&app, out, cmd).await,
        Command::Providers(cmd) => providers(&app, out, cmd).await,
        Command::Sync(args) => sync(&app, out, args).await,
        Command::Team(cmd) => team(&app, out, cmd).await,
        Command::Backup { file, force } => {
            let b = app
                .data()
                .backup(BackupRequest {
                    file,
                    overwrite: Some(force),
                })
                .await?;
            out.emit(&b, print::backup_taken)
        }
        Command::Backups { automatic, keep } => {
            let list = if automatic.is_some() || keep.is_some() {
                let on = automatic.map(|a| matches!(a, OnOff::On));
                app.data().change_backup_settings(on, keep).await?
            } else {
                app.data().backups().await?
            };
            out.emit(&list, print::backups)
        }
        Command::Restore { file, undo } => {
            let restored = match (undo, file) {
                (true, _) => app.data().undo_restore().await?,
                (false, Some(f)) => app.data().restore(&f).await?,
                (false, None) => {
                    return Err(Error::EmptyInput("Name the backup file to restore.".into()).into())
                }
            };
            out.emit(&restored, print::restored)
        }
        Command::DeleteAllData { confirm } => {
            let deleted = app.data().delete_everything(&confirm).await?;
            out.emit(&deleted, print::deleted)
        }
        Command::Jobs => {
            let jobs = app.diagnostics().jobs().await?;
            out.emit(&jobs, |j| print::jobs(j))
        }
        Command::Doctor => {
            let report = app.diagnostics().doctor().await?;
            out.emit(&report, print::doctor)?;
            if report.damaged {
                // The report is printed; the exit code says something is wrong.
                if !out.json {
                    term::err(
                        "compilar-cli: the database is damaged. Run `compilar-cli recover` to see the backups, then \
                         `compilar-cli recover --restore-backup` or `compilar-cli recover --start-fresh`.\n",
                    );
                }
                return Err(Failure::Reported { caller: false });
            }
            Ok(())
        }
        Command::Recover(_) | Command::Completions { .. } | Command::Man => Ok(()),
    }
}
