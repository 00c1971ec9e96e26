//! How fast `compilar-cli` answers: whole-process wall time (start, open the data folder, one core call,
//! print, exit) of the built binary on a warm data folder, for the commands that touch little. Run with
//! `cargo bench -p compilar-cli --bench startup`; prints p50, p95 and the slowest of each command.

use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 40;

fn cli(dir: &std::path::Path, args: &[&str]) -> (Duration, String) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_compilar-cli"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run compilar-cli");
    let took = t.elapsed();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{name:<34} p50 {:>6.1} ms   p95 {:>6.1} ms   max {:>6.1} ms",
        ms(v[v.len() / 2]),
        ms(v[v.len() * 95 / 100]),
        ms(v[v.len() - 1])
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path();
    // First run: creates the database and applies the migrations (not timed as "warm").
    let (first, out) = cli(
        path,
        &[
            "--json",
            "assessment",
            "create",
            "--pillar",
            "grpprosp",
            "--mode",
            "egalitarian",
        ],
    );
    let a: serde_json::Value = serde_json::from_str(&out).expect("json");
    let id = a["id"].as_str().expect("id").to_owned();
    let qs: Vec<String> = a["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| q["id"].as_str().expect("question id").to_owned())
        .collect();
    println!("compilar-cli on a warm data folder, {RUNS} runs each (first run on a new folder: {:.1} ms)", first.as_secs_f64() * 1e3);
    let mut show = Vec::new();
    let mut answer = Vec::new();
    let mut list = Vec::new();
    for i in 0..RUNS {
        show.push(cli(path, &["assessment", "show", &id]).0);
        let q = &qs[i % qs.len()];
        let v = (i % 5 + 1).to_string();
        answer.push(cli(path, &["assessment", "answer", &id, q, &v]).0);
        list.push(cli(path, &["assessment", "list"]).0);
    }
    report("assessment show", show);
    report("assessment answer", answer);
    report("assessment list", list);
    let mut search = Vec::new();
    for _ in 0..10 {
        search.push(cli(path, &["search", "people feel safe to speak up"]).0);
    }
    report("search (loads the model), 10 runs", search);
}
