//! The knowledge base through the facade: the shipped passages are indexed at start-up (and again when they
//! change), hybrid search finds what people ask for in their own words (hit@5 on a relevance set), filters are
//! applied inside the search, and bad input gets typed errors.

use crate::common;

use compilar_core::api::{SearchMethod, SearchRequest};
use compilar_core::App;

mod documents;
mod index;
mod models;
mod relevance;

fn import_req(path: &std::path::Path, id: &str) -> compilar_core::api::ImportDocumentRequest {
    compilar_core::api::ImportDocumentRequest {
        path: path.display().to_string(),
        import_id: id.into(),
    }
}

/// Questions in users' words, each with the passages that answer it (any one in the top 5 is a hit).
const RELEVANCE: &[(&str, &[&str])] = &[
    (
        "people are afraid to disagree with the boss",
        &[
            "force.voice_safety.hierarchical.signs",
            "force.voice_safety.hierarchical.practice",
        ],
    ),
    (
        "nobody speaks up in our team meetings",
        &[
            "force.voice_safety.egalitarian.signs",
            "force.voice_safety.egalitarian.practice",
            "pillar.divsexp.signs",
            "pillar.divsexp.reflection",
        ],
    ),
    (
        "decisions take forever because everyone has to agree",
        &[
            "force.decision_speed.egalitarian.signs",
            "force.decision_speed.egalitarian.practice",
            "mode.egalitarian.practice",
        ],
    ),
    (
        "we don't really know what we are working towards",
        &[
            "force.goal_clarity.egalitarian.signs",
            "force.goal_clarity.egalitarian.practice",
            "force.goal_clarity.hierarchical.signs",
            "pillar.grpprosp.reflection",
        ],
    ),
    (
        "promotions seem random and political",
        &[
            "pillar.ownprosp.signs",
            "force.legitimacy.hierarchical.signs",
            "force.legitimacy.hierarchical.practice",
            "force.incentive_alignment.hierarchical.signs",
            "pillar.ownprosp.reflection",
        ],
    ),
    (
        "new colleagues feel left out",
        &[
            "force.belonging.egalitarian.signs",
            "force.belonging.egalitarian.practice",
            "pillar.popularity.signs",
            "pillar.popularity.reflection",
        ],
    ),
    (
        "some people only take and never give help back",
        &[
            "force.debt_obligation.egalitarian.signs",
            "pillar.indrecip.signs",
            "force.debt_obligation.egalitarian.practice",
            "pillar.indrecip.reflection",
        ],
    ),
    (
        "getting help from another department takes weeks",
        &[
            "force.transaction_cost.hierarchical.signs",
            "force.transaction_cost.hierarchical.practice",
            "force.help_norms.hierarchical.signs",
            "pillar.dirrecip.signs",
            "pillar.dirrecip.reflection",
        ],
    ),
    (
        "my manager micromanages everything",
        &[
            "force.trust_signals.hierarchical.signs",
            "force.trust_signals.hierarchical.practice",
        ],
    ),
    (
        "our bonus system rewards the wrong behaviour",
        &[
            "force.incentive_alignment.hierarchical.signs",
            "force.incentive_alignment.hierarchical.practice",
        ],
    ),
    (
        "the rules here make no sense anymore",
        &[
            "force.norm_pressure.hierarchical.signs",
            "force.norm_pressure.hierarchical.practice",
            "pillar.normexp.signs",
            "pillar.normexp.reflection",
        ],
    ),
    (
        "everyone just goes along with the group, groupthink",
        &[
            "force.norm_pressure.egalitarian.signs",
            "force.norm_pressure.egalitarian.practice",
        ],
    ),
    (
        "information only flows to insiders",
        &[
            "force.resource_fairness.egalitarian.signs",
            "force.resource_fairness.egalitarian.practice",
        ],
    ),
    (
        "budget allocation between teams feels unfair",
        &[
            "force.resource_fairness.hierarchical.signs",
            "force.resource_fairness.hierarchical.practice",
        ],
    ),
    (
        "we keep reinventing what a colleague already solved",
        &[
            "force.learning_emulation.egalitarian.signs",
            "force.learning_emulation.egalitarian.practice",
            "pillar.outresp.signs",
        ],
    ),
    (
        "nobody wants to become like their managers",
        &[
            "force.learning_emulation.hierarchical.signs",
            "pillar.incresp.reflection",
            "force.learning_emulation.hierarchical.practice",
        ],
    ),
    (
        "leaders keep their influence after repeated failures",
        &[
            "force.credibility_loop.hierarchical.signs",
            "force.credibility_loop.hierarchical.practice",
        ],
    ),
    (
        "specialists get overruled by managers who know less",
        &[
            "force.competence_signals.hierarchical.signs",
            "force.competence_signals.hierarchical.practice",
            "pillar.incresp.signs",
        ],
    ),
    (
        "I don't know who is good at what in my team",
        &[
            "force.competence_signals.egalitarian.signs",
            "force.competence_signals.egalitarian.practice",
        ],
    ),
    (
        "people are worried about the future of the group",
        &[
            "force.future_confidence.egalitarian.signs",
            "force.future_confidence.egalitarian.practice",
            "pillar.grpprosp.signs",
        ],
    ),
    (
        "staff update their CV and hear about reorganisations through rumours",
        &[
            "force.future_confidence.hierarchical.signs",
            "force.future_confidence.hierarchical.practice",
        ],
    ),
    (
        "we agree on changes in meetings and then nothing happens",
        &[
            "force.change_capacity.egalitarian.signs",
            "force.change_capacity.egalitarian.practice",
        ],
    ),
    (
        "initiatives from the top are announced and forgotten",
        &[
            "force.change_capacity.hierarchical.signs",
            "force.change_capacity.hierarchical.practice",
        ],
    ),
    (
        "team members are overloaded and nobody notices",
        &[
            "force.social_support.egalitarian.signs",
            "force.social_support.egalitarian.practice",
        ],
    ),
    (
        "mistakes get punished so people hide problems",
        &[
            "force.social_support.hierarchical.signs",
            "force.social_support.hierarchical.practice",
            "force.voice_safety.hierarchical.signs",
        ],
    ),
    (
        "ideas from junior staff never reach leadership",
        &[
            "force.influence_channels.hierarchical.signs",
            "force.influence_channels.hierarchical.practice",
        ],
    ),
    (
        "only ideas from the popular people get adopted",
        &[
            "force.influence_channels.egalitarian.signs",
            "force.influence_channels.egalitarian.practice",
            "force.legitimacy.egalitarian.signs",
        ],
    ),
    (
        "the loudest person in the room always wins",
        &[
            "force.legitimacy.egalitarian.signs",
            "pillar.divsexp.signs",
            "pillar.popularity.signs",
        ],
    ),
    (
        "what is the difference between peer-based and authority-based coordination",
        &["mode.egalitarian.overview", "mode.hierarchical.overview"],
    ),
    (
        "how do we make a flat team without a boss work",
        &["mode.egalitarian.practice", "mode.egalitarian.overview"],
    ),
    (
        "favours between teams are never returned",
        &[
            "force.debt_obligation.hierarchical.signs",
            "force.debt_obligation.hierarchical.practice",
            "pillar.dirrecip.signs",
        ],
    ),
    (
        "we don't share the same picture of where we are heading",
        &[
            "force.shared_vision.egalitarian.signs",
            "force.shared_vision.egalitarian.practice",
        ],
    ),
    (
        "the company vision is just a poster nobody reads",
        &[
            "force.shared_vision.hierarchical.signs",
            "force.shared_vision.hierarchical.practice",
        ],
    ),
    (
        "does wanting to be liked stop people from disagreeing",
        &[
            "connection.egalitarian.popularity.divsexp",
            "connection.egalitarian.divsexp.popularity",
        ],
    ),
    (
        "does helping each other make the group's future more believable",
        &[
            "connection.egalitarian.indrecip.grpprosp",
            "connection.egalitarian.grpprosp.indrecip",
        ],
    ),
    (
        "questions to reflect on about respect between colleagues",
        &["pillar.outresp.reflection"],
    ),
    (
        "people don't trust each other's intentions",
        &[
            "force.trust_signals.egalitarian.signs",
            "force.trust_signals.egalitarian.practice",
        ],
    ),
    (
        "people chase visibility and status games instead of results",
        &["pillar.status.signs", "pillar.status.reflection"],
    ),
    (
        "there are cliques in the team",
        &[
            "pillar.popularity.signs",
            "force.belonging.egalitarian.signs",
            "force.belonging.egalitarian.practice",
        ],
    ),
    (
        "asking for help feels like owing a debt",
        &[
            "force.debt_obligation.egalitarian.signs",
            "force.debt_obligation.egalitarian.practice",
            "pillar.indrecip.signs",
            "force.help_norms.egalitarian.signs",
        ],
    ),
    (
        "how can we celebrate progress together",
        &[
            "pillar.grpprosp.reflection",
            "force.future_confidence.egalitarian.practice",
        ],
    ),
    (
        "does forcing people to conform destroy respect",
        &[
            "connection.hierarchical.normexp.incresp",
            "force.norm_pressure.hierarchical.signs",
        ],
    ),
    (
        "authority is obeyed but not respected",
        &[
            "pillar.incresp.signs",
            "force.legitimacy.hierarchical.signs",
            "connection.hierarchical.incresp.status",
        ],
    ),
    (
        "how do I welcome a newcomer to the group",
        &[
            "force.belonging.egalitarian.practice",
            "pillar.popularity.reflection",
        ],
    ),
];

/// Hybrid hit@5 must not drop below the value reached (1.0 on 44 queries; vector-only 0.93, text-only 0.98).
const HYBRID_HIT_AT_5_FLOOR: f64 = 1.0;

#[tokio::test]
async fn filters_apply_inside_the_search_and_results_carry_everything() {
    let t = common::open().await;
    // Group Prospects has about 15 passages; a filter applied after a top-k would return fewer than asked.
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "how do people help each other".into(),
            pillar: Some("grpprosp".into()),
            count: Some(12),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 12);
    assert!(r
        .hits
        .iter()
        .all(|h| h.pillar.as_deref() == Some("grpprosp")));
    for method in [SearchMethod::Vector, SearchMethod::Text] {
        let r = t
            .app
            .knowledge()
            .search(SearchRequest {
                query: "trust respect help".into(),
                mode: Some("hierarchical".into()),
                category: Some("practice".into()),
                method: Some(method),
                count: Some(20),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(!r.hits.is_empty());
        assert!(r
            .hits
            .iter()
            .all(|h| h.mode.as_deref() == Some("hierarchical") && h.category == "practice"));
    }
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "speaking up".into(),
            force: Some("voice_safety".into()),
            source: Some("builtin".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 4, "two modes × signs and practice");
    let h = &r.hits[0];
    assert_eq!(h.source.kind, "builtin");
    assert!(h.passage_id.starts_with("force.voice_safety."));
    assert!(h.snippet.iter().any(|p| p.hit), "{:?}", h.snippet);
    assert!(h.similarity > 0.0 && h.similarity <= 1.0);
    assert!(h.score > 0.0 && h.score <= 1.0);
    assert!(h.vector_rank.is_some() || h.text_rank.is_some());
    assert_eq!(r.model, "local:potion-base-8M");

    // No documents yet: the documents filter finds nothing.
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "speaking up".into(),
            source: Some("documents".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.hits.is_empty());

    // A minimum similarity drops weak matches; a count above the maximum is capped and says so.
    let all = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "psychological safety".into(),
            count: Some(500),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(all.capped);
    assert_eq!(all.count, 50);
    let strict = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "psychological safety".into(),
            count: Some(50),
            min_score: Some(0.5),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!strict.capped);
    assert!(strict.hits.len() < all.hits.len());
    assert!(strict.hits.iter().all(|h| h.similarity >= 0.5));
}

#[tokio::test]
async fn bad_queries_get_typed_errors_and_syntax_is_harmless() {
    let t = common::open().await;
    let req = |q: &str| SearchRequest {
        query: q.into(),
        ..Default::default()
    };
    let cases: Vec<(SearchRequest, &str)> = vec![
        (req(""), "empty_input"),
        (req("   \n\t"), "empty_input"),
        (req(&"x".repeat(5001)), "payload_too_large"),
        (
            SearchRequest {
                mode: Some("flat".into()),
                ..req("trust")
            },
            "unknown_mode",
        ),
        (
            SearchRequest {
                pillar: Some("nope".into()),
                ..req("trust")
            },
            "unknown_pillar",
        ),
        (
            SearchRequest {
                pillar: Some("status".into()),
                mode: Some("egalitarian".into()),
                ..req("trust")
            },
            "pillar_mode_mismatch",
        ),
        (
            SearchRequest {
                force: Some("charisma".into()),
                ..req("trust")
            },
            "unknown_force",
        ),
        (
            SearchRequest {
                category: Some("gossip".into()),
                ..req("trust")
            },
            "unknown_category",
        ),
        (
            SearchRequest {
                source: Some("not-an-id".into()),
                ..req("trust")
            },
            "invalid_id",
        ),
        (
            SearchRequest {
                count: Some(0),
                ..req("trust")
            },
            "out_of_range",
        ),
        (
            SearchRequest {
                min_score: Some(1.5),
                ..req("trust")
            },
            "out_of_range",
        ),
    ];
    for (r, code) in cases {
        let e = t.app.knowledge().search(r.clone()).await.unwrap_err();
        assert_eq!(e.code(), code, "{r:?}");
    }
    assert!(t
        .app
        .knowledge()
        .search(req(&"x".repeat(5000)))
        .await
        .is_ok());
    for q in [
        "\"unbalanced quote",
        "NEAR(trust voice, 3)",
        "trust*",
        "-fear AND OR NOT",
        "title:trust",
        "(((",
        "'; DROP TABLE kb_chunks; --",
        "😀 🙃",
    ] {
        let r = t.app.knowledge().search(req(q)).await;
        assert!(r.is_ok(), "{q}: {r:?}");
    }
    assert_eq!(
        t.app.knowledge().status().await.unwrap().passages,
        t.app.knowledge().status().await.unwrap().builtin_passages
    );
}

#[tokio::test]
async fn changed_knowledge_is_reindexed_at_start_up() {
    let t = common::open().await;
    let before = t.app.knowledge().status().await.unwrap();
    drop(t.app);
    // Simulate an older release's index: a different content hash and a missing passage.
    let db = t.dir.path().join("compilar.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE app_meta SET value = 'older' WHERE key = 'kb_builtin_hash'",
        [],
    )
    .unwrap();
    conn.execute(
        "DELETE FROM kb_chunks WHERE passage_id = 'pillar.status.signs'",
        [],
    )
    .unwrap();
    drop(conn);
    let app = App::open_with(compilar_core::AppOptions::for_tests(t.dir.path()))
        .await
        .unwrap();
    let after = app.knowledge().status().await.unwrap();
    assert_eq!(after.passages, before.passages);
    assert_eq!(after.vectors, before.passages);
    let r = app
        .knowledge()
        .search(SearchRequest {
            query: "status games".into(),
            pillar: Some("status".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.hits.iter().any(|h| h.passage_id == "pillar.status.signs"));
}

#[tokio::test]
async fn framework_explorer_methods() {
    let t = common::open().await;
    let f = t
        .app
        .knowledge()
        .forces_of_pillar("grpprosp", "egalitarian")
        .unwrap();
    assert_eq!(f.pillar.name, "Group Prospects");
    assert_eq!(
        f.forces.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        [
            "goal_clarity",
            "future_confidence",
            "shared_vision",
            "incentive_alignment"
        ]
    );
    assert_eq!(
        t.app
            .knowledge()
            .forces_of_pillar("status", "egalitarian")
            .unwrap_err()
            .code(),
        "pillar_mode_mismatch"
    );
    assert_eq!(
        t.app
            .knowledge()
            .forces_of_pillar("nope", "egalitarian")
            .unwrap_err()
            .code(),
        "unknown_pillar"
    );
    let c = t
        .app
        .knowledge()
        .connections_of_mode("hierarchical")
        .unwrap();
    assert_eq!(c.len(), 20);
    assert!(c.iter().all(|x| x.mode == "hierarchical"));
    assert_eq!(
        t.app
            .knowledge()
            .connections_of_mode("flat")
            .unwrap_err()
            .code(),
        "unknown_mode"
    );
}

// ---- Embedding models ----------------------------------------------------------------------------------------

const OPENAI_MODEL: &str = "openai:text-embedding-3-small";

// ---- The in-memory index behind large searches -------------------------------------------------------------

/// The reading view: a passage in full with its closest passages (never itself); an unknown id is a typed
/// error.
#[tokio::test]
async fn a_passage_opens_in_full_with_related_passages() {
    let t = common::open().await;
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "people are afraid to disagree with the boss".into(),
            count: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    let hit = &r.hits[0];
    let p = t.app.knowledge().passage(hit.chunk_id).await.unwrap();
    assert_eq!(p.passage_id, hit.passage_id);
    assert_eq!(p.text, hit.text);
    assert_eq!(p.source.kind, "builtin");
    assert_eq!(p.related.len(), 4);
    assert!(p.related.iter().all(|x| x.chunk_id != hit.chunk_id));
    assert!(p
        .related
        .windows(2)
        .all(|w| w[0].similarity >= w[1].similarity));
    let e = t.app.knowledge().passage(-5).await.unwrap_err();
    assert_eq!(e.code(), "passage_not_found");
}
