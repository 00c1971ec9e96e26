//! The user's data from the command line: backups, restore and undo, export and import, recovery, damage named, nothing written inside the data folder or over a file unasked, interrupted writes cleaned, padded archives refused cheaply.

use super::*;

/// A damaged database: every command says so (and how to recover, in words); `recover` shows the state and
/// the backups; `--start-fresh` sets the file aside (kept) and the next command starts empty.
#[test]
fn a_damaged_database_is_named_and_recovered_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &[
            "assessment",
            "create",
            "--pillar",
            "grpprosp",
            "--mode",
            "egalitarian",
        ],
    );
    let db = dir.path().join("compilar.db");
    for f in ["compilar.db-wal", "compilar.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(f));
    }
    std::fs::write(&db, vec![0x5a; 8192]).unwrap();
    fails(dir.path(), &["assessment", "list"], 1, "database_damaged");
    let out = run(dir.path(), &["assessment", "list"]);
    let words = String::from_utf8_lossy(&out.stderr);
    assert!(words.contains("compilar-cli recover"), "{words}");
    let status = ok(dir.path(), &["recover"]);
    assert!(status["damage"].is_string(), "{status}");
    let done = ok(dir.path(), &["recover", "--start-fresh"]);
    let kept = done["damaged_kept_at"].as_str().unwrap();
    assert!(Path::new(kept).exists());
    assert_eq!(std::fs::read(kept).unwrap(), vec![0x5a; 8192]);
    let list = ok(dir.path(), &["assessment", "list"]);
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // Nothing to restore: said plainly, exit 1.
    std::fs::write(&db, vec![0x5a; 8192]).unwrap();
    fails(
        dir.path(),
        &["recover", "--restore-backup"],
        1,
        "no_usable_backup",
    );
}

/// Waits (up to 60 s) until some file in `dir` has a name for which `pred` holds.
fn wait_for_file(dir: &Path, pred: impl Fn(&str) -> bool) -> std::path::PathBuf {
    let start = std::time::Instant::now();
    loop {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if pred(&e.file_name().to_string_lossy()) {
                    return e.path();
                }
            }
        }
        assert!(
            start.elapsed().as_secs() < 60,
            "no such file appeared in {}",
            dir.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

fn quick_check(file: &Path) -> String {
    let c = rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    c.query_row("PRAGMA quick_check", [], |r| r.get(0)).unwrap()
}

#[test]
fn backup_restore_and_undo_from_the_command_line_and_a_kill_mid_way_leaves_a_working_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (first, _) = completed(d, "Team", 3);
    // Some 120 MB of pages, so that a copy takes long enough to be cut short.
    {
        let c = rusqlite::Connection::open(d.join("compilar.db")).unwrap();
        c.execute_batch("CREATE TABLE filler (b BLOB); BEGIN;")
            .unwrap();
        for _ in 0..120 {
            c.execute("INSERT INTO filler VALUES (randomblob(1048576))", [])
                .unwrap();
        }
        c.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let outside = tempfile::tempdir().unwrap();
    let file = outside.path().join("by-hand.db");
    let b = ok(d, &["backup", file.to_str().unwrap()]);
    assert_eq!(b["kind"], "manual");
    assert_eq!(b["path"], file.to_str().unwrap());
    assert_eq!(quick_check(&file), "ok");

    // Killed while backing up: no half copy stands as a backup, and the database is untouched.
    let backups = d.join("backups");
    let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .args(["--data-dir", d.to_str().unwrap(), "backup"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .spawn()
        .unwrap();
    wait_for_file(&backups, |n| n.ends_with(".partial"));
    child.kill().unwrap();
    child.wait().unwrap();
    for e in std::fs::read_dir(&backups).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".db") {
            assert_eq!(
                quick_check(&e.path()),
                "ok",
                "{name} stands as a backup but is not whole"
            );
        }
    }
    assert_eq!(ok(d, &["assessment", "list"])["total"], 1);

    // A second assessment, then restore the copy: back to one; undo: two again.
    completed(d, "Team", 4);
    let r = ok(d, &["restore", file.to_str().unwrap()]);
    assert_eq!(r["set_aside"]["kind"], "before_restore");
    assert_eq!(ok(d, &["assessment", "list"])["total"], 1);
    assert_eq!(ok(d, &["backups"])["can_undo"], true);
    ok(d, &["restore", "--undo"]);
    assert_eq!(ok(d, &["assessment", "list"])["total"], 2);
    fails(d, &["restore", "--undo"], 2, "nothing_to_undo");
    fails(
        d,
        &["restore", d.join("nope.db").to_str().unwrap()],
        2,
        "backup_unusable",
    );

    // Killed while restoring (after the current database was set aside): the database still works and is
    // either the old one or the restored one.
    let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .args([
            "--data-dir",
            d.to_str().unwrap(),
            "restore",
            file.to_str().unwrap(),
        ])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .spawn()
        .unwrap();
    wait_for_file(&backups, |n| {
        n.starts_with("compilar-before-restore-") && n.ends_with(".db")
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let total = ok(d, &["assessment", "list"])["total"].as_u64().unwrap();
    assert!(total == 1 || total == 2, "{total}");
    assert_eq!(quick_check(&d.join("compilar.db")), "ok");
    ok(d, &["assessment", "show", &first]);

    // Settings and delete-all.
    let s = ok(d, &["backups", "--automatic", "off", "--keep", "3"]);
    assert_eq!(s["settings"]["automatic"], false);
    assert_eq!(s["settings"]["keep"], 3);
    fails(d, &["backups", "--keep", "0"], 2, "out_of_range");
    // One setting changed, the other kept.
    let s = ok(d, &["backups", "--keep", "4"]);
    assert_eq!(s["settings"]["automatic"], false);
    assert_eq!(s["settings"]["keep"], 4);
    fails(
        d,
        &["delete-all-data", "--confirm", "yes"],
        2,
        "confirmation_mismatch",
    );
    let out = ok(d, &["delete-all-data", "--confirm", "delete my data"]);
    assert!(out["assessments"].as_u64().unwrap() >= 1);
    assert_eq!(ok(d, &["assessment", "list"])["total"], 0);
    assert_eq!(ok(d, &["backups"])["backups"].as_array().unwrap().len(), 0);
}

#[test]
fn export_and_import_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("a");
    completed(&d, "Team", 3);
    let zip = dir.path().join("out.zip");
    let s = ok(&d, &["export", zip.to_str().unwrap()]);
    assert_eq!(s["format"], "zip");
    assert!(zip.is_file());
    fails(
        &d,
        &["export", zip.to_str().unwrap()],
        2,
        "export_target_exists",
    );
    let folder = dir.path().join("out-folder");
    assert_eq!(
        ok(&d, &["export", folder.to_str().unwrap()])["format"],
        "folder"
    );

    let b = dir.path().join("b");
    let dry = ok(&b, &["import", zip.to_str().unwrap(), "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    let assessments = |v: &Value| {
        v["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "assessments")
            .unwrap()
            .clone()
    };
    assert_eq!(assessments(&dry)["added"], 1);
    assert_eq!(ok(&b, &["assessment", "list"])["total"], 0);
    let out = run(&b, &["import", folder.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Imported") && text.contains("assessments") && text.contains("1 new"),
        "{text}"
    );
    assert_eq!(ok(&b, &["assessment", "list"])["total"], 1);
    let again = ok(&b, &["import", zip.to_str().unwrap()]);
    assert_eq!(assessments(&again)["added"], 0);
    assert_eq!(assessments(&again)["unchanged"], 1);
    let junk = dir.path().join("junk.zip");
    std::fs::write(&junk, b"PK not really").unwrap();
    fails(
        &b,
        &["import", junk.to_str().unwrap()],
        2,
        "archive_invalid",
    );
}

/// Every file under `root` (recursively) that contains `word`.
fn files_containing(root: &Path, word: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).is_ok_and(|b| b.windows(word.len()).any(|w| w == word)) {
                found.push(path);
            }
        }
    }
    found
}

/// No command writes onto the database, its log files, the backups or anything else inside the data folder;
/// an existing file is replaced only with --force; a missing folder is the caller's path problem.
#[test]
fn no_command_writes_inside_the_data_folder_or_over_a_file_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let (id, _) = completed(&d, "Team", 4);
    ok(&d, &["backup"]);
    let a_backup = ok(&d, &["backups"])["backups"][0]["path"]
        .as_str()
        .unwrap()
        .to_owned();
    let inside = |name: &str| d.join(name).display().to_string();
    for target in [
        inside("compilar.db"),
        inside("compilar.db-wal"),
        inside("compilar.db-shm"),
        a_backup.clone(),
        inside("report.pdf"),
        inside("logs/../compilar.db"),
    ] {
        for force in [false, true] {
            let mut args = vec!["report", &id, "--format", "pdf", "--out", &target];
            if force {
                args.push("--force");
            }
            let e = fails(&d, &args, 2, "output_in_data_folder");
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("data folder"),
                "{e}"
            );
        }
        fails(
            &d,
            &["backup", &target, "--force"],
            2,
            "output_in_data_folder",
        );
    }
    fails(
        &d,
        &["export", &inside("everything.zip")],
        2,
        "output_in_data_folder",
    );
    // A link outside that points at the database is refused too.
    #[cfg(unix)]
    {
        let link = out.join("innocent.pdf");
        std::os::unix::fs::symlink(d.join("compilar.db"), &link).unwrap();
        fails(
            &d,
            &["report", &id, "--out", link.to_str().unwrap(), "--force"],
            2,
            "output_in_data_folder",
        );
    }
    // Nothing was touched: the database works and the backup is whole.
    assert_eq!(ok(&d, &["assessment", "list"])["total"], 1);
    assert_eq!(quick_check(Path::new(&a_backup)), "ok");

    // An existing file: refused without --force (and left as it was), replaced with it.
    let pdf = out.join("result.pdf");
    std::fs::write(&pdf, b"my own file").unwrap();
    let e = fails(
        &d,
        &["report", &id, "--out", pdf.to_str().unwrap()],
        2,
        "output_exists",
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("--force"));
    assert_eq!(std::fs::read(&pdf).unwrap(), b"my own file");
    let r = ok(
        &d,
        &["report", &id, "--out", pdf.to_str().unwrap(), "--force"],
    );
    assert!(r["bytes"].as_u64().unwrap() > 1000);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let db = out.join("copy.db");
    ok(&d, &["backup", db.to_str().unwrap()]);
    fails(&d, &["backup", db.to_str().unwrap()], 2, "output_exists");
    ok(&d, &["backup", db.to_str().unwrap(), "--force"]);
    let zip = out.join("all.zip");
    ok(&d, &["export", zip.to_str().unwrap()]);
    fails(
        &d,
        &["export", zip.to_str().unwrap()],
        2,
        "export_target_exists",
    );
    ok(&d, &["export", zip.to_str().unwrap(), "--force"]);

    // A folder that does not exist: the caller's path, named.
    let missing = dir.path().join("no/such/folder/r.pdf");
    let e = fails(
        &d,
        &["report", &id, "--out", missing.to_str().unwrap()],
        2,
        "output_folder_missing",
    );
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no/such/folder"));
    fails(
        &d,
        &["export", dir.path().join("nope/x.zip").to_str().unwrap()],
        2,
        "output_folder_missing",
    );
    // Nothing but what was asked for stands in the output folder.
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want = vec!["all.zip", "copy.db", "result.pdf"];
    if cfg!(unix) {
        want.push("innocent.pdf");
    }
    want.sort();
    assert_eq!(names, want);
}

/// A backup killed mid-way leaves its temporary copy (with the user's words in it) outside the data folder;
/// the next start removes it, and "delete all my data" leaves no file anywhere in the data folder with the
/// deleted words in it (backups, copies set aside by recovery, leftovers of interrupted writes).
#[test]
fn interrupted_writes_leave_nothing_behind_and_delete_all_leaves_no_word() {
    const WORD: &str = "Quillwort-Meridian";
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let (id, _) = completed(&d, WORD, 4);
    ok(
        &d,
        &[
            "assessment",
            "about",
            &id,
            "--note",
            &format!("{WORD} notes"),
        ],
    );
    // The words early in the file, then some 120 MB of pages, so that a copy takes long enough to be cut short.
    {
        let c = rusqlite::Connection::open(d.join("compilar.db")).unwrap();
        c.execute_batch("BEGIN").unwrap();
        for i in 0..2000 {
            c.execute(
                "INSERT INTO llm_calls (action_id, at, feature, provider, model, streamed, latency_ms, outcome,
                                        error_message, breaker_state)
                 VALUES (?1, '2026-01-01T00:00:00Z', 'coach', 'openai', 'm', 0, 1, 'error', ?2, 'closed')",
                rusqlite::params![format!("a{i}"), format!("{WORD} {}", "x".repeat(900))],
            )
            .unwrap();
        }
        c.execute_batch("CREATE TABLE filler (b BLOB);").unwrap();
        for _ in 0..120 {
            c.execute("INSERT INTO filler VALUES (randomblob(1048576))", [])
                .unwrap();
        }
        c.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    // A backup outside the data folder, killed once its copy holds the first pages.
    let target = out.join("big.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .args([
            "--data-dir",
            d.to_str().unwrap(),
            "backup",
            target.to_str().unwrap(),
        ])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .spawn()
        .unwrap();
    let partial = wait_for_file(&out, |n| n.ends_with(".partial"));
    let start = std::time::Instant::now();
    while std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0) < 8 << 20
        && start.elapsed().as_secs() < 60
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!target.exists(), "a copy cut short stands as the backup");
    assert!(
        !files_containing(&out, WORD.as_bytes()).is_empty(),
        "the copy cut short should hold the words (else this test shows nothing)"
    );
    // The next start removes it.
    ok(&d, &["assessment", "list"]);
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "the leftover is still there"
    );

    // Leftovers of every kind, planted as a kill would leave them: a backup cut short inside the backups
    // folder (with SQLite's journal), a recovery's copy cut short, and a copy set aside by recovery.
    let db_bytes = std::fs::read(d.join("compilar.db")).unwrap();
    std::fs::create_dir_all(d.join("backups")).unwrap();
    for name in [
        "backups/compilar-manual-20260101T000000Z.db.0123456789abcdef.partial",
        "backups/compilar-manual-20260101T000000Z.db.0123456789abcdef.partial-journal",
        ".compilar.restoring.db",
        "compilar.damaged-20260101T000000Z.db",
    ] {
        std::fs::write(d.join(name), &db_bytes).unwrap();
    }
    ok(&d, &["backup"]);
    // And an export cut short outside, recorded as in progress by a process that is gone.
    let zip = out.join("x.zip");
    let leftover = out.join("x.zip.fedcba9876543210.partial");
    std::fs::write(&leftover, &db_bytes).unwrap();
    std::fs::create_dir_all(d.join("pending-writes")).unwrap();
    std::fs::write(
        d.join("pending-writes/0190c3a0-0000-7000-8000-000000000000.txt"),
        leftover.display().to_string(),
    )
    .unwrap();
    assert!(!zip.exists());

    ok(&d, &["delete-all-data", "--confirm", "delete my data"]);
    let left = files_containing(&d, WORD.as_bytes());
    assert!(left.is_empty(), "the deleted words are still in {left:?}");
    assert!(files_containing(&out, WORD.as_bytes()).is_empty());
    assert!(!leftover.exists());
    assert_eq!(ok(&d, &["assessment", "list"])["total"], 0);
}

/// `recover` on a healthy database refuses to set it aside unless told (--force), and then keeps it as a
/// backup that `restore --undo` brings back.
#[test]
fn recovery_never_sets_a_healthy_database_aside_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (id, _) = completed(d, "Team", 3);
    for how in ["--start-fresh", "--restore-backup"] {
        let e = fails(d, &["recover", how], 2, "database_healthy");
        assert!(e["error"]["message"].as_str().unwrap().contains("--force"));
    }
    // --force alone names nothing to do: an argument error, not a silent status.
    fails(d, &["recover", "--force"], 2, "invalid_argument");
    ok(d, &["assessment", "show", &id]);
    let done = ok(d, &["recover", "--start-fresh", "--force"]);
    assert!(done["damaged_kept_at"].is_null(), "{done}");
    let kept = done["kept_as_backup"]["path"].as_str().unwrap().to_owned();
    assert!(!kept.contains("damaged"), "{kept}");
    assert_eq!(ok(d, &["assessment", "list"])["total"], 0);
    let listed = ok(d, &["backups"]);
    assert_eq!(listed["can_undo"], true);
    assert!(listed["backups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["path"] == kept.as_str()));
    ok(d, &["restore", "--undo"]);
    ok(d, &["assessment", "show", &id]);
}

/// Damage in the middle of the database (a few pages of the search index's vector table): the command that
/// meets it says `database_damaged` with the way to recover, and `doctor` says "damaged" in words and exits 1.
#[test]
fn damage_in_the_middle_is_named_by_the_command_that_meets_it_and_by_doctor() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let notes = dir.path().join("notes.md");
    let words = [
        "team", "people", "speak", "decide", "trust", "change", "goal", "voice",
    ];
    let text: String = (0..120)
        .map(|i| {
            let body: Vec<&str> = (0..80)
                .map(|j| words[(i * 7 + j * 3) % words.len()])
                .collect();
            format!("## Part {i}\n\n{}.\n\n", body.join(" "))
        })
        .collect();
    std::fs::write(&notes, text).unwrap();
    ok(&d, &["documents", "import", notes.to_str().unwrap()]);
    ok(&d, &["search", "people speak up"]);
    {
        let c = rusqlite::Connection::open(d.join("compilar.db")).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        let root: i64 = c
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name LIKE 'kb\\_vec\\_%\\_vector\\_chunks00' ESCAPE '\\'
                 ORDER BY rootpage LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        drop(c);
        use std::io::{Seek, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(d.join("compilar.db"))
            .unwrap();
        f.seek(std::io::SeekFrom::Start(((root - 1) * size) as u64))
            .unwrap();
        f.write_all(&vec![0xA5; size as usize]).unwrap();
    }
    let e = fails(&d, &["search", "people speak up"], 1, "database_damaged");
    assert!(e["error"]["message"].as_str().unwrap().contains("damaged"));
    let out = run(&d, &["search", "people speak up"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("compilar-cli recover"));
    // Commands that do not touch the damaged pages still work.
    ok(&d, &["framework"]);

    let out = run(&d, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Integrity     damaged"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("compilar-cli recover"));
    let out = run(&d, &["--json", "doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["damaged"], true);
}

/// Runs an import and returns its exit code, its stderr and the process's own peak memory in MB.
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its peak memory
fn import_measured(dir: &Path, zip: &Path) -> (Option<i32>, String, u64) {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--json", "import"])
        .arg(zip)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 on our own child with valid out-pointers; `child` is not waited on again.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, err, usage.ru_maxrss as u64 / 1024)
}

/// A zip whose `data.json` is `head`, then `pad` MiB of `fill`, then `tail`, with `extra` MiB of zeros in
/// another entry: hundreds of MB that compress to well under one.
#[cfg(target_os = "linux")]
fn padded_zip(path: &Path, head: &[u8], fill: u8, pad: usize, tail: &[u8], extra: usize) {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let o = zip::write::SimpleFileOptions::default().large_file(true);
    z.start_file("data.json", o).unwrap();
    z.write_all(head).unwrap();
    let chunk = vec![fill; 1024 * 1024];
    for _ in 0..pad {
        z.write_all(&chunk).unwrap();
    }
    z.write_all(tail).unwrap();
    if extra > 0 {
        z.start_file("padding.bin", o).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..extra {
            z.write_all(&zeros).unwrap();
        }
    }
    z.finish().unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn a_padded_archive_costs_no_more_memory_than_a_small_one() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    completed(&a, "Team", 3);
    let good = dir.path().join("good");
    ok(&a, &["export", good.to_str().unwrap()]);
    let data = std::fs::read(good.join("data.json")).unwrap();
    let good_zip = dir.path().join("good.zip");
    padded_zip(&good_zip, &data, b' ', 0, b"", 0);
    let (code, err, base) = import_measured(&dir.path().join("b0"), &good_zip);
    assert_eq!(code, Some(0), "{err}");

    struct Case {
        name: &'static str,
        head: Vec<u8>,
        fill: u8,
        pad: usize,
        tail: Vec<u8>,
        extra: usize,
        want: Option<&'static str>,
    }
    let body = &data[1..]; // everything after the opening brace
    let at = data
        .windows(14)
        .position(|w| w == b"\"group_label\":")
        .unwrap();
    let cases = [
        // 500 MiB of spaces between the opening brace and the first key.
        Case {
            name: "spaces",
            head: b"{".to_vec(),
            fill: b' ',
            pad: 500,
            tail: body.to_vec(),
            extra: 0,
            want: Some("archive_too_large"),
        },
        // An unknown value of 500 MiB: skipped values are bounded too.
        Case {
            name: "unknown",
            head: b"{\"x\": \"".to_vec(),
            fill: b'a',
            pad: 500,
            tail: [b"\",".as_slice(), body].concat(),
            extra: 0,
            want: Some("archive_too_large"),
        },
        // A field of 100 MiB inside a record.
        Case {
            name: "field",
            head: [&data[..at], b"\"note2\": \""].concat(),
            fill: b'n',
            pad: 100,
            tail: [b"\",".as_slice(), &data[at..]].concat(),
            extra: 0,
            want: Some("archive_too_large"),
        },
        // A good data.json beside 500 MiB of zeros in another entry: imported, the padding never read.
        Case {
            name: "beside",
            head: data.clone(),
            fill: b' ',
            pad: 0,
            tail: Vec::new(),
            extra: 500,
            want: None,
        },
    ];
    for (i, c) in cases.into_iter().enumerate() {
        let Case { name, want, .. } = c;
        let z = dir.path().join(format!("{name}.zip"));
        padded_zip(&z, &c.head, c.fill, c.pad, &c.tail, c.extra);
        assert!(
            std::fs::metadata(&z).unwrap().len() < 2 * 1024 * 1024,
            "{name}"
        );
        let b = dir.path().join(format!("b{}", i + 1));
        let (code, err, peak) = import_measured(&b, &z);
        match want {
            Some(want) => {
                assert_eq!(code, Some(2), "{name}: {err}");
                let v: Value = serde_json::from_str(&err).unwrap();
                assert_eq!(v["error"]["code"], want, "{name}: {v}");
                assert_eq!(ok(&b, &["assessment", "list"])["total"], 0, "{name}");
            }
            None => {
                assert_eq!(code, Some(0), "{name}: {err}");
                assert_eq!(ok(&b, &["assessment", "list"])["total"], 1, "{name}");
            }
        }
        // Within a small multiple of the 16 MB a part may hold, above what a small import costs.
        assert!(
            peak <= base + 64,
            "{name}: {peak} MB at peak, a small import {base} MB"
        );
        eprintln!("{name}: {peak} MB at peak (a small import: {base} MB)");
    }
}
