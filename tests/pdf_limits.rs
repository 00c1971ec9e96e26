//! PDFs that unpack far past their size (decompression bombs) are refused while memory stays bounded.
//!
//! Its own test binary, one test at a time, so the process's peak memory (VmHWM, reset through
//! `/proc/self/clear_refs` before each import) is what that import cost. The ceiling checked here is the
//! one documented in docs/performance.md.

#[path = "common/pdf_bombs.rs"]
mod bombs;
mod common;

use compilar_core::api::ImportDocumentRequest;

/// The most an import may add to the process's peak memory (documented in docs/performance.md).
const CEILING_MB: u64 = 400;

fn peak_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Imports `bytes` as a PDF; returns the error code (or "ok") and the peak memory it added, in MB.
async fn import(t: &common::TestApp, name: &str, bytes: &[u8]) -> (String, u64) {
    let path = t.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    // Resets the peak to the current resident size (Linux 4.0+).
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = rss_kb();
    let result = t
        .app
        .documents()
        .import(
            ImportDocumentRequest {
                path: path.display().to_string(),
                import_id: name.into(),
            },
            |_| {},
        )
        .await;
    let added = peak_kb().saturating_sub(before) / 1024;
    let code = match result {
        Ok(_) => "ok".to_string(),
        Err(e) => e.code().to_string(),
    };
    println!(
        "{name}: {} KB file → {code}, peak +{added} MB",
        bytes.len() / 1024
    );
    (code, added)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_are_refused_within_the_memory_ceiling() {
    let t = common::open().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // The reported case: about 0.78 MB that inflates to 768 MiB in one content stream.
        ("content-768MiB.pdf", bombs::content(768 << 20)),
        ("object-stream-256MiB.pdf", bombs::object_stream(256 << 20)),
        ("xref-stream-256MiB.pdf", bombs::xref_stream(256 << 20)),
        // 4 MiB drawn 2,000 times by one page: small streams, 8 GB of work.
        (
            "repeated-content.pdf",
            bombs::repeated_content(4 << 20, 2_000),
        ),
        ("self-drawing-form.pdf", bombs::self_drawing_form()),
    ];
    for (name, bytes) in &cases {
        assert!(bytes.len() < 1 << 20, "{name} is {} bytes", bytes.len());
        let (code, added) = import(&t, name, bytes).await;
        assert_eq!(code, "document_expands_too_far", "{name}");
        assert!(added < CEILING_MB, "{name}: +{added} MB");
    }
    // Nothing was stored.
    assert!(t.app.documents().list().await.unwrap().is_empty());
    // Just under the limits is read: a page of text followed by almost 3 MiB of spaces.
    let (code, added) = import(&t, "big-but-fine.pdf", &bombs::content((3 << 20) - 4096)).await;
    assert_eq!(code, "ok");
    assert!(added < CEILING_MB, "big-but-fine: +{added} MB");
    // The densest page within the limits: just under 3 MiB of path operators, each a parsed operation.
    let (code, added) = import(
        &t,
        "dense.pdf",
        &bombs::dense_content(b"1 1 m\n", (3 << 20) - 4096),
    )
    .await;
    assert_eq!(code, "ok", "dense");
    assert!(added < CEILING_MB, "dense: +{added} MB");
    // Past it, the page is skipped; a document of only such pages is refused.
    let (code, added) = import(
        &t,
        "denser.pdf",
        &bombs::dense_content(b"1 1 m\n", 31 << 20),
    )
    .await;
    assert_eq!(code, "document_expands_too_far", "denser");
    assert!(added < CEILING_MB, "denser: +{added} MB");
    // The largest text file accepted, for comparison (a Markdown file just under the 50 MB limit).
    if let Ok(mb) = std::env::var("TEXT_IMPORT_MB") {
        let mb: usize = mb.parse().unwrap();
        // Every paragraph different (repeated passages are stored once).
        let mut text = String::with_capacity(mb << 20);
        let mut i = 0u64;
        while text.len() < (mb << 20) - 200 {
            text.push_str(&format!(
                "On shift {i} the harbour pilots agree who decides when the fog rolls in at quay {}.\n\n",
                i * 7919 % 10007
            ));
            i += 1;
        }
        let started = std::time::Instant::now();
        let (code, added) = import(&t, "big.md", text.as_bytes()).await;
        println!(
            "{mb} MB of Markdown: {code}, {:.1} s",
            started.elapsed().as_secs_f64()
        );
        assert!(added < CEILING_MB, "text: +{added} MB");
    }
}
