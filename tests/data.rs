//! Your data: backups taken while the app writes, restore (checked first, undoable), refused backups that
//! change nothing, automatic-backup settings, "delete all my data", and no secret in any copy.

use crate::common;

use std::path::Path;

use compilar_core::api::{BackupRequest, BackupSettings, ListRequest};
use compilar_core::{App, AppOptions};

async fn reopen(dir: &Path) -> App {
    App::open_with(AppOptions::for_tests(dir)).await.unwrap()
}

async fn count(app: &App) -> u32 {
    app.assessments()
        .list(ListRequest::default())
        .await
        .unwrap()
        .total
}

fn assessments_in(file: &str) -> i64 {
    let c = rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    assert_eq!(
        c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
            .unwrap(),
        "ok"
    );
    c.query_row("SELECT count(*) FROM assessments", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn a_backup_taken_while_answers_are_written_is_consistent() {
    let t = common::open().await;
    let app = t.app.clone();
    for _ in 0..3 {
        common::completed(&app, "grpprosp", "egalitarian", &[]).await;
    }
    // Answers keep arriving while the backup runs.
    let writer = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut n = 0;
            for _ in 0..40 {
                let a = common::create(&app, "indrecip", "egalitarian").await;
                for q in &a.questions {
                    app.assessments()
                        .answer(compilar_core::api::AnswerRequest {
                            assessment_id: a.id.clone(),
                            question_id: q.id.clone(),
                            value: 4,
                        })
                        .await
                        .unwrap();
                }
                n += 1;
            }
            n
        })
    };
    let mut taken = Vec::new();
    for _ in 0..3 {
        taken.push(app.data().backup(BackupRequest::default()).await.unwrap());
    }
    let written = writer.await.unwrap();
    for b in &taken {
        assert_eq!(b.kind, "manual");
        let n = assessments_in(&b.path);
        assert!((3..=3 + written).contains(&n), "{n}");
        // Every assessment in the copy is whole: its answered count matches its answers.
        let c = rusqlite::Connection::open(&b.path).unwrap();
        let torn: i64 = c
            .query_row(
                "SELECT count(*) FROM assessments WHERE answered <> (SELECT count(*) FROM json_each(json(responses)))",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(torn, 0);
    }
    let listed = app.data().backups().await.unwrap().backups;
    assert_eq!(listed.iter().filter(|b| b.kind == "manual").count(), 3);
}

#[tokio::test]
async fn restore_brings_a_backup_back_and_undo_brings_the_current_data_back() {
    let t = common::open().await;
    let app = t.app.clone();
    common::completed(&app, "grpprosp", "egalitarian", &[]).await;
    let file = t.out.path().join("chosen.db");
    let b = app
        .data()
        .backup(BackupRequest {
            file: Some(file.display().to_string()),
            overwrite: None,
        })
        .await
        .unwrap();
    assert_eq!(b.path, file.display().to_string());
    common::completed(&app, "ownprosp", "hierarchical", &[]).await;
    common::create(&app, "indrecip", "egalitarian").await;
    assert_eq!(count(&app).await, 3);

    let out = app.data().restore(&b.path).await.unwrap();
    assert_eq!(out.restored_from, b.path);
    let newest = compilar_core::store::migrations::MIGRATIONS
        .last()
        .unwrap()
        .version;
    assert_eq!(out.schema_version, newest);
    let aside = out.set_aside.unwrap();
    assert_eq!(aside.kind, "before_restore");
    // The open core already reads the restored data; a reopened one too.
    assert_eq!(count(&app).await, 1);
    drop(app);
    let app = reopen(t.dir.path()).await;
    assert_eq!(count(&app).await, 1);
    assert!(app.data().backups().await.unwrap().can_undo);
    // New work after the restore, then undo: the data as it was before the restore.
    let undone = app.data().undo_restore().await.unwrap();
    assert_eq!(undone.restored_from, aside.path);
    let app = reopen(t.dir.path()).await;
    assert_eq!(count(&app).await, 3);
    assert!(!app.data().backups().await.unwrap().can_undo);
    assert_eq!(
        app.data().undo_restore().await.unwrap_err().code(),
        "nothing_to_undo"
    );
}

#[tokio::test]
async fn a_damaged_foreign_or_newer_backup_is_refused_and_nothing_changes() {
    let t = common::open().await;
    let app = t.app.clone();
    common::completed(&app, "grpprosp", "egalitarian", &[]).await;
    let good = app.data().backup(BackupRequest::default()).await.unwrap();
    let dir = t.dir.path();

    // Damaged: pages overwritten in the middle.
    let damaged = dir.join("damaged.db");
    let mut bytes = std::fs::read(&good.path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 8192].fill(0xA5);
    std::fs::write(&damaged, &bytes).unwrap();
    // Not a database at all; a database that is not Compilar's; one written by a newer release.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, b"this is not a database").unwrap();
    let foreign = dir.join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let newer = dir.join("newer.db");
    std::fs::copy(&good.path, &newer).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, 'future', 'x', 'now')",
            [],
        )
        .unwrap();
    let missing = dir.join("missing.db");

    common::create(&app, "indrecip", "egalitarian").await;
    for (file, words) in [
        (&damaged, "damaged"),
        (&junk, "damaged"),
        (&foreign, "not a Compilar database"),
        (&newer, "newer release"),
        (&missing, "does not exist"),
    ] {
        let e = app
            .data()
            .restore(&file.display().to_string())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "backup_unusable", "{}: {e}", file.display());
        assert!(e.to_string().contains(words), "{e}");
        assert!(
            e.to_string().contains("Your current data was not changed"),
            "{e}"
        );
    }
    assert_eq!(count(&app).await, 2);
    // Nothing was set aside either: no restore happened.
    assert!(!app.data().backups().await.unwrap().can_undo);
    let db = app.paths().database.display().to_string();
    assert_eq!(
        app.data().restore(&db).await.unwrap_err().code(),
        "backup_unusable"
    );
}

#[tokio::test]
async fn automatic_backups_keep_the_newest_n_and_can_be_turned_off() {
    let t = common::open().await;
    let app = t.app.clone();
    let s = app.data().backups().await.unwrap().settings;
    assert_eq!(
        s,
        BackupSettings {
            automatic: true,
            keep: 5
        }
    );
    for bad in [0, 61] {
        let e = app
            .data()
            .set_backup_settings(BackupSettings {
                automatic: true,
                keep: bad,
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), "out_of_range");
    }
    // Seven automatic copies on disk (as seven days would leave), one by hand.
    let dir = &app.paths().backup_dir;
    std::fs::create_dir_all(dir).unwrap();
    common::completed(&app, "grpprosp", "egalitarian", &[]).await;
    let manual = app.data().backup(BackupRequest::default()).await.unwrap();
    for day in 1..=7 {
        std::fs::copy(
            &manual.path,
            dir.join(format!("compilar-auto-2026010{day}T000000Z.db")),
        )
        .unwrap();
        let f = std::fs::File::options()
            .write(true)
            .open(dir.join(format!("compilar-auto-2026010{day}T000000Z.db")))
            .unwrap();
        f.set_modified(
            std::time::SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(1_767_225_600 + day * 86_400),
        )
        .unwrap();
    }
    let after = app
        .data()
        .set_backup_settings(BackupSettings {
            automatic: false,
            keep: 2,
        })
        .await
        .unwrap();
    let autos: Vec<_> = after.backups.iter().filter(|b| b.kind == "auto").collect();
    assert_eq!(autos.len(), 2);
    assert!(autos[0].path.ends_with("compilar-auto-20260107T000000Z.db"));
    assert!(
        after.backups.iter().any(|b| b.path == manual.path),
        "a copy taken by hand is never pruned"
    );
    // Off: no automatic copy at start-up, although the newest is old.
    drop(app);
    let app = reopen(t.dir.path()).await;
    assert_eq!(
        app.data()
            .backups()
            .await
            .unwrap()
            .backups
            .iter()
            .filter(|b| b.kind == "auto")
            .count(),
        2
    );
    // On again: the newest is days old, so the next start takes one.
    app.data()
        .set_backup_settings(BackupSettings {
            automatic: true,
            keep: 2,
        })
        .await
        .unwrap();
    drop(app);
    let app = reopen(t.dir.path()).await;
    let autos: Vec<_> = app
        .data()
        .backups()
        .await
        .unwrap()
        .backups
        .into_iter()
        .filter(|b| b.kind == "auto")
        .collect();
    assert_eq!(autos.len(), 2);
    assert!(!autos[0].path.ends_with("compilar-auto-20260107T000000Z.db"));
}

#[tokio::test]
async fn deleting_everything_needs_the_words_and_leaves_nothing_behind() {
    let t = common::open().await;
    let app = t.app.clone();
    let a = common::completed(&app, "grpprosp", "egalitarian", &[]).await;
    app.goals()
        .add(compilar_core::api::NewGoalRequest {
            assessment_id: a.id.clone(),
            force: "goal_clarity".into(),
            title: "A goal with a distinctive phrase xylophone".into(),
            practice: None,
            practice_source: None,
            practice_ref: None,
            review_on: None,
        })
        .await
        .unwrap();
    app.full_profiles()
        .start(compilar_core::api::StartProfileRequest {
            mode: "egalitarian".into(),
            group_label: Some("Distinctive group".into()),
            note: None,
            round_id: None,
        })
        .await
        .unwrap();
    app.data().backup(BackupRequest::default()).await.unwrap();
    for wrong in ["", "delete", "DELETE MY DATA please"] {
        let e = app.data().delete_everything(wrong).await.unwrap_err();
        assert_eq!(e.code(), "confirmation_mismatch");
    }
    // The profile's first pillar is an assessment too.
    assert_eq!(count(&app).await, 2);

    let out = app
        .data()
        .delete_everything("delete my data")
        .await
        .unwrap();
    assert_eq!((out.assessments, out.goals), (2, 1));
    assert_eq!(out.backups_removed, 1);
    assert_eq!(count(&app).await, 0);
    drop(app);
    let app = reopen(t.dir.path()).await;
    assert_eq!(count(&app).await, 0);
    assert!(app.full_profiles().list().await.unwrap().is_empty());
    assert!(app.data().backups().await.unwrap().backups.is_empty());
    // The words are gone from the file itself, not only from the tables.
    let mut all = std::fs::read(&app.paths().database).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", app.paths().database.display())) {
        all.extend(wal);
    }
    assert!(!all.windows(9).any(|w| w == b"xylophone"));
}

#[tokio::test]
async fn no_secret_reaches_a_backup() {
    let t = common::open().await;
    let app = t.app.clone();
    common::configure(&app, &[("openai", "http://127.0.0.1:9".into())]).await;
    common::completed(&app, "grpprosp", "egalitarian", &[]).await;
    let b = app.data().backup(BackupRequest::default()).await.unwrap();
    let bytes = std::fs::read(&b.path).unwrap();
    common::assert_no_keys(&bytes, "the backup");
}
