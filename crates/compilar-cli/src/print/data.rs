//! Backups, restore, export, import and deleting everything.

use super::*;

fn kind(k: &str) -> &str {
    match k {
        "auto" => "automatic",
        "manual" => "by hand",
        "before_restore" => "before a restore",
        _ => "before an upgrade",
    }
}

pub fn backup_taken(b: &compilar_core::api::BackupInfo) -> String {
    format!("Backup written: {} ({} bytes)\n", b.path, b.bytes)
}

pub fn backups(b: &compilar_core::api::Backups) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Automatic backups: {}, keeping the newest {}. Folder: {}",
        if b.settings.automatic {
            "on (daily)"
        } else {
            "off"
        },
        b.settings.keep,
        b.folder
    );
    if b.backups.is_empty() {
        let _ = writeln!(s, "No backups yet.");
    }
    for x in &b.backups {
        let _ = writeln!(
            s,
            "  {}  {:<17} {:>10} bytes  {}",
            day(&x.taken_at),
            kind(&x.kind),
            x.bytes,
            x.path
        );
    }
    if b.can_undo {
        let _ = writeln!(
            s,
            "The last restore can be undone: compilar-cli restore --undo"
        );
    }
    s
}

pub fn restored(r: &compilar_core::api::RestoreOutcome) -> String {
    match &r.set_aside {
        Some(a) => format!(
            "Restored {}. The database as it was is kept at {} (compilar-cli restore --undo brings it back).\n",
            r.restored_from, a.path
        ),
        None => format!("Restore undone: the database is back as it was before ({}).\n", r.restored_from),
    }
}

pub fn export_progress(bar: &ProgressBar, p: &compilar_core::api::ExportProgress) {
    bar.set_length(u64::from(p.total.max(1)));
    bar.set_position(u64::from(p.done));
    bar.set_message(p.stage.clone());
}

pub fn exported(s: &compilar_core::api::ExportSummary) -> String {
    let mut out = format!("Exported to {} ({} bytes): ", s.path, s.bytes);
    let parts: Vec<String> = s
        .tables
        .iter()
        .filter(|t| t.rows > 0)
        .map(|t| format!("{} {}", t.rows, t.table.replace('_', " ")))
        .collect();
    out.push_str(&if parts.is_empty() {
        "nothing yet".to_owned()
    } else {
        parts.join(", ")
    });
    let _ = writeln!(
        out,
        "; {} reports and {} conversations as Markdown; {} documents listed.",
        s.reports, s.conversations, s.documents
    );
    out
}

pub fn imported_data(s: &compilar_core::api::ImportSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (exported {}):",
        if s.dry_run {
            "Dry run, nothing written"
        } else {
            "Imported"
        },
        day(&s.exported_at)
    );
    for t in &s.tables {
        if t.added + t.updated + t.merged + t.unchanged + t.skipped == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "  {:<20} {} new, {} newer, {} merged, {} already here{}",
            t.table.replace('_', " "),
            t.added,
            t.updated,
            t.merged,
            t.unchanged,
            if t.skipped > 0 {
                format!(", {} belong to another profile", t.skipped)
            } else {
                String::new()
            }
        );
    }
    if s.documents_listed > 0 {
        let _ = writeln!(
            out,
            "  {} documents are listed in the export; their text is not in it, so import the files again.",
            s.documents_listed
        );
    }
    out
}

/// What "delete all my data" removed, each count with its noun in the right number.
pub fn deleted(o: &compilar_core::api::DeleteOutcome) -> String {
    use compilar_core::util::count;
    format!(
        "Deleted {}, {}, {}, {} and {}.\n",
        count(o.assessments as usize, "assessment", "assessments"),
        count(o.goals as usize, "goal", "goals"),
        count(o.conversations as usize, "conversation", "conversations"),
        count(o.documents as usize, "document", "documents"),
        count(o.backups_removed as usize, "backup", "backups")
    )
}
