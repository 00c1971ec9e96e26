//! The installation: appearance, jobs, the doctor, recovery, AI providers.

use super::*;

pub fn appearance(a: &Appearance) -> String {
    let theme = match a.theme {
        Theme::System => "like the system",
        Theme::Light => "light",
        Theme::Dark => "dark",
    };
    format!("Theme {theme}, zoom {:.0} %\n", a.zoom * 100.0)
}

pub fn jobs(jobs: &[JobInfo]) -> String {
    let mut s = String::new();
    if jobs.is_empty() {
        s.push_str("Nothing is running.\n");
    }
    for j in jobs {
        let progress = match (j.done, j.total) {
            (Some(d), Some(t)) if t > 0 => format!(" {d}/{t}"),
            _ => String::new(),
        };
        let stage = j
            .stage
            .as_deref()
            .map_or_else(String::new, |st| format!(" ({st})"));
        let whose = if j.here { "" } else { " [other process]" };
        let _ = writeln!(
            s,
            "{}{progress}{stage}{whose}, since {}",
            j.label, j.started_at
        );
    }
    s
}

pub fn doctor(r: &DoctorReport) -> String {
    let d = &r.diagnostics;
    let mut s = String::new();
    let _ = writeln!(s, "Compilar {}", d.app_version);
    let _ = writeln!(s, "Data folder   {}", d.data_dir);
    let _ = writeln!(
        s,
        "Database      {} (SQLite {}, sqlite-vec {})",
        d.database_path, d.sqlite_version, d.vec_version
    );
    let _ = writeln!(s, "Integrity     {}", r.integrity);
    let bad: Vec<String> = r
        .migrations
        .iter()
        .filter(|m| !m.matches_build)
        .map(|m| format!("{} ({})", m.version, m.name))
        .collect();
    let _ = writeln!(
        s,
        "Migrations    schema {} ({} applied){}",
        d.schema_version,
        r.migrations.len(),
        if bad.is_empty() {
            String::new()
        } else {
            format!("; not from this build: {}", bad.join(", "))
        }
    );
    let _ = writeln!(
        s,
        "Framework     v{}, question bank v{} ({} questions); {} assessments completed, {} in progress",
        d.framework_version, d.question_bank_version, d.questions, d.assessments, d.in_progress
    );
    let _ = writeln!(
        s,
        "Keychain      {}{}",
        if r.keychain.available {
            format!("{} (available)", r.keychain.backend)
        } else {
            format!("{} (unavailable)", r.keychain.backend)
        },
        r.keychain
            .message
            .as_deref()
            .map_or_else(String::new, |m| format!(": {m}"))
    );
    for step in &r.keychain.steps {
        let _ = writeln!(s, "              - {step}");
    }
    for p in &r.providers {
        let _ = writeln!(
            s,
            "Provider      {:<22} {}{}; breaker {:?} ({} of {} failures)",
            p.label,
            p.health.label,
            p.health
                .detail
                .as_deref()
                .map_or_else(String::new, |d| format!(" ({d})")),
            p.breaker.state,
            p.breaker.consecutive_failures,
            p.breaker.failure_threshold
        );
    }
    let _ = write!(s, "Jobs          {}", jobs(&r.jobs));
    s
}

pub fn recovery(r: &compilar_core::recovery::RecoveryStatus) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Data folder   {}", r.data_dir);
    let _ = writeln!(s, "Database      {}", r.database);
    match &r.damage {
        Some(d) => {
            let _ = writeln!(s, "State         damaged: {d}");
        }
        None => {
            let _ = writeln!(s, "State         passes SQLite's check");
        }
    }
    if r.backups.is_empty() {
        let _ = writeln!(s, "Backups       none");
    } else {
        let _ = writeln!(s, "Backups       (newest first)");
        for b in &r.backups {
            let _ = writeln!(
                s,
                "  {}  {:>9}  {}  {}",
                b.taken_at,
                bytes(b.bytes),
                b.kind,
                b.path
            );
        }
    }
    for f in &r.set_aside {
        let _ = writeln!(s, "Set aside     {f}");
    }
    if r.damage.is_some() {
        let _ = writeln!(
            s,
            "\nTo recover: `compilar-cli recover --restore-backup` (newest good backup) or `--start-fresh` (empty database). The damaged file is kept."
        );
    }
    s
}

pub fn recovered(r: &compilar_core::recovery::RecoveryOutcome) -> String {
    let mut s = String::new();
    if let Some(from) = &r.restored_from {
        let _ = writeln!(s, "Restored the backup {from}.");
    } else {
        let _ = writeln!(s, "The next start begins with an empty database.");
    }
    if let Some(kept) = &r.damaged_kept_at {
        let _ = writeln!(s, "The damaged database is kept at {kept}.");
    }
    if let Some(b) = &r.kept_as_backup {
        let _ = writeln!(
            s,
            "The database before is kept as the backup {}; `compilar-cli restore --undo` brings it back.",
            b.path
        );
    }
    s
}

/// The AI providers in fallback order.
pub fn providers(s: &compilar_core::api::LlmSettings) -> String {
    let mut out = String::new();
    let mut list: Vec<&compilar_core::llm::ProviderView> = s.providers.iter().collect();
    list.sort_by_key(|p| p.settings.position);
    for p in list {
        let st = &p.settings;
        let key = if !p.needs_key {
            "no key needed".to_owned()
        } else if p.configured {
            format!("key set ({:?})", p.key_source).to_lowercase()
        } else {
            "no key yet".to_owned()
        };
        let _ = writeln!(
            out,
            "{}. {} ({}) \u{b7} {} \u{b7} {} \u{b7} {} \u{b7} {}",
            st.position + 1,
            st.label,
            st.id,
            if st.enabled { "on" } else { "off" },
            st.chat_model,
            st.base_url,
            key
        );
    }
    if !s.keychain.available {
        let _ = writeln!(
            out,
            "The keychain cannot be reached here ({}): keys can come from OPENAI_API_KEY / ANTHROPIC_API_KEY.",
            s.keychain.backend
        );
    }
    out
}

/// A provider's connection test.
pub fn connection_test(t: &compilar_core::llm::ConnectionTest) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} ({} ms)",
        t.provider,
        if t.ok { "answers" } else { "does not answer" },
        t.latency_ms
    );
    let _ = writeln!(out, "{}", t.message);
    if !t.models.is_empty() {
        let _ = writeln!(out, "Models: {}", t.models.join(", "));
    }
    out
}
