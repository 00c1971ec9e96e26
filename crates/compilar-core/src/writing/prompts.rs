//! Every prompt Compilar sends — coaching reports, chat answers, fresh questions, content analysis and
//! guidance — in one place and versioned: a change to what a prompt asks for bumps [`PROMPT_VERSION`], which
//! is stored with each report so that old reports can be told from new ones. Tests at the bottom pin what each
//! prompt must contain.

use std::fmt::Write as _;

use crate::domain::{Force, Framework, Mode, Pillar, Pts, Results, Scale};
use crate::llm::{ChatMessage, OutputSchema, Passage, Prompt, Role};

/// The version of the prompts below.
pub const PROMPT_VERSION: u32 = 2;

/// Most tokens a coaching report may take.
pub const REPORT_MAX_TOKENS: u32 = 1_400;

const COACH_ROLE: &str = "You are the coach inside Compilar, a desktop app that helps people understand how their \
group coordinates, using the PILAR framework (Prospects, Involved, Liked, Agency, Respect; each in an egalitarian \
and a hierarchical mode, each measured through four forces scored 0-100). You are warm, concrete and honest; you \
never invent facts about the group.";

const CITATION_RULES: &str = "Ground what you say in the numbered passages below. Cite a passage by its number in \
square brackets right after the sentence it supports, like [2] or [1][3]. Cite only the numbers listed; never \
invent a passage or a number. If the passages do not cover something, say so instead of guessing.";

/// A passage as the model sees it: its number, title, where it is from, and its text.
fn passages_block(out: &mut String, passages: &[Passage]) {
    out.push_str("Passages:\n");
    for p in passages {
        let _ = writeln!(
            out,
            "[{}] {} ({}{})\n{}\n",
            p.number,
            p.title,
            if p.source_kind == "document" {
                "from the user's document "
            } else {
                ""
            },
            p.source_title,
            p.text.trim()
        );
    }
}

/// The results in plain words, for a prompt.
pub fn results_block(fw: &Framework, r: &Results) -> String {
    let mut out = String::new();
    let pillar = fw.pillar(&r.pillar).map_or(r.pillar.as_str(), |p| &p.name);
    let mode = fw
        .modes
        .iter()
        .find(|m| m.id == r.mode)
        .map_or(r.mode.as_str(), |m| &m.name);
    let _ = writeln!(
        out,
        "Pillar: {pillar} ({mode} mode). Pillar score {}/100 ({}).",
        Pts(r.pillar_score),
        r.band_label
    );
    let _ = writeln!(
        out,
        "Confidence: {:?} ({} of {} questions answered).",
        r.confidence_level, r.answered, r.total
    );
    out.push_str("Forces:\n");
    for f in &r.forces {
        match f.score {
            Some(s) => {
                let _ = writeln!(
                    out,
                    "- {}: {}/100 ({} of {} answered)",
                    f.name,
                    Pts(s),
                    f.answered,
                    f.total
                );
            }
            None => {
                let _ = writeln!(out, "- {}: not answered", f.name);
            }
        }
    }
    let scores: Vec<f64> = r.forces.iter().filter_map(|f| f.score).collect();
    if scores.len() > 1 {
        let hi = scores.iter().copied().fold(f64::MIN, f64::max);
        let lo = scores.iter().copied().fold(f64::MAX, f64::min);
        let _ = writeln!(
            out,
            "Spread between the highest and lowest force: {} points.",
            Pts::gap(hi, lo)
        );
        // The Results page's own reading, so that the report never contradicts it on ties.
        out.push_str(
            "What stands out, as the Results page says it (forces within 5 points of each other are level: \
             name them together, and never call one of them the lowest, the highest or the firmest):\n",
        );
        for h in &r.highlights {
            let _ = writeln!(out, "- {}: {}", h.label, h.text);
        }
    }
    out
}

/// The coaching report for one completed assessment.
pub fn report(fw: &Framework, r: &Results, passages: &[Passage]) -> Prompt {
    let mut system = String::from(COACH_ROLE);
    system.push_str("\n\n");
    system.push_str(CITATION_RULES);
    let mut user = String::from(
        "Write a coaching report for this assessment result, in Markdown, about 350-500 words, with these \
         sections as level-2 headings: \"Where to focus\" (the forces that need attention most, and why), \"What \
         is holding up\" (what the group can build on), \"The ripple effect\" (how this pillar affects the \
         others), \"Practices to try\" (two to four concrete practices) and \"Questions to reflect on\" (three \
         questions). Use words that fit each score: call a force strong only if it scores 70 or more. If the \
         confidence is low, say at the start that the result is a first impression.\n\n",
    );
    user.push_str(&results_block(fw, r));
    user.push('\n');
    report_prompt(system, user, passages)
}

/// A round's team results in plain words, for a prompt: per pillar and force the mean, the spread and how
/// many people's scores fell in each band, in whole points, named from the framework (figures with ids it does
/// not know never get here). Aggregates only (the reader's own score is left out; there is no minimum or
/// maximum, which would be someone's own score).
pub fn team_block(r: &crate::capabilities::teams::dto::RoundResults) -> String {
    let mut out = String::new();
    let mode = &r.mode;
    let _ = writeln!(
        out,
        "Round: {} ({mode} mode), {} people's results counted.",
        r.round_label,
        r.counted.unwrap_or(r.responses)
    );
    for f in &r.figures {
        let name = match &f.force_name {
            Some(n) => format!("  - Force {n}"),
            None => format!("Pillar {}", f.pillar_name),
        };
        let _ = writeln!(
            out,
            "{name}: mean {}/100, standard deviation {} ({}), {} people; people per band \
             (below 20, 20-40, 40-60, 60-80, 80+): {:?}",
            Pts(f.mean),
            Pts(f.sd),
            f.spread_label.to_lowercase(),
            f.n,
            f.histogram
        );
    }
    out
}

/// The coaching report on a team's round, for its facilitator and the team: from the aggregates only.
pub fn team_report(
    r: &crate::capabilities::teams::dto::RoundResults,
    passages: &[Passage],
) -> Prompt {
    let mut system = String::from(COACH_ROLE);
    system.push_str(
        "\n\nYou are writing for the facilitator of a team, about the team's results of a group round. You see \
         only aggregates over the members who answered (means, spread, how many fell in each band), \
         never any one member's answers: never guess at what an individual answered or who they are, and write \
         so that the report can be shared with the whole team.",
    );
    system.push_str("\n\n");
    system.push_str(CITATION_RULES);
    let mut user = String::from(
        "Write a coaching report on these team results, in Markdown, about 350-500 words, with these sections \
         as level-2 headings: \"How the team sees itself\" (each pillar's mean in words), \"Where to focus \
         together\" (the forces that need attention most, and why), \"Where views differ\" (forces with a wide \
         spread, where the average hides members who see it differently; say so plainly if scores sit \
         close together), \"What the team can build on\", \"Practices to try together\" (two to four) and \
         \"For the team conversation\" (three questions), then \"Next steps for the facilitator\" (three short \
         bullets). Call a force strong only if its mean is 70 or more.\n\n",
    );
    user.push_str(&team_block(r));
    user.push('\n');
    report_prompt(system, user, passages)
}

/// A report's prompt: its instructions, the results (one person's or a team's), then the passages to cite.
fn report_prompt(system: String, mut user: String, passages: &[Passage]) -> Prompt {
    passages_block(&mut user, passages);
    Prompt {
        system: Some(system),
        messages: vec![ChatMessage {
            role: Role::User,
            content: user,
        }],
        max_tokens: REPORT_MAX_TOKENS,
        temperature: Some(0.4),
        schema: None,
    }
}

/// Most tokens one chat answer may take.
pub const CHAT_MAX_TOKENS: u32 = 1_024;
/// What one chat prompt may use (system prompt, results, passages, history and the question, at about four
/// characters a token): fits the smallest context the providers are set up with (Ollama's default `num_ctx`
/// of 8,192) with room for the answer. Older messages are left out first.
pub const CHAT_BUDGET_TOKENS: u32 = 6_000;

/// A chat prompt and how many earlier messages were left out to fit [`CHAT_BUDGET_TOKENS`].
pub struct ChatPrompt {
    pub prompt: Prompt,
    pub trimmed: u32,
}

/// A coach chat answer: the results the user included, the passages retrieved for the question, as much of
/// the conversation as fits (newest kept), and the question.
pub fn chat(
    fw: &Framework,
    results: &[Results],
    passages: &[Passage],
    history: &[ChatMessage],
    question: &str,
) -> ChatPrompt {
    let mut system = String::from(COACH_ROLE);
    system.push_str(
        "\n\nYou are in a conversation with someone about their group. Answer their question in Markdown, briefly \
         (usually under 250 words), concretely, and ask a follow-up question when it helps.",
    );
    system.push_str("\n\n");
    system.push_str(CITATION_RULES);
    if results.is_empty() {
        system.push_str("\n\nThe user has not shared any assessment results in this conversation.");
    } else {
        system.push_str("\n\nResults the user chose to share:\n");
        for r in results {
            system.push('\n');
            system.push_str(&results_block(fw, r));
        }
    }
    system.push('\n');
    passages_block(&mut system, passages);
    let question = ChatMessage {
        role: Role::User,
        content: question.to_owned(),
    };
    let mut prompt = Prompt {
        system: Some(system),
        messages: vec![question.clone()],
        max_tokens: CHAT_MAX_TOKENS,
        temperature: Some(0.5),
        schema: None,
    };
    // Newest history first, while it fits; a conversation must start with the user's turn.
    let mut kept: Vec<ChatMessage> = Vec::new();
    let mut used = prompt.estimated_tokens();
    for m in history.iter().rev() {
        let cost = (m.content.len() as u32 + 4) / 4 + 1;
        if used + cost > CHAT_BUDGET_TOKENS {
            break;
        }
        used += cost;
        kept.push(m.clone());
    }
    while kept.last().is_some_and(|m| m.role != Role::User) {
        kept.pop();
    }
    let trimmed = (history.len() - kept.len()) as u32;
    kept.reverse();
    kept.push(question);
    prompt.messages = kept;
    ChatPrompt { prompt, trimmed }
}

/// Fresh questions: `count` statements for `pillar`, avoiding the bank's `existing` ones (`(force, text)`).
#[allow(clippy::too_many_arguments)]
pub fn questions(
    pillar: &Pillar,
    mode: &Mode,
    forces: &[&Force],
    existing: &[(String, String)],
    scale: &Scale,
    count: u32,
    difficulty: &str,
    length: (usize, usize),
    schema: OutputSchema,
) -> Prompt {
    let forces_text: Vec<String> = forces
        .iter()
        .map(|f| format!("- {}: {} {}", f.id, f.name, f.description))
        .collect();
    let bank: Vec<String> = existing
        .iter()
        .map(|(f, t)| format!("- ({f}) {t}"))
        .collect();
    let user = format!(
        "Write {count} new Likert statements for the pillar {} ({} mode): {}\n\n\
         Each statement measures exactly one of these forces (use its id):\n{}\n\n\
         People answer each statement from {} ({}) to {} ({}). Write statements, not questions, {} to {} \
         characters, about the group as its members experience it. Set reverse to true when agreeing means the \
         force is weak. Spread them over the forces. {}\n\n\
         Do not repeat or paraphrase these existing statements:\n{}\n\n\
         Answer with JSON only: {{\"questions\": [{{\"force\", \"text\", \"reverse\", \"scale_min\": {}, \"scale_max\": {}}}]}}.",
        pillar.name,
        mode.name,
        pillar.description,
        forces_text.join("\n"),
        scale.min,
        scale.labels.first().map_or("", String::as_str),
        scale.max,
        scale.labels.last().map_or("", String::as_str),
        length.0,
        length.1,
        match difficulty {
            "easier" => "Keep them plain and concrete, easy for anyone to answer.",
            "harder" => "Make them subtle: situations where the force shows only under pressure.",
            _ => "",
        },
        bank.join("\n"),
        scale.min,
        scale.max,
    );
    Prompt {
        system: Some(
            "You write survey items for Compilar, an app that assesses how groups coordinate with the PILAR \
             framework. You answer with JSON only."
                .into(),
        ),
        messages: vec![ChatMessage {
            role: Role::User,
            content: user,
        }],
        max_tokens: 200 + count * 120,
        temperature: Some(0.8),
        schema: Some(schema),
    }
}

/// The second try for fresh questions: what could be used, the problems, and how many are still wanted.
pub fn questions_retry(usable: usize, problems: &[String], missing: u32) -> String {
    format!(
        "{usable} of those could be used. Problems:\n- {}\n\nWrite {missing} more statements that fix these \
         problems and repeat none of the statements so far, as JSON in the same shape.",
        if problems.is_empty() {
            "too few statements".to_owned()
        } else {
            problems.join("\n- ")
        }
    )
}

/// Content analysis of `text` for `pillars` (each with its forces), in `schema`.
pub fn analysis(
    text: &str,
    pillars: &[(&Pillar, Vec<&Force>)],
    limits: (usize, usize, usize),
    schema: OutputSchema,
) -> Prompt {
    let (quotes, themes, recommendations) = limits;
    let mut list = String::new();
    for (p, forces) in pillars {
        let _ = writeln!(
            list,
            "- pillar {} ({}, {} mode): {}",
            p.id, p.name, p.mode, p.description
        );
        for f in forces {
            let _ = writeln!(list, "  - force {} ({}): {}", f.id, f.name, f.description);
        }
    }
    Prompt {
        system: Some(
            "You analyse texts for Compilar, an app about how groups coordinate (the PILAR framework). You \
             answer with JSON only, and you quote the text exactly."
                .into(),
        ),
        messages: vec![ChatMessage {
            role: Role::User,
            content: format!(
                "How does the text below reflect each of these pillars and their forces?\n{list}\n\
                 For each pillar and force give an alignment from 0 (the text shows it badly or working against \
                 the group) to 100 (the text shows it strongly, working for the group), and up to {quotes} short \
                 quotes copied exactly from the text as evidence (none if the text says nothing about it). Then \
                 up to {themes} key themes and up to {recommendations} recommendations.\n\n<text>\n{text}\n</text>"
            ),
        }],
        max_tokens: 3_000,
        temperature: Some(0.2),
        schema: Some(schema),
    }
}

/// Tips for where the user is, described by `context`.
pub fn guidance(context: String, schema: OutputSchema) -> Prompt {
    Prompt {
        system: Some(
            "You are the coach inside Compilar (PILAR framework: Prospects, Involved, Liked, Agency, Respect). \
             Give at most three short, concrete tips (one or two sentences each) for where the user is. Answer \
             with JSON only: {\"tips\": [..]}."
                .into(),
        ),
        messages: vec![ChatMessage {
            role: Role::User,
            content: context,
        }],
        max_tokens: 400,
        temperature: Some(0.5),
        schema: Some(schema),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Domain;
    use std::collections::HashMap;

    fn results() -> (Domain, Results) {
        let d = Domain::builtin().unwrap();
        let ids = d.bank.shuffled_ids("divsexp", 1);
        let answers: HashMap<String, i64> = ids
            .iter()
            .enumerate()
            .map(|(i, q)| (q.clone(), 1 + (i as i64 % 5)))
            .collect();
        let r = crate::domain::scoring::score(&d, "divsexp", &ids, &answers).unwrap();
        (d, r)
    }

    fn passage(n: u32) -> Passage {
        Passage {
            number: n,
            chunk_id: n as i64,
            passage_id: format!("p{n}"),
            title: format!("Title {n}"),
            text: format!("Body {n}."),
            source_title: "PILAR knowledge base".into(),
            source_kind: "builtin".into(),
            category: "practice".into(),
            force: None,
        }
    }

    #[test]
    fn the_report_prompt_carries_the_scores_the_numbered_passages_and_the_citation_rules() {
        let (d, r) = results();
        let p = report(&d.framework, &r, &[passage(1), passage(2)]);
        let system = p.system.unwrap();
        assert!(system.contains("PILAR"));
        assert!(system.contains("Cite only the numbers listed"));
        let user = &p.messages[0].content;
        assert!(
            user.contains("Diverse Expression (Egalitarian mode)"),
            "{user}"
        );
        for f in &r.forces {
            assert!(user.contains(&f.name), "{}", f.name);
        }
        assert!(user.contains("[1] Title 1"));
        assert!(user.contains("[2] Title 2"));
        assert!(user.contains("Where to focus") && user.contains("Questions to reflect on"));
        assert!(user.contains("Spread between"));
        assert_eq!(p.max_tokens, REPORT_MAX_TOKENS);
    }

    #[test]
    fn chat_keeps_the_newest_history_that_fits_and_says_how_much_was_left_out() {
        let (d, r) = results();
        let turn = |i: usize| ChatMessage {
            role: if i.is_multiple_of(2) {
                Role::User
            } else {
                Role::Assistant
            },
            content: format!("message {i} ") + &"x".repeat(2_000),
        };
        let history: Vec<ChatMessage> = (0..40).map(turn).collect();
        let c = chat(
            &d.framework,
            std::slice::from_ref(&r),
            &[passage(1)],
            &history,
            "And now?",
        );
        assert!(c.trimmed > 0 && c.trimmed < 40, "{}", c.trimmed);
        assert!(c.prompt.estimated_tokens() <= CHAT_BUDGET_TOKENS);
        let m = &c.prompt.messages;
        assert_eq!(m.first().unwrap().role, Role::User, "starts with the user");
        assert_eq!(m.last().unwrap().content, "And now?");
        assert!(
            m[m.len() - 2].content.starts_with("message 39 "),
            "the newest is kept"
        );
        assert_eq!(c.trimmed as usize + m.len() - 1, 40);
        let system = c.prompt.system.unwrap();
        assert!(system.contains("Results the user chose to share"));
        assert!(system.contains("Diverse Expression"));
        assert!(system.contains("[1] Title 1"));
        // Short conversations go whole; no results is said plainly.
        let c = chat(&d.framework, &[], &[], &history[..2], "Hi");
        assert_eq!((c.trimmed, c.prompt.messages.len()), (0, 3));
        assert!(c
            .prompt
            .system
            .unwrap()
            .contains("has not shared any assessment results"));
    }

    fn schema() -> OutputSchema {
        OutputSchema {
            name: "s".into(),
            description: "d".into(),
            schema: serde_json::json!({"type": "object"}),
        }
    }

    #[test]
    fn the_questions_prompt_names_the_pillar_its_forces_the_scale_and_the_bank_to_avoid() {
        let d = Domain::builtin().unwrap();
        let (p, m) = d.pillar_in_mode("grpprosp", "egalitarian").unwrap();
        let forces = d.framework.forces_of(p);
        let existing: Vec<(String, String)> = d
            .bank
            .for_pillar("grpprosp")
            .map(|q| (q.force.clone(), q.text.clone()))
            .collect();
        let pr = questions(
            p,
            m,
            &forces,
            &existing,
            &d.bank.scale,
            7,
            "harder",
            (20, 200),
            schema(),
        );
        let u = &pr.messages[0].content;
        assert!(u.starts_with(
            "Write 7 new Likert statements for the pillar Group Prospects (Egalitarian mode)"
        ));
        assert!(u.contains("- goal_clarity: Goal clarity"));
        assert!(u.contains("from 1 (Strongly disagree) to 5 (Strongly agree)"));
        assert!(u.contains("20 to 200 characters"));
        assert!(u.contains("shows only under pressure"));
        assert!(u.contains(&format!("({}) {}", existing[0].0, existing[0].1)));
        assert!(u.contains("\"scale_min\": 1, \"scale_max\": 5"));
        assert!(pr.schema.is_some());
        assert_eq!(pr.max_tokens, 200 + 7 * 120);
        let retry = questions_retry(2, &["\u{201c}x\u{201d}: a question".into()], 5);
        assert!(retry
            .starts_with("2 of those could be used. Problems:\n- \u{201c}x\u{201d}: a question"));
        assert!(retry.contains("Write 5 more statements"));
    }

    #[test]
    fn the_analysis_prompt_carries_the_text_and_asks_for_exact_quotes() {
        let d = Domain::builtin().unwrap();
        let p = d.framework.pillar("divsexp").unwrap();
        let pillars = vec![(p, d.framework.forces_of(p))];
        let pr = analysis("We never disagree.", &pillars, (3, 8, 6), schema());
        let u = &pr.messages[0].content;
        assert!(u.contains("- pillar divsexp (Diverse Expression, egalitarian mode)"));
        assert!(u.contains("  - force voice_safety (Voice safety)"));
        assert!(u.contains("up to 3 short quotes copied exactly from the text"));
        assert!(u.ends_with("<text>\nWe never disagree.\n</text>"));
        assert!(pr.system.unwrap().contains("quote the text exactly"));
    }

    #[test]
    fn the_guidance_prompt_asks_for_three_short_tips_as_json() {
        let pr = guidance("The user is choosing a pillar.".into(), schema());
        assert!(pr
            .system
            .as_deref()
            .unwrap()
            .contains("at most three short, concrete tips"));
        assert_eq!(pr.messages[0].content, "The user is choosing a pillar.");
        assert_eq!(pr.max_tokens, 400);
    }

    #[test]
    fn a_users_document_is_named_as_theirs() {
        let (d, r) = results();
        let mut p = passage(1);
        p.source_kind = "document".into();
        p.source_title = "Team retro notes".into();
        let prompt = report(&d.framework, &r, &[p]);
        assert!(prompt.messages[0]
            .content
            .contains("from the user's document Team retro notes"));
    }
}
