//! Storage failures say what happened and what to do: a full disk, a data folder that cannot be written,
//! and damaged databases of four kinds — each with its own code; for damage a recovery that keeps the
//! damaged file (restore the latest automatic backup, or start fresh). The disk-full and read-only cases
//! use a real tmpfs (mounting needs root, as in CI; elsewhere they are skipped, and in CI they must run).

use std::path::{Path, PathBuf};
use std::process::Command;

use compilar_core::api::{CreateAssessmentRequest, ListRequest};
use compilar_core::{recovery, App, AppOptions};

async fn open(dir: &Path) -> compilar_core::Result<App> {
    App::open_with(AppOptions::for_tests(dir)).await
}

async fn create(app: &App) -> compilar_core::Result<String> {
    app.assessments()
        .create(CreateAssessmentRequest {
            pillar: "grpprosp".into(),
            mode: "egalitarian".into(),
            include_fresh: None,
            group_label: None,
            note: None,
            round_id: None,
        })
        .await
        .map(|a| a.id)
}

async fn count(app: &App) -> usize {
    app.assessments()
        .list(ListRequest::default())
        .await
        .unwrap()
        .items
        .len()
}

/// A data folder holding one assessment, opened twice (the second start takes the first automatic backup).
async fn folder_with_data(dir: &Path) {
    let app = open(dir).await.unwrap();
    create(&app).await.unwrap();
    // The shipped passages too, so the file has many pages to damage.
    app.knowledge().prepare().await.unwrap();
    drop(app);
    let app = open(dir).await.unwrap();
    assert_eq!(count(&app).await, 1);
    drop(app);
    // What the window's start-up check costs on this file (printed; docs/data.md quotes it).
    let started = std::time::Instant::now();
    let status = recovery::status(Some(dir)).unwrap();
    let bytes = std::fs::metadata(dir.join("compilar.db")).unwrap().len();
    println!(
        "quick check of a {:.1} MB database: {:.1} ms",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64() * 1e3
    );
    assert!(status.damage.is_none());
    let backups = status.backups;
    assert!(
        backups.iter().any(|b| b.kind == "auto"),
        "no automatic backup: {backups:?}"
    );
}

fn damage(kind: &str, db: &Path) {
    // Everything into the file first: pages still in the write-ahead log would hide the damage (and a
    // checkpoint would write them back over it).
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(db).unwrap();
    match kind {
        // Not a database at all.
        "garbage" => {
            bytes = (0..65536u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect();
        }
        // The header destroyed.
        "header" => bytes[..100].fill(0),
        // Cut short (a copy or a sync that stopped half-way).
        "truncated" => bytes.truncate(bytes.len() / 3),
        // Pages overwritten in the middle.
        "pages" => {
            let page = 4096;
            for p in (2..bytes.len() / page).step_by(3) {
                bytes[p * page..p * page + 512].fill(0xA5);
            }
        }
        _ => unreachable!(),
    }
    std::fs::write(db, bytes).unwrap();
}

#[tokio::test]
async fn damaged_databases_of_four_kinds_are_named_and_recoverable() {
    for kind in ["garbage", "header", "truncated", "pages"] {
        let dir = tempfile::tempdir().unwrap();
        folder_with_data(dir.path()).await;
        let db = dir.path().join("compilar.db");
        damage(kind, &db);
        let e = open(dir.path())
            .await
            .err()
            .unwrap_or_else(|| panic!("{kind}: opened"));
        assert_eq!(e.code(), "database_damaged", "{kind}: {e}");
        assert!(!e.retryable(), "{kind}");
        assert!(
            e.to_string().contains(&db.display().to_string()),
            "{kind}: {e}"
        );
        let status = recovery::status(Some(dir.path())).unwrap();
        assert!(status.damage.is_some(), "{kind}");
        // Even-numbered kinds restore the backup; the others start fresh. Both keep the damaged file.
        let restore = matches!(kind, "garbage" | "truncated");
        let outcome = if restore {
            recovery::restore_latest_backup(Some(dir.path()), false).unwrap()
        } else {
            recovery::start_fresh(Some(dir.path()), false).unwrap()
        };
        let kept = PathBuf::from(outcome.damaged_kept_at.unwrap());
        assert!(kept.exists(), "{kind}: the damaged file is kept");
        let app = open(dir.path()).await.unwrap();
        assert_eq!(count(&app).await, usize::from(restore), "{kind}");
        drop(app);
        let status = recovery::status(Some(dir.path())).unwrap();
        assert!(status.damage.is_none(), "{kind}");
        assert_eq!(status.set_aside.len(), 1, "{kind}");
        println!(
            "{kind}: database_damaged, recovered ({})",
            if restore { "backup" } else { "fresh" }
        );
    }
}

#[tokio::test]
async fn restoring_without_a_usable_backup_says_so_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await.unwrap();
    create(&app).await.unwrap();
    drop(app);
    damage("garbage", &dir.path().join("compilar.db"));
    let e = recovery::restore_latest_backup(Some(dir.path()), false).unwrap_err();
    assert_eq!(e.code(), "no_usable_backup");
    // The damaged file is where it was; nothing was set aside.
    assert!(dir.path().join("compilar.db").exists());
    assert!(recovery::status(Some(dir.path()))
        .unwrap()
        .set_aside
        .is_empty());
}

/// A tmpfs of `size` mounted on a new folder, unmounted on drop.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(Tmpfs(dir));
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must be able to mount a tmpfs (run as root)"
        );
        println!("skipped: mounting a tmpfs needs root");
        None
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

#[tokio::test]
async fn a_full_disk_is_named_retryable_and_loses_nothing() {
    let Some(fs) = Tmpfs::mount("8m") else { return };
    let data = fs.path().join("data");
    let app = open(&data).await.unwrap();
    let first = create(&app).await.unwrap();
    // Fill the disk.
    let filler = fs.path().join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    // Assessments go on being refused with the same words until space is freed.
    let mut refused = None;
    for _ in 0..200 {
        match create(&app).await {
            Ok(_) => continue,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let e = refused.expect("the disk never filled");
    assert_eq!(e.code(), "disk_full", "{e}");
    assert!(e.retryable());
    assert!(e.to_string().contains(&data.display().to_string()), "{e}");
    // Space freed: the same call works, and what was saved before is there.
    std::fs::remove_file(&filler).unwrap();
    create(&app).await.unwrap();
    assert!(app.assessments().get(&first).await.is_ok());
    println!("disk full: disk_full (retryable), then saved once space was freed");
}

/// A document imported while the disk is full: `disk_full` like any other write (not a database error),
/// nothing half imported, and the same import works once space is freed.
#[tokio::test]
async fn a_document_import_on_a_full_disk_says_disk_full() {
    let Some(fs) = Tmpfs::mount("64m") else {
        return;
    };
    let data = fs.path().join("data");
    let app = open(&data).await.unwrap();
    app.knowledge().prepare().await.unwrap();
    let doc = tempfile::tempdir().unwrap();
    let notes = doc.path().join("notes.md");
    let words = [
        "team", "people", "speak", "decide", "trust", "change", "goal", "voice",
    ];
    let text: String = (0..300)
        .map(|i| {
            let body: Vec<&str> = (0..120)
                .map(|j| words[(i * 7 + j * 3) % words.len()])
                .collect();
            format!("## Part {i}\n\n{}.\n\n", body.join(" "))
        })
        .collect();
    std::fs::write(&notes, text).unwrap();
    let filler = fs.path().join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 16 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    let docs = app.documents();
    let import = || {
        docs.import(
            compilar_core::api::ImportDocumentRequest {
                path: notes.display().to_string(),
                import_id: "full".into(),
            },
            |_| {},
        )
    };
    let e = import().await.unwrap_err();
    assert_eq!(e.code(), "disk_full", "{e}");
    assert!(e.retryable());
    assert!(app.documents().list().await.unwrap().is_empty());
    std::fs::remove_file(&filler).unwrap();
    let d = import().await.unwrap();
    assert!(d.chunks > 0, "{d:?}");
    assert_eq!(app.documents().list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_read_only_data_folder_names_the_folder() {
    let Some(fs) = Tmpfs::mount("16m") else {
        return;
    };
    let data = fs.path().join("data");
    let app = open(&data).await.unwrap();
    create(&app).await.unwrap();
    drop(app);
    let remount = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(fs.path())
        .status()
        .unwrap();
    assert!(remount.success());
    let e = open(&data).await.err().expect("opened on a read-only disk");
    assert_eq!(e.code(), "data_folder_not_writable", "{e}");
    assert!(!e.retryable());
    assert!(e.to_string().contains(&data.display().to_string()), "{e}");
    println!("read-only folder: {e}");
}
