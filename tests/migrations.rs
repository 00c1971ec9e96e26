//! The migration runner on real database files: empty database, re-open, backups, atomic failure, checksums.

use crate::common;

use compilar_core::store::migrations::{apply, Migration, MIGRATIONS};
use rusqlite::Connection;

fn tables(conn: &Connection) -> Vec<String> {
    let mut st = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn empty_database_gets_every_migration_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
    let r = apply(&mut conn, MIGRATIONS, &dir.path().join("backups")).unwrap();
    let all: Vec<i64> = (1..=MIGRATIONS.len() as i64).collect();
    assert_eq!(r.applied, all);
    assert_eq!(r.schema_version, MIGRATIONS.len() as i64);
    assert!(
        r.backup.is_none(),
        "nothing to back up in an empty database"
    );
    let t = tables(&conn);
    for want in [
        "app_meta",
        "assessments",
        "profiles",
        "schema_migrations",
        "provider_settings",
        "app_settings",
        "llm_calls",
        "kb_sources",
        "kb_chunks",
        "kb_fts",
        "kb_models",
        "jobs",
    ] {
        assert!(t.contains(&want.to_string()), "{t:?}");
    }
    // STRICT tables reject a value of the wrong type: the same complete row is accepted with an integer and
    // refused with text in the INTEGER column (so the refusal is the type's, not a missing column's).
    conn.execute(
        "INSERT INTO profiles (id, display_name, created_at, updated_at) VALUES ('p', 'Me', 't', 't')",
        [],
    )
    .unwrap();
    let insert = |id: &str, bank_version: &str| {
        conn.execute(
            &format!(
                "INSERT INTO assessments (id, owner_id, pillar, mode, stage, question_ids, responses, total,
                   bank_version, created_at, updated_at)
                 VALUES ('{id}', 'p', 'grpprosp', 'egalitarian', 'quiz', '[]', jsonb('{{}}'), 12, {bank_version}, 't', 't')"
            ),
            [],
        )
    };
    insert("ok", "1").expect("a valid row is accepted");
    let e = insert("bad", "'one'").expect_err("STRICT must reject text in an INTEGER column");
    assert!(
        e.to_string()
            .contains("cannot store TEXT value in INTEGER column"),
        "{e}"
    );
    let r = apply(&mut conn, MIGRATIONS, &dir.path().join("backups")).unwrap();
    assert!(r.applied.is_empty());
    assert_eq!(r.schema_version, MIGRATIONS.len() as i64);
}

#[test]
fn pending_migration_backs_up_first_and_failure_is_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
    apply(&mut conn, &MIGRATIONS[..1], &backups).unwrap();
    conn.execute(
        "INSERT INTO app_meta (key, value) VALUES ('marker', 'kept')",
        [],
    )
    .unwrap();

    // A broken second migration: its first statement succeeds, its second fails. Nothing of it may remain.
    let broken = [
        MIGRATIONS[0],
        Migration {
            version: 2,
            name: "broken",
            sql: "CREATE TABLE half (x INTEGER) STRICT; INSERT INTO no_such_table VALUES (1);",
        },
    ];
    let e = apply(&mut conn, &broken, &backups).unwrap_err();
    assert_eq!(e.code(), "migration_failed");
    assert!(e.to_string().contains("migration 2 (broken) failed"), "{e}");
    assert!(!tables(&conn).contains(&"half".to_string()));
    let v: i64 = conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(v, 1);

    // A good second migration: backup first, then applied.
    let good = [
        MIGRATIONS[0],
        Migration {
            version: 2,
            name: "notes",
            sql: "CREATE TABLE notes (id TEXT PRIMARY KEY) STRICT;",
        },
    ];
    let r = apply(&mut conn, &good, &backups).unwrap();
    assert_eq!(r.applied, [2]);
    let backup = r.backup.expect("a backup before migrating");
    let b = Connection::open(&backup).unwrap();
    let marker: String = b
        .query_row("SELECT value FROM app_meta WHERE key = 'marker'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(marker, "kept");
    assert!(
        !tables(&b).contains(&"notes".to_string()),
        "the backup is from before the migration"
    );
}

#[test]
fn changed_or_unknown_migrations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
    apply(&mut conn, MIGRATIONS, &backups).unwrap();

    let edited = [Migration {
        sql: "CREATE TABLE something_else (x INTEGER);",
        ..MIGRATIONS[0]
    }];
    let e = apply(&mut conn, &edited, &backups).unwrap_err();
    assert!(e.to_string().contains("checksum mismatch"), "{e}");

    conn.execute(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, 'future', 'x', 't')",
        [MIGRATIONS.len() as i64 + 1],
    )
    .unwrap();
    let e = apply(&mut conn, MIGRATIONS, &backups).unwrap_err();
    assert_eq!(e.code(), "migration_failed");
    assert!(e.to_string().contains("newer release"), "{e}");
}

#[tokio::test]
async fn app_refuses_a_database_from_a_newer_release() {
    let t = common::open().await;
    let dir = t.dir.path().to_owned();
    drop(t.app);
    let conn = Connection::open(dir.join("compilar.db")).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, 'future', 'x', 't')",
        [],
    )
    .unwrap();
    drop(conn);
    let e = compilar_core::App::open(Some(dir)).await.err().unwrap();
    assert_eq!(e.payload().code, "migration_failed");
}

#[test]
fn a_release_1_database_upgrades_and_keeps_its_data() {
    // A fixture of the previous release: schema 1 with a profile and an assessment in it.
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
    apply(&mut conn, &MIGRATIONS[..1], &backups).unwrap();
    conn.execute_batch(
        "INSERT INTO profiles (id, display_name, created_at, updated_at) VALUES ('p', 'Me', 't', 't');
         INSERT INTO assessments (id, owner_id, pillar, mode, stage, question_ids, responses, total, bank_version, created_at, updated_at)
         VALUES ('a', 'p', 'grpprosp', 'egalitarian', 'quiz', '[]', jsonb('{}'), 12, 1, 't', 't');",
    )
    .unwrap();
    let r = apply(&mut conn, MIGRATIONS, &backups).unwrap();
    let rest: Vec<i64> = (2..=MIGRATIONS.len() as i64).collect();
    assert_eq!(r.applied, rest);
    assert!(r.backup.is_some());
    let n: i64 = conn
        .query_row("SELECT count(*) FROM assessments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    assert!(tables(&conn).contains(&"llm_calls".to_string()));
}

/// Launches at once on a new data folder (a double-click, the app and the command-line tool): all open, every
/// migration is applied once, and all see the same schema.
#[test]
fn two_processes_opening_a_new_database_at_once_both_start() {
    const OPENERS: usize = 4;
    for round in 0..16 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("compilar.db");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(OPENERS));
        let openers: Vec<_> = (0..OPENERS)
            .map(|_| {
                let (path, backups, barrier) = (
                    path.clone(),
                    dir.path().join("backups"),
                    std::sync::Arc::clone(&barrier),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    compilar_core::store::Store::open(&path, &backups)
                        .map(|s| s.migration_report().schema_version)
                })
            })
            .collect();
        for o in openers {
            let v = o
                .join()
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: an opener failed: {e} ({e:?})"));
            assert_eq!(v, MIGRATIONS.len() as i64);
        }
        let conn = Connection::open(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64, "round {round}");
    }
}

#[test]
fn checksums_ignore_line_endings() {
    use compilar_core::store::migrations::checksum;
    let lf = MIGRATIONS[0].sql;
    let crlf = lf.replace('\n', "\r\n");
    assert_ne!(lf, crlf);
    assert_eq!(checksum(lf), checksum(&crlf));
}

/// Version 6 makes one document per content a constraint; copies stored twice before it are kept (nothing of
/// the user's is deleted by a migration), and a third copy is refused by the database itself.
#[test]
fn duplicate_documents_from_before_version_6_are_kept_and_new_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
    apply(&mut conn, &MIGRATIONS[..5], &dir.path().join("backups")).unwrap();
    let insert = "INSERT INTO kb_sources (id, kind, title, file_name, content_hash, bytes, created_at, updated_at)
                  VALUES (?1, 'document', 'Minutes', 'minutes.md', 'h1', 10, 't', 't')";
    for id in [
        "01a00000-0000-7000-8000-000000000001",
        "01a00000-0000-7000-8000-000000000002",
    ] {
        conn.execute(insert, [id]).unwrap();
    }
    let r = apply(&mut conn, MIGRATIONS, &dir.path().join("backups")).unwrap();
    assert_eq!(r.applied[0], 6, "version 6 and every later one");
    assert_eq!(r.applied.len(), MIGRATIONS.len() - 5);
    let hashes: Vec<(String, String)> = conn
        .prepare("SELECT id, content_hash FROM kb_sources ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hashes.len(), 2, "both copies kept");
    assert_eq!(hashes[0].1, "h1", "the first keeps its hash");
    assert!(hashes[1].1.starts_with("h1:duplicate:"), "{hashes:?}");
    let e = conn
        .execute(insert, ["01a00000-0000-7000-8000-000000000003"])
        .unwrap_err();
    assert!(e.to_string().contains("UNIQUE"), "{e}");
}
