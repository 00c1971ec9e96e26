//! `compilar-cli account` and `compilar-cli sync` as a user runs them: without an account, and against the
//! real PostgreSQL + PostgREST target (`tests/support/supabase.rs`) with a real keychain (GNOME Keyring on a
//! private D-Bus session), including a `sync --now` killed with SIGKILL while its push is in flight.

#[path = "../../../tests/support/supabase.rs"]
mod supabase;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;

const CHILD: &str = "COMPILAR_SYNC_CLI_CHILD";

fn cli(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_compilar-cli"));
    c.arg("--data-dir").arg(dir);
    c.env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY");
    c
}

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = cli(dir);
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn json(dir: &Path, args: &[&str], stdin: Option<&str>) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(dir, &all, stdin);
    assert!(
        out.status.success(),
        "{args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(dir, &all, stdin);
    assert!(!out.status.success(), "{args:?} should fail");
    let v: Value = serde_json::from_slice(&out.stderr).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v["error"].clone())
}

#[test]
fn account_and_sync_without_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let no_bus = |args: &[&str]| {
        let mut c = cli(d);
        c.env_remove("DBUS_SESSION_BUS_ADDRESS")
            .args(args)
            .output()
            .unwrap()
    };
    let out = no_bus(&["account", "status"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Not signed in"));
    let out = no_bus(&["--json", "sync"]);
    let st: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["state"], "off");
    assert_eq!(st["label"], "Sync is off");
    let (code, e) = fails(d, &["sync", "--now"], None);
    assert_eq!((code, e["code"].as_str()), (2, Some("not_signed_in")));
    let (code, e) = fails(
        d,
        &[
            "account",
            "signin",
            "--project",
            "ftp://x",
            "--key",
            "k",
            "--email",
            "a@b.c",
        ],
        Some("pw\n"),
    );
    assert_eq!((code, e["code"].as_str()), (2, Some("invalid_settings")));
    assert_eq!(e["field"], "project_url");
    let (code, e) = fails(
        d,
        &[
            "account",
            "signin",
            "--project",
            "http://example.test",
            "--key",
            "k",
            "--email",
            "a@b.c",
        ],
        Some("pw\n"),
    );
    assert_eq!(
        (code, e["code"].as_str()),
        (2, Some("invalid_settings")),
        "plain http to another host"
    );
    let list = json(d, &["sync", "rejected"], None);
    assert_eq!(list, Value::Array(vec![]));
    let st = json(d, &["sync", "retry-all"], None);
    assert_eq!(
        (st["pending"].as_u64(), st["rejected"].as_u64()),
        (Some(0), Some(0))
    );
}

fn which(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn signs_in_syncs_and_loses_nothing_when_killed_mid_push() {
    if std::env::var_os(CHILD).is_some() {
        return child_scenario();
    }
    if !(which("dbus-run-session") && which("gnome-keyring-daemon")) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install dbus and gnome-keyring"
        );
        eprintln!("skipped: dbus-run-session or gnome-keyring-daemon is not installed");
        return;
    }
    if supabase::missing().is_some() && std::env::var_os("CI").is_none() {
        eprintln!("skipped: {}", supabase::missing().unwrap_or_default());
        return;
    }
    // This test binary again, inside a private session bus with an unlocked keyring.
    let exe = std::env::current_exe().unwrap();
    let script = r#"dbus-run-session -- sh -c 'printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$0" --exact "$1" --nocapture --test-threads=1' "$0" "$1""#;
    let out = Command::new("sh")
        .args([
            "-c",
            script,
            exe.to_str().unwrap(),
            "signs_in_syncs_and_loses_nothing_when_killed_mid_push",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && o.contains("1 passed"),
        "child failed\n{o}\n{e}"
    );
}

fn child_scenario() {
    let s = supabase::start().expect("the sync target");
    s.add_user("fac@example.test", "secret pw");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let a = json(
        d,
        &[
            "assessment",
            "create",
            "--pillar",
            "grpprosp",
            "--mode",
            "egalitarian",
        ],
        None,
    );
    let id = a["id"].as_str().unwrap().to_owned();
    let q = a["questions"][0]["id"].as_str().unwrap().to_owned();
    json(d, &["assessment", "answer", &id, &q, "4"], None);

    // Local data and no --adopt-local, with no terminal to ask on: refused, nothing stored.
    let signin = [
        "account",
        "signin",
        "--project",
        &s.url,
        "--key",
        supabase::ANON_KEY,
        "--email",
        "fac@example.test",
    ];
    let (code, e) = fails(d, &signin, Some("secret pw\n"));
    assert_eq!(
        (code, e["code"].as_str()),
        (2, Some("local_data_needs_consent")),
        "{e}"
    );
    let (code, e) = fails(
        d,
        &[&signin[..], &["--adopt-local"]].concat(),
        Some("wrong\n"),
    );
    assert_eq!((code, e["code"].as_str()), (2, Some("sign_in_failed")));
    let st = json(
        d,
        &[&signin[..], &["--adopt-local"]].concat(),
        Some("secret pw\n"),
    );
    assert_eq!(st["signed_in"], true);
    assert_eq!(st["email"], "fac@example.test");

    // The session is in the keychain: a new process is signed in and syncs.
    let human = run(d, &["account", "status"], None);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("Signed in as  fac@example.test"), "{text}");
    let r = json(d, &["sync", "--now"], None);
    assert_eq!(
        r["pushed"].as_u64(),
        Some(3),
        "profile, assessment, one answer: {r}"
    );
    assert_eq!(json(d, &["sync"], None)["state"], "synced");
    // Nothing secret in the database file.
    let db = std::fs::read(d.join("compilar.db")).unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&db).contains("eyJ"),
        "a token reached the database"
    );

    // More work, then a sync killed while the server holds its push.
    for _ in 0..3 {
        let b = json(
            d,
            &[
                "assessment",
                "create",
                "--pillar",
                "grpprosp",
                "--mode",
                "egalitarian",
            ],
            None,
        );
        let bid = b["id"].as_str().unwrap().to_owned();
        for i in 0..12 {
            let qid = b["questions"][i]["id"].as_str().unwrap().to_owned();
            json(d, &["assessment", "answer", &bid, &qid, "3"], None);
        }
    }
    s.gateway.hold_pushes.store(true, Ordering::Relaxed);
    let log = d.join("victim.log");
    let mut victim = cli(d)
        .args(["--json", "sync", "--now"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.gateway.held.load(Ordering::Relaxed) == 0 {
        if let Ok(Some(st)) = victim.try_wait() {
            panic!(
                "sync ended before its push was held ({st}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the push never reached the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();
    // The server goes on to apply the batch its client no longer waits for.
    let batches = s.sql("select count(*) from sync_batches");
    s.gateway.release();
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.sql("select count(*) from sync_batches") == batches {
        assert!(Instant::now() < deadline, "the held push was never applied");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Restart: the same batch goes again and is a duplicate; nothing lost, nothing twice.
    let st = json(d, &["sync"], None);
    assert!(st["pending"].as_u64().unwrap() >= 3, "{st}");
    let r = json(d, &["sync", "--now"], None);
    assert_eq!(r["batches"].as_u64(), Some(1), "{r}");
    assert_eq!(json(d, &["sync"], None)["pending"], 0);
    assert_eq!(s.sql("select count(*) from assessments"), "4");
    assert_eq!(s.sql("select count(*) from answers"), "37");
    assert_eq!(
        s.sql("select count(*) from sync_batches where result->>'applied' is not null"),
        s.sql("select count(*) from sync_batches")
    );

    teams_from_the_command_line(&s, d);

    let st = json(d, &["account", "signout"], None);
    assert_eq!(st["signed_in"], false);
    assert_eq!(json(d, &["sync"], None)["state"], "signed_out");
}

/// `team` and `team round` with a second person in their own data folder (`fac` is signed in in `d`).
fn teams_from_the_command_line(s: &supabase::Supabase, d: &Path) {
    s.add_user("mem@example.test", "member pw");
    let dir2 = tempfile::tempdir().unwrap();
    let m = dir2.path();
    json(
        m,
        &[
            "account",
            "signin",
            "--project",
            &s.url,
            "--key",
            supabase::ANON_KEY,
            "--email",
            "mem@example.test",
        ],
        Some("member pw\n"),
    );

    let team = json(d, &["team", "create", "Ops", "--threshold", "3"], None);
    assert_eq!(team["role"], "facilitator");
    let tid = team["id"].as_str().unwrap().to_owned();
    let inv = json(d, &["team", "invite", &tid, "--uses", "1"], None);
    let code = inv["code"].as_str().unwrap().to_owned();
    let link = inv["link"].as_str().unwrap().to_owned();
    assert_eq!(link, format!("compilar://join/{code}"));
    let (c, e) = fails(m, &["team", "join", "NOT-A-CODE"], None);
    assert_eq!((c, e["code"].as_str()), (2, Some("invite_invalid")), "{e}");
    // The member pastes the link as it came.
    let joined = json(m, &["team", "join", &link], None);
    assert_eq!(
        (joined["role"].as_str(), joined["consent"].as_bool()),
        (Some("member"), Some(false))
    );
    assert_eq!(
        json(d, &["team", "members", &tid], None)
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // The used-up code is no longer open; a new one is listed (never with its code) and can be stopped.
    assert_eq!(
        json(d, &["team", "invites", &tid], None),
        serde_json::json!([])
    );
    let again = json(d, &["team", "invite", &tid], None);
    let listed =
        String::from_utf8_lossy(&run(d, &["team", "invites", &tid], None).stdout).into_owned();
    let again_id = again["id"].as_str().unwrap();
    assert!(
        listed.starts_with(again_id) && listed.contains("by you"),
        "{listed}"
    );
    assert!(
        !listed.contains(again["code"].as_str().unwrap()),
        "{listed}"
    );
    json(d, &["team", "revoke", again_id], None);
    assert_eq!(
        json(d, &["team", "invites", &tid], None),
        serde_json::json!([])
    );
    let (c, e) = fails(m, &["team", "invites", &tid], None);
    assert_eq!((c, e["code"].as_str()), (2, Some("not_facilitator")), "{e}");

    let round = json(
        d,
        &[
            "team",
            "round",
            "start",
            &tid,
            "--mode",
            "egalitarian",
            "--pillar",
            "grpprosp",
            "--message",
            "Where are we heading?",
        ],
        None,
    );
    let rid = round["id"].as_str().unwrap().to_owned();
    let (c, e) = fails(
        m,
        &[
            "team",
            "round",
            "start",
            &tid,
            "--mode",
            "egalitarian",
            "--pillar",
            "grpprosp",
        ],
        None,
    );
    assert_eq!((c, e["code"].as_str()), (2, Some("not_facilitator")), "{e}");
    let open = json(m, &["team", "round", "list"], None);
    assert_eq!(open[0]["id"].as_str(), Some(rid.as_str()), "{open}");
    let human =
        String::from_utf8_lossy(&run(m, &["team", "round", "list"], None).stdout).into_owned();
    assert!(human.contains(&format!("--round {rid}")), "{human}");
    assert!(
        human.contains(": Round 1 \u{b7} Group Prospects \u{b7} "),
        "{human}"
    );

    // The member shares and answers; one of three needed.
    json(m, &["team", "consent", &tid, "on"], None);
    let a = json(
        m,
        &[
            "assessment",
            "create",
            "--pillar",
            "grpprosp",
            "--mode",
            "egalitarian",
            "--round",
            &rid,
        ],
        None,
    );
    let aid = a["id"].as_str().unwrap().to_owned();
    for q in a["questions"].as_array().unwrap() {
        json(
            m,
            &["assessment", "answer", &aid, q["id"].as_str().unwrap(), "4"],
            None,
        );
    }
    json(m, &["assessment", "complete", &aid], None);
    json(m, &["sync", "--now"], None);
    let r = json(d, &["team", "round", "results", &rid], None);
    assert_eq!(
        (r["state"].as_str(), r["label"].as_str()),
        (Some("below_threshold"), Some("1 of 3 needed")),
        "{r}"
    );
    assert_eq!(r["figures"].as_array().map(Vec::len), Some(0));
    let human = String::from_utf8_lossy(&run(d, &["team", "round", "results", &rid], None).stdout)
        .into_owned();
    assert!(human.contains("1 of 3 needed"), "{human}");
    assert!(
        human.starts_with("Round 1 \u{b7} Group Prospects \u{b7} "),
        "{human}"
    );

    let (c, e) = fails(d, &["team", "leave", &tid], None);
    assert_eq!(
        (c, e["code"].as_str()),
        (2, Some("last_facilitator")),
        "{e}"
    );
    let csv = String::from_utf8_lossy(
        &run(d, &["team", "results", &tid, "--format", "csv"], None).stdout,
    )
    .into_owned();
    assert!(
        csv.starts_with("round_id,round_number,round_started,round,mode,state,"),
        "{csv}"
    );
    assert!(!csv.contains("mem@example.test"), "{csv}");
}
