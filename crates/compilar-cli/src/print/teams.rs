//! The sync account, sync, teams, invitations, members and rounds.

use super::*;
use compilar_core::api::TokenStatus;

pub fn account(a: &compilar_core::api::AccountStatus) -> String {
    let mut s = String::new();
    match (&a.email, a.signed_in) {
        (Some(e), true) => {
            let _ = writeln!(s, "Signed in as  {e}");
        }
        (Some(e), false) if a.session_ended => {
            let _ = writeln!(
                s,
                "Signed out    the sign-in as {e} ended; sign in again (nothing waiting was lost)"
            );
        }
        (Some(e), false) => {
            let _ = writeln!(s, "Signed out    this data folder syncs with {e}");
        }
        (None, _) => {
            let _ = writeln!(s, "Not signed in (sync is off)");
            return s;
        }
    }
    if let Some(u) = &a.project_url {
        let _ = writeln!(s, "Project       {u}");
    }
    if let Some(d) = &a.device_id {
        let _ = writeln!(s, "This device   {d}");
    }
    let t = &a.token;
    let state = match t.state {
        TokenStatus::Valid => "valid",
        TokenStatus::RefreshSoon => "valid, refreshed at the next use",
        TokenStatus::Expired => "expired, refreshed at the next use",
        TokenStatus::None => "none",
    };
    let _ = writeln!(
        s,
        "Token         {state}{}{}",
        t.expires_in_s
            .filter(|n| *n > 0)
            .map_or_else(String::new, |n| format!(
                ", {} left",
                compilar_core::util::human_duration(std::time::Duration::from_secs(n as u64))
            )),
        t.verified.as_deref().map_or_else(String::new, |v| format!(
            ", signature checked {}",
            if v == "local" {
                "on this computer"
            } else {
                "by the server once"
            }
        ))
    );
    let _ = writeln!(
        s,
        "Token checks  {} ({} needed the network{})",
        t.checks,
        t.network_checks,
        t.hit_rate.map_or_else(String::new, |h| format!(
            "; {:.1} % answered locally",
            h * 100.0
        ))
    );
    let _ = writeln!(
        s,
        "Key set       {}",
        match t.key_set_age_s {
            Some(age) => format!(
                "{} key(s), fetched {} ago",
                t.key_ids.len(),
                compilar_core::util::human_duration(std::time::Duration::from_secs(age))
            ),
            None => "not fetched".into(),
        }
    );
    s
}

pub fn sync_status(st: &compilar_core::api::SyncStatus) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Sync          {}", st.label);
    if let Some(at) = &st.last_sync_at {
        let _ = writeln!(s, "Last sync     {}", at);
    }
    let _ = writeln!(s, "Waiting       {}", st.pending);
    if st.rejected > 0 {
        let _ = writeln!(
            s,
            "Not synced    {} (see `compilar-cli sync rejected`)",
            st.rejected
        );
    }
    if let Some(e) = &st.last_error {
        let _ = writeln!(s, "Last error    {} ({})", e.message, e.code);
    }
    s
}

pub fn sync_report(r: &compilar_core::api::SyncReport) -> String {
    let mut s = format!(
        "Synced in {} ms: sent {} ({} already newer on the server, {} refused) in {} batch(es); received {} ({} older than here, {} could not be applied).\n",
        r.duration_ms, r.pushed, r.ignored, r.rejected, r.batches, r.pulled, r.kept_local, r.skipped
    );
    if r.rejected > 0 {
        s.push_str("Refused changes are listed by `compilar-cli sync rejected`.\n");
    }
    s
}

pub fn sync_progress(bar: &ProgressBar, p: &compilar_core::api::SyncProgress) {
    match (p.stage.as_str(), p.total) {
        ("push", Some(t)) => {
            bar.set_length(t);
            bar.set_position(p.done);
            bar.set_message("Sending changes");
        }
        _ => {
            bar.set_length(p.done.max(1));
            bar.set_position(p.done);
            bar.set_message(format!(
                "Receiving {}",
                p.table.as_deref().unwrap_or("changes")
            ));
        }
    }
}

pub fn rejected(list: &[compilar_core::api::RejectedChange]) -> String {
    if list.is_empty() {
        return "Nothing refused: every change synced or is waiting.\n".into();
    }
    let mut s = String::new();
    for r in list {
        let _ = writeln!(
            s,
            "{}  {} {}\n    {} (code {}, {})",
            r.what, r.table, r.row_id, r.reason, r.code, r.at
        );
    }
    s
}

pub fn team(t: &compilar_core::api::Team) -> String {
    let mut s =
        format!(
        "{}{}  ({})\n    id {}\n    {} {}, {} open {}; results shown from {} responses\n    {}\n",
        t.name,
        if t.deleted { " [deleted]" } else { "" },
        t.role.as_str(),
        t.id,
        t.members,
        if t.members == 1 { "member" } else { "members" },
        t.open_rounds,
        if t.open_rounds == 1 { "round" } else { "rounds" },
        t.min_responses,
        if t.consent {
            "You share your results with this team."
        } else {
            "You do not share your results with this team (`team consent ID on` to share)."
        }
    );
    if let Some(d) = &t.description {
        let _ = writeln!(s, "    {d}");
    }
    s
}

pub fn teams(list: &[compilar_core::api::Team]) -> String {
    if list.is_empty() {
        return "You are in no team yet: `team create NAME`, or `team join CODE` with a code from a facilitator.\n"
            .into();
    }
    list.iter().map(team).collect()
}

pub fn invite(i: &compilar_core::api::Invite) -> String {
    format!(
        "Invitation code: {}\n    Link: {}\n    Works until {}{}. Shown once: copy it now.\n    Members join with `compilar-cli team join {}` or in the app (Teams), with the code or the link.\n",
        i.code,
        i.link,
        day(&i.expires_at),
        match i.uses_left {
            Some(1) => ", for one person".to_owned(),
            Some(n) => format!(", for {n} people"),
            None => String::new(),
        },
        i.code
    )
}

pub fn invites(list: &[compilar_core::api::InviteInfo]) -> String {
    if list.is_empty() {
        return "No open invitations.\n".into();
    }
    let mut s = String::new();
    for i in list {
        let _ = writeln!(
            s,
            "{}  made {} by {}, works until {}, {}",
            i.id,
            day(&i.created_at),
            if i.made_by_me {
                "you"
            } else {
                i.made_by.as_deref().unwrap_or("another facilitator")
            },
            day(&i.expires_at),
            match i.uses_left {
                None => "any number of uses".to_owned(),
                Some(1) => "1 use left".to_owned(),
                Some(n) => format!("{n} uses left"),
            }
        );
    }
    s.push_str("Stop one with `compilar-cli team revoke ID`.\n");
    s
}

pub fn members(list: &[compilar_core::api::Member]) -> String {
    let mut s = String::new();
    for m in list {
        let _ = writeln!(
            s,
            "{}{}  {}  {}{}",
            m.email.as_deref().unwrap_or("(no email)"),
            if m.me { " (you)" } else { "" },
            m.role.as_str(),
            match m.consent {
                Some(true) => "shares results",
                Some(false) => "does not share results",
                None => "",
            },
            format_args!("\n    id {}", m.user_id)
        );
    }
    s
}

pub fn round(r: &compilar_core::api::Round) -> String {
    let mut s = format!(
        "{}: {} ({}){}\n    id {}\n    {} of {} responded; results from {}\n",
        r.team_name,
        r.label,
        r.mode,
        if r.closed_at.is_some() {
            " [closed]"
        } else {
            ""
        },
        r.id,
        r.responses,
        r.members,
        r.needed
    );
    if let Some(m) = &r.message {
        let _ = writeln!(s, "    \u{201c}{m}\u{201d}");
    }
    if let Some(d) = &r.due_at {
        let _ = writeln!(s, "    due {}", day(d));
    }
    match &r.mine {
        Some(a) if a.completed && a.waiting_to_sync => {
            let _ = writeln!(s, "    You answered; it waits to sync.");
        }
        Some(a) if a.completed => {
            let _ = writeln!(s, "    You answered.");
        }
        Some(a) => {
            let _ = writeln!(s, "    You started it: assessment {}", a.assessment_id);
        }
        None if r.closed_at.is_none() => {
            let _ = writeln!(
                s,
                "    Answer it: compilar-cli {} --mode {} --round {}",
                match &r.pillar {
                    Some(p) => format!("assessment create --pillar {p}"),
                    None => "profile start".into(),
                },
                r.mode,
                r.id
            );
        }
        None => {}
    }
    s
}

pub fn rounds(list: &[compilar_core::api::Round]) -> String {
    if list.is_empty() {
        return "No rounds.\n".into();
    }
    list.iter().map(round).collect()
}

pub fn round_results(r: &compilar_core::api::RoundResults) -> String {
    let mut s = format!("{} ({}): {}\n", r.round_label, r.mode, r.label);
    for f in &r.figures {
        let _ = writeln!(
            s,
            "  {:<28} mean {:>3}  sd {:>2} ({})  {} people  bands {:?}{}",
            f.force_name.as_deref().unwrap_or(&f.pillar_name),
            Pts(f.mean),
            Pts(f.sd),
            f.spread_label.to_lowercase(),
            f.n,
            f.histogram,
            f.mine
                .map(|m| format!("  you {}", Pts(m)))
                .unwrap_or_default()
        );
    }
    s
}

pub fn team_results(t: &compilar_core::api::TeamResults) -> String {
    if t.rounds.is_empty() {
        return "No rounds yet.\n".into();
    }
    t.rounds
        .iter()
        .map(|r| {
            format!(
                "{}  {}",
                r.created_at.as_deref().map(day).unwrap_or(""),
                round_results(r)
            )
        })
        .collect()
}
