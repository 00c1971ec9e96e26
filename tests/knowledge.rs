//! The knowledge base through the facade: the shipped passages are indexed at start-up (and again when they
//! change), hybrid search finds what people ask for in their own words (hit@5 on a relevance set), filters are
//! applied inside the search, and bad input gets typed errors.

use crate::common;

use compilar_core::api::{SearchMethod, SearchRequest};
use compilar_core::App;

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

async fn hit_at_5(app: &App, method: SearchMethod) -> (f64, Vec<String>) {
    let mut hits = 0;
    let mut misses = Vec::new();
    for (q, want) in RELEVANCE {
        let r = app
            .knowledge()
            .search(SearchRequest {
                query: (*q).into(),
                count: Some(5),
                method: Some(method),
                ..Default::default()
            })
            .await
            .unwrap();
        if r.hits.iter().any(|h| want.contains(&h.passage_id.as_str())) {
            hits += 1;
        } else {
            misses.push(format!(
                "{q:?} → {:?}",
                r.hits
                    .iter()
                    .map(|h| h.passage_id.as_str())
                    .collect::<Vec<_>>()
            ));
        }
    }
    (hits as f64 / RELEVANCE.len() as f64, misses)
}

#[tokio::test]
async fn relevance_set_hit_at_5() {
    assert!(RELEVANCE.len() >= 40);
    let t = common::open().await;
    let status = t.app.knowledge().status().await.unwrap();
    assert!(status.builtin_passages >= 150);
    assert_eq!(status.vectors, status.passages);
    assert_eq!(
        (status.model.as_str(), status.dims),
        ("local:potion-base-8M", 256)
    );
    // Every expected passage exists (a typo in the set would silently lower the figures).
    let conn = rusqlite::Connection::open(t.dir.path().join("compilar.db")).unwrap();
    for (_, want) in RELEVANCE {
        for id in *want {
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM kb_chunks WHERE passage_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "{id} is not a passage");
        }
    }
    let (vector, vm) = hit_at_5(&t.app, SearchMethod::Vector).await;
    let (text, tm) = hit_at_5(&t.app, SearchMethod::Text).await;
    let (hybrid, hm) = hit_at_5(&t.app, SearchMethod::Hybrid).await;
    println!(
        "hit@5 over {} queries: vector {vector:.3}, text {text:.3}, hybrid {hybrid:.3}",
        RELEVANCE.len()
    );
    println!("vector misses:\n  {}", vm.join("\n  "));
    println!("text misses:\n  {}", tm.join("\n  "));
    println!("hybrid misses:\n  {}", hm.join("\n  "));
    assert!(
        hybrid >= HYBRID_HIT_AT_5_FLOOR,
        "hybrid hit@5 {hybrid:.3} fell below {HYBRID_HIT_AT_5_FLOOR}"
    );
}

/// Relevance is honest, and the three levels discriminate: over the top ten hits of every question in the
/// relevance set, a strong match is mostly one of the passages the question is about and never most of a
/// list, half of the other hits are weak, nearly every question's best hit is at least related; gibberish and
/// off-topic text get "no good match" (the closest passages still come back, marked weak).
#[tokio::test]
async fn match_levels_are_calibrated_on_the_relevance_set() {
    use compilar_core::api::MatchStrength;
    let t = common::open().await;
    let search = |q: &str| {
        let app = &t.app;
        let q = q.to_owned();
        async move {
            app.knowledge()
                .search(SearchRequest {
                    query: q,
                    ..Default::default()
                })
                .await
                .unwrap()
        }
    };
    let (mut strong, mut strong_right, mut about, mut about_weak) = (0, 0, 0, 0);
    let (mut others, mut others_weak) = (0, 0);
    let mut no_good = Vec::new();
    for (q, want) in RELEVANCE {
        let r = search(q).await;
        assert_eq!(r.hits.len(), 10);
        if r.no_good_match {
            no_good.push(*q);
        }
        assert_eq!(r.no_good_match, r.hits[0].strength == MatchStrength::Weak);
        let strongs = r
            .hits
            .iter()
            .filter(|h| h.strength == MatchStrength::Strong)
            .count();
        assert!(strongs <= 5, "{q:?}: {strongs} strong matches of 10");
        for h in &r.hits {
            let right = want.contains(&h.passage_id.as_str());
            let weak = h.strength == MatchStrength::Weak;
            if h.strength == MatchStrength::Strong {
                strong += 1;
                strong_right += right as u32;
            }
            if right {
                about += 1;
                about_weak += weak as u32;
            } else {
                others += 1;
                others_weak += weak as u32;
            }
        }
    }
    let precision = f64::from(strong_right) / f64::from(strong);
    let others_weak_share = f64::from(others_weak) / f64::from(others);
    println!(
        "strong: {strong} hits, {strong_right} of them a passage the question is about ({precision:.2}); \
         of {about} such passages in the lists {about_weak} are weak; of {others} other hits {others_weak} \
         are weak ({others_weak_share:.2}); no good match for {no_good:?}"
    );
    assert!(precision >= 0.75, "strong precision {precision:.2}");
    assert!(
        others_weak_share >= 0.45,
        "weak share {others_weak_share:.2}"
    );
    assert!(f64::from(about_weak) / f64::from(about) <= 0.2);
    // Words the built-in model does not know ("micromanages", "cliques"): said plainly, at most these two.
    assert!(no_good.len() <= 2, "{no_good:?}");

    let mut strongest_noise = 0.0f32;
    for q in [
        "xkq zzvv plorb",
        "asdf qwer uiop",
        "banana spaceship",
        "recipe for chocolate cake",
        "zzzzzzzz",
        "football results",
        "how do I bake bread",
        "the weather tomorrow",
    ] {
        let r = search(q).await;
        assert!(
            r.no_good_match,
            "{q:?}: {:?}",
            r.hits.first().map(|h| (h.similarity, h.strength))
        );
        assert_eq!(r.good_matches, 0);
        assert!(!r.hits.is_empty(), "the closest passages still come back");
        assert!(r.hits.iter().all(|h| h.strength == MatchStrength::Weak));
        strongest_noise = strongest_noise.max(r.hits[0].similarity);
    }
    println!("highest similarity for noise {strongest_noise:.3}");
}

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

fn import_req(path: &std::path::Path, id: &str) -> compilar_core::api::ImportDocumentRequest {
    compilar_core::api::ImportDocumentRequest {
        path: path.display().to_string(),
        import_id: id.into(),
    }
}

/// Two imports of one new file at once used to pass the duplicate check together and store it twice: now the
/// check is repeated under the write lock and a unique index enforces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_new_file_imported_at_once_is_stored_once() {
    let t = common::open().await;
    for round in 0..5 {
        let file = t.dir.path().join(format!("minutes-{round}.md"));
        let mut text = format!("# Minutes {round}\n\n");
        for i in 0..40 {
            text.push_str(&format!(
                "Point {i} of round {round}: the crew agreed who signs off the rota.\n\n"
            ));
        }
        std::fs::write(&file, text).unwrap();
        let docs = t.app.documents();
        let imports = (0..4).map(|k| {
            let req = import_req(&file, &format!("dup-{round}-{k}"));
            async move { docs.import(req, |_| {}).await }
        });
        let results = futures::future::join_all(imports).await;
        let ok: Vec<_> = results.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            ok.iter().filter(|d| !d.already_imported).count(),
            1,
            "round {round}: exactly one import stores it"
        );
        assert!(ok.iter().all(|d| d.id == ok[0].id));
    }
    assert_eq!(t.app.documents().list().await.unwrap().len(), 5);
}

#[tokio::test]
async fn documents_import_search_dedup_and_delete() {
    let t = common::open().await;
    let file = t.dir.path().join("retro-notes.md");
    let mut md = String::from(
        "# Sprint retrospective\n\nThe team agreed to rotate the facilitator role.\n\n",
    );
    for i in 0..40 {
        md.push_str(&format!(
            "## Topic {i}\n\nOn day {i} the zeppelin maintenance crew discussed hangar scheduling and spare parts.\n\n"
        ));
    }
    std::fs::write(&file, &md).unwrap();
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let ev = events.clone();
    let doc = t
        .app
        .documents()
        .import(import_req(&file, "imp-1"), move |p| {
            ev.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    assert_eq!(doc.title, "Sprint retrospective");
    assert_eq!(doc.file_name.as_deref(), Some("retro-notes.md"));
    assert!(doc.chunks >= 2, "{doc:?}");
    assert_eq!(doc.vectors, doc.chunks);
    assert!(!doc.already_imported);
    let stages: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .map(|p| format!("{:?}", p.stage))
        .collect();
    assert_eq!(stages.first().map(String::as_str), Some("Reading"));
    assert_eq!(stages.last().map(String::as_str), Some("Done"));
    assert!(stages.iter().any(|s| s == "Embedding") && stages.iter().any(|s| s == "Saving"));

    // Searchable, and the source filters work.
    for source in [None, Some("documents".to_string()), Some(doc.id.clone())] {
        let r = t
            .app
            .knowledge()
            .search(SearchRequest {
                query: "zeppelin hangar".into(),
                source,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(r.hits[0].source.id, doc.id);
        assert_eq!(r.hits[0].category, "document");
        assert!(r.hits[0].title.starts_with("Sprint retrospective"));
    }
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "zeppelin hangar".into(),
            source: Some("builtin".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.hits.iter().all(|h| h.source.id == "builtin"));

    // The same content again (even under another name) is not imported twice.
    let copy = t.dir.path().join("copy.md");
    std::fs::write(&copy, &md).unwrap();
    let again = t
        .app
        .documents()
        .import(import_req(&copy, "imp-2"), |_| {})
        .await
        .unwrap();
    assert!(again.already_imported);
    assert_eq!(again.id, doc.id);
    assert_eq!(t.app.documents().list().await.unwrap().len(), 1);

    // Delete: gone from the list and from search; deleting again says so.
    t.app.documents().delete(&doc.id).await.unwrap();
    assert!(t.app.documents().list().await.unwrap().is_empty());
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "zeppelin hangar".into(),
            source: Some("documents".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.hits.is_empty());
    // A refused delete changes nothing, not even the index's version counters.
    let versions = || async {
        t.app
            .store()
            .read(|c| {
                Ok(c.query_row(
                    "SELECT group_concat(id || '=' || version) FROM kb_models",
                    [],
                    |r| r.get::<_, String>(0),
                )?)
            })
            .await
            .unwrap()
    };
    let before = versions().await;
    assert_eq!(
        t.app.documents().delete(&doc.id).await.unwrap_err().code(),
        "document_not_found"
    );
    assert_eq!(versions().await, before);
    let s = t.app.knowledge().status().await.unwrap();
    assert_eq!(
        (s.passages, s.vectors),
        (s.builtin_passages, s.builtin_passages)
    );

    // Re-import after delete works.
    let back = t
        .app
        .documents()
        .import(import_req(&file, "imp-3"), |_| {})
        .await
        .unwrap();
    assert!(!back.already_imported);
}

#[tokio::test]
async fn bad_documents_get_clear_errors_and_leave_nothing() {
    let t = common::open().await;
    let d = t.dir.path();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.md", b"  \n\n ".to_vec(), "document_empty"),
        (
            "binary.txt",
            vec![0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x10],
            "document_undecodable",
        ),
        (
            "latin1.txt",
            b"caf\xe9 au lait".to_vec(),
            "document_undecodable",
        ),
        (
            "report.docx",
            b"PK\x03\x04".to_vec(),
            "unsupported_document",
        ),
        (
            "truncated.pdf",
            b"%PDF-1.7\n1 0 obj".to_vec(),
            "document_undecodable",
        ),
        (
            "renamed.pdf",
            b"just some text".to_vec(),
            "document_undecodable",
        ),
        (
            "scanned.pdf",
            common::pdf::pdf(&[&[], &[]], None),
            "document_empty",
        ),
        (
            "locked.pdf",
            common::pdf::encrypted_pdf(&[&["Top secret plans for the offsite."]], "hunter2"),
            "document_undecodable",
        ),
        ("nothing.pdf", Vec::new(), "document_empty"),
        ("noext", b"hello".to_vec(), "unsupported_document"),
    ];
    for (name, bytes, code) in cases {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = t
            .app
            .documents()
            .import(import_req(&p, name), |_| {})
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "{name}");
        // The message says what to do about it.
        let msg = e.to_string();
        match name {
            "locked.pdf" => assert!(msg.contains("password-protected"), "{msg}"),
            "scanned.pdf" => assert!(msg.contains("scanned"), "{msg}"),
            "renamed.pdf" => assert!(msg.contains("not a PDF"), "{msg}"),
            "report.docx" => assert!(msg.contains("PDF (.pdf)"), "{msg}"),
            _ => {}
        }
    }
    // Over 50 MB (a sparse file: nothing is read).
    let huge = d.join("huge.txt");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(50 * 1024 * 1024 + 1)
        .unwrap();
    let e = t
        .app
        .documents()
        .import(import_req(&huge, "h"), |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "payload_too_large");
    let e = t
        .app
        .documents()
        .import(import_req(&d.join("missing.md"), "m"), |_| {})
        .await
        .unwrap_err();
    // The user's own missing file: said as such, and not worth retrying as is.
    assert_eq!(e.code(), "document_unreadable");
    assert!(!e.retryable());
    assert!(e.to_string().contains("does not exist"), "{e}");
    // Not ordinary files: a named pipe (refused without waiting for a writer), a `.txt` link to an endless
    // device, and a folder named like a document.
    let fifo = d.join("pipe.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let zero = d.join("zero.txt");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let folder = d.join("folder.md");
    std::fs::create_dir(&folder).unwrap();
    for (path, words) in [
        (&fifo, "not an ordinary file"),
        (&zero, "not an ordinary file"),
        (&folder, "folder"),
    ] {
        let e = t
            .app
            .documents()
            .import(import_req(path, "s"), |_| {})
            .await
            .unwrap_err();
        assert_eq!(e.code(), "document_unreadable", "{}", path.display());
        assert!(!e.retryable());
        assert!(e.to_string().contains(words), "{e}");
    }
    assert!(t.app.documents().list().await.unwrap().is_empty());
    let s = t.app.knowledge().status().await.unwrap();
    assert_eq!(s.passages, s.builtin_passages);
    assert_eq!(
        t.app
            .documents()
            .delete("not-an-id")
            .await
            .unwrap_err()
            .code(),
        "invalid_id"
    );
}

#[tokio::test]
async fn a_cancelled_import_writes_nothing() {
    let t = common::open().await;
    let file = t.dir.path().join("long.txt");
    let text: String = (0..600)
        .map(|i| format!("Paragraph {i}: the group talked about goals, help, trust and how decisions are made.\n\n"))
        .collect();
    std::fs::write(&file, text).unwrap();
    // The user presses stop while the chunks are being embedded (from the progress handler itself, so the
    // moment is certain): the import ends as cancelled before anything is written.
    let app = t.app.clone();
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let a2 = asked.clone();
    let e = t
        .app
        .documents()
        .import(import_req(&file, "cancel-me"), move |p| {
            if format!("{:?}", p.stage) == "Embedding"
                && !a2.swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                assert!(app.documents().cancel_import("cancel-me"));
            }
        })
        .await
        .unwrap_err();
    assert!(asked.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(e.code(), "cancelled");
    assert!(!t.app.documents().cancel_import("cancel-me"));
    assert!(t.app.documents().list().await.unwrap().is_empty());
    let s = t.app.knowledge().status().await.unwrap();
    assert_eq!(s.passages, s.builtin_passages);
}

#[tokio::test]
async fn pdf_documents_are_read_page_by_page_and_searchable() {
    let t = common::open().await;
    let file = t.dir.path().join("offsite.pdf");
    let page1: &[&str] = &[
        "Offsite agenda",
        "The leadership group met at the lighthouse to review how decisions travel through the organisation.",
        "Everyone wrote down one decision they felt excluded from.",
    ];
    let page2: &[&str] = &[
        "The quartermaster explained the new procurement sign-off chain and why it needs three approvals.",
        "People asked for the chain to be written down and shared before the next quarter.",
    ];
    let page3: &[&str] = &["Follow-up: publish the sign-off chain on the wiki by Friday."];
    std::fs::write(
        &file,
        common::pdf::pdf(&[page1, page2, page3], Some("Lighthouse offsite notes")),
    )
    .unwrap();
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let ev = events.clone();
    let doc = t
        .app
        .documents()
        .import(import_req(&file, "pdf-1"), move |p| {
            ev.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    // The title comes from the PDF's metadata.
    assert_eq!(doc.title, "Lighthouse offsite notes");
    // A metadata title of 100,000 characters is cut to the stored maximum.
    let long = t.dir.path().join("long-title.pdf");
    let huge_title = "Quarterly ".repeat(10_000);
    std::fs::write(
        &long,
        common::pdf::pdf(&[&["A short page about the rota."]], Some(&huge_title)),
    )
    .unwrap();
    let d2 = t
        .app
        .documents()
        .import(import_req(&long, "pdf-long"), |_| {})
        .await
        .unwrap();
    assert_eq!(
        d2.title.chars().count(),
        compilar_core::capabilities::documents::MAX_TITLE_CHARS
    );
    assert!(huge_title.starts_with(&d2.title));
    t.app.documents().delete(&d2.id).await.unwrap();
    assert_eq!(doc.file_name.as_deref(), Some("offsite.pdf"));
    assert!(doc.chunks >= 1 && doc.vectors == doc.chunks, "{doc:?}");
    // Progress counted the pages while reading them.
    let reading: Vec<(u32, u32)> = events
        .lock()
        .unwrap()
        .iter()
        .filter(|p| format!("{:?}", p.stage) == "Reading")
        .map(|p| (p.done, p.total))
        .collect();
    assert!(
        reading.contains(&(0, 3)) && reading.contains(&(3, 3)),
        "{reading:?}"
    );

    // Text from every page is found, with words intact.
    for (q, must) in [
        ("lighthouse decisions", "lighthouse"),
        ("quartermaster procurement", "quartermaster"),
        ("sign-off chain wiki Friday", "wiki"),
    ] {
        let r = t
            .app
            .knowledge()
            .search(SearchRequest {
                query: q.into(),
                source: Some(doc.id.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            r.hits.iter().any(|h| h.text.contains(must)),
            "{q}: {:?}",
            r.hits.iter().map(|h| &h.text).collect::<Vec<_>>()
        );
    }
    // The same PDF again is recognised; delete takes it away.
    let again = t
        .app
        .documents()
        .import(import_req(&file, "pdf-2"), |_| {})
        .await
        .unwrap();
    assert!(again.already_imported);
    t.app.documents().delete(&doc.id).await.unwrap();
    assert!(t.app.documents().list().await.unwrap().is_empty());
}

// ---- Embedding models ----------------------------------------------------------------------------------------

const OPENAI_MODEL: &str = "openai:text-embedding-3-small";

/// OpenAI on a local fake server that embeds whatever it is sent (1536 dims); the other providers off.
async fn with_openai(app: &compilar_core::App, url: &str) {
    let mut providers: Vec<compilar_core::llm::ProviderSettings> = app
        .settings()
        .get()
        .await
        .unwrap()
        .providers
        .into_iter()
        .map(|p| p.settings)
        .collect();
    for p in providers.iter_mut() {
        p.enabled = p.id == "openai";
        if p.id == "openai" {
            p.base_url = format!("{url}/v1");
            p.timeouts.request_secs = 5;
        }
    }
    app.settings()
        .save_providers(compilar_core::api::SaveProvidersRequest { providers })
        .await
        .unwrap();
    app.settings()
        .set_key(compilar_core::api::SetKeyRequest {
            provider: "openai".into(),
            key: "sk-test-embeddings-0123456789".into(),
        })
        .await
        .unwrap();
}

fn switch_to(id: &str) -> compilar_core::api::SwitchModelRequest {
    compilar_core::api::SwitchModelRequest {
        model_id: id.into(),
    }
}

fn zeppelin_doc(dir: &std::path::Path, name: &str, topic: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    let body: String = (0..12)
        .map(|i| format!("## Part {i}\n\nThe {topic} crew reviewed item {i} of the {topic} checklist together.\n\n"))
        .collect();
    std::fs::write(&p, format!("# {topic} notes\n\n{body}")).unwrap();
    p
}

#[tokio::test]
async fn switching_to_a_cloud_model_reembeds_everything_and_queries_never_mix_models() {
    let server = common::fake_llm::FakeServer::start().await;
    server.on(
        "/v1/embeddings",
        common::fake_llm::openai_embeddings_of_input(1536),
    );
    let t = common::open().await;
    with_openai(&t.app, &server.url()).await;
    // A document imported while the built-in model is active.
    let first = t
        .app
        .documents()
        .import(
            import_req(&zeppelin_doc(t.dir.path(), "a.md", "zeppelin"), "a"),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(
        server.count("/v1/embeddings"),
        0,
        "the built-in model is local"
    );

    let before = t.app.documents().embedding_models().await.unwrap();
    assert_eq!(before.active, "local:potion-base-8M");
    let cloud = before.models.iter().find(|m| m.id == OPENAI_MODEL).unwrap();
    assert!(
        cloud.available && !cloud.active && cloud.vectors == 0,
        "{cloud:?}"
    );
    let local = &before.models[0];
    assert_eq!(local.vectors, local.passages);

    // Switch: progress climbs to the total; then the cloud model is the one searches use.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let after = t
        .app
        .documents()
        .switch_model(switch_to(OPENAI_MODEL), move |p| {
            s2.lock().unwrap().push((p.done, p.total))
        })
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    let (done, total) = *seen.last().unwrap();
    assert_eq!(done, total);
    assert_eq!(total as u64, local.passages);
    assert_eq!(after.active, OPENAI_MODEL);
    assert!(after.switching.is_none());
    let cloud = after.models.iter().find(|m| m.id == OPENAI_MODEL).unwrap();
    assert_eq!((cloud.dims, cloud.vectors), (Some(1536), cloud.passages));
    // Batches of at most 64 texts, always the model the table was made for.
    let reqs = server.requests("/v1/embeddings");
    assert_eq!(reqs.len() as u64, local.passages.div_ceil(64));
    assert!(reqs
        .iter()
        .all(|r| r.json()["model"] == "text-embedding-3-small"
            && r.json()["input"].as_array().unwrap().len() <= 64));

    // Searches now embed the query with OpenAI and rank with its vectors.
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "zeppelin checklist".into(),
            method: Some(SearchMethod::Vector),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.model, OPENAI_MODEL);
    assert!(r.notice.is_none());
    assert_eq!(r.hits[0].source.id, first.id);

    // A document imported now gets vectors from both models.
    let second = t
        .app
        .documents()
        .import(
            import_req(&zeppelin_doc(t.dir.path(), "b.md", "lighthouse"), "b"),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(second.vectors, second.chunks);
    let m = t.app.documents().embedding_models().await.unwrap();
    assert!(
        m.models
            .iter()
            .filter(|x| x.id == OPENAI_MODEL || x.provider.is_none())
            .all(|x| x.vectors == x.passages),
        "{m:?}"
    );

    // The provider goes down: searches still answer, with the built-in model for the whole query.
    server.on(
        "/v1/embeddings",
        common::fake_llm::error_reply(
            503,
            serde_json::json!({"error": {"message": "overloaded", "type": "server_error"}}),
            None,
        ),
    );
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "lighthouse checklist".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.model, "local:potion-base-8M");
    assert!(
        r.notice.as_deref().unwrap().contains("built-in model"),
        "{:?}",
        r.notice
    );
    assert_eq!(r.hits[0].source.id, second.id);
    // ...and an import while it is down fails cleanly, leaving nothing.
    let e = t
        .app
        .documents()
        .import(
            import_req(&zeppelin_doc(t.dir.path(), "c.md", "harbour"), "c"),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_ne!(e.code(), "internal");
    assert_eq!(t.app.documents().list().await.unwrap().len(), 2);

    // Back to the built-in model: immediate, no requests.
    let n = server.count("/v1/embeddings");
    let back = t
        .app
        .documents()
        .switch_model(switch_to("local:potion-base-8M"), |_| {})
        .await
        .unwrap();
    assert_eq!(back.active, "local:potion-base-8M");
    assert_eq!(server.count("/v1/embeddings"), n);

    // Unknown models and a model whose provider is off are refused.
    for bad in ["nope:model", "", "local:potion-base-8M-x"] {
        assert!(t
            .app
            .documents()
            .switch_model(switch_to(bad), |_| {})
            .await
            .is_err());
    }
}

#[tokio::test]
async fn a_stopped_or_failed_switch_keeps_the_old_model_and_resumes_later() {
    let server = common::fake_llm::FakeServer::start().await;
    server.on(
        "/v1/embeddings",
        common::fake_llm::openai_embeddings_of_input(1536),
    );
    let t = common::open().await;
    with_openai(&t.app, &server.url()).await;

    // Stop after the first batch (from the progress handler, so the moment is certain).
    let app = t.app.clone();
    let e = t
        .app
        .documents()
        .switch_model(switch_to(OPENAI_MODEL), move |p| {
            if p.done > 0 {
                app.documents().cancel_switch();
            }
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "cancelled");
    let m = t.app.documents().embedding_models().await.unwrap();
    assert_eq!(m.active, "local:potion-base-8M");
    assert!(m.switching.is_none());
    let partial = m
        .models
        .iter()
        .find(|x| x.id == OPENAI_MODEL)
        .unwrap()
        .vectors;
    assert!(partial > 0 && partial < m.models[0].passages, "{partial}");
    assert!(!t.app.documents().cancel_switch());
    // Search still uses the built-in model.
    let r = t
        .app
        .knowledge()
        .search(SearchRequest {
            query: "trust".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.model, "local:potion-base-8M");

    // The provider starts sending vectors of another size: refused before anything is stored.
    server.once(
        "/v1/embeddings",
        common::fake_llm::openai_embeddings(&vec![vec![0.5; 512]; 64], "text-embedding-3-small"),
    );
    let e = t
        .app
        .documents()
        .switch_model(switch_to(OPENAI_MODEL), |_| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("1536"), "{e}");
    let m = t.app.documents().embedding_models().await.unwrap();
    assert_eq!(m.active, "local:potion-base-8M");
    assert_eq!(
        m.models
            .iter()
            .find(|x| x.id == OPENAI_MODEL)
            .unwrap()
            .vectors,
        partial
    );

    // Resuming embeds only what is missing.
    let before = server.count("/v1/embeddings");
    let done = t
        .app
        .documents()
        .switch_model(switch_to(OPENAI_MODEL), |_| {})
        .await
        .unwrap();
    assert_eq!(done.active, OPENAI_MODEL);
    let total = done.models[0].passages;
    assert_eq!(
        (server.count("/v1/embeddings") - before) as u64,
        (total - partial).div_ceil(64)
    );
}

// ---- The in-memory index behind large searches -------------------------------------------------------------

/// Unit vectors in 40 tight topics (a noisy copy of each topic), reproducible.
fn clustered(n: usize, dims: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
    };
    let topics: Vec<Vec<f32>> = (0..40)
        .map(|_| (0..dims).map(|_| next()).collect())
        .collect();
    (0..n)
        .map(|i| {
            let t = &topics[i % topics.len()];
            let mut v: Vec<f32> = t.iter().map(|x| x + 0.5 * next()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            v
        })
        .collect()
}

#[tokio::test]
async fn large_searches_match_exact_search_and_see_every_change() {
    use compilar_core::store::kb::{self as kb, Filters, NewChunk, NewSource, SourceFilter};
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(
        compilar_core::store::Store::open(&dir.path().join("t.db"), &dir.path().join("b")).unwrap(),
    );
    // 6,000 × 256 = 1.5 M floats: above the size where the index takes over.
    let n = 6_000;
    let vectors = clustered(n + 1, 256, 7);
    let pillars = ["a", "b", "c"];
    let (m, ids) = {
        let vectors = vectors.clone();
        store
            .write(move |c| {
                let m = kb::ensure_model(c, "test:256", 256, "t")?;
                for (id, title) in [("builtin", "kb"), ("doc", "doc")] {
                    kb::upsert_source(
                        c,
                        &NewSource {
                            id,
                            kind: if id == "builtin" {
                                "builtin"
                            } else {
                                "document"
                            },
                            title,
                            file_name: None,
                            content_hash: id,
                            bytes: 0,
                        },
                        "t",
                    )?;
                }
                let mut all = Vec::new();
                for (source, range) in [("builtin", 0..n / 2), ("doc", n / 2..n)] {
                    let chunks: Vec<NewChunk> = range
                        .clone()
                        .map(|i| NewChunk {
                            passage_id: format!("p{i}"),
                            ordinal: i as i64,
                            title: String::new(),
                            body: String::new(),
                            mode: String::new(),
                            pillar: pillars[i % 3].into(),
                            force: String::new(),
                            category: "document".into(),
                            content_hash: String::new(),
                        })
                        .collect();
                    let ids = kb::insert_chunks(c, source, &chunks)?;
                    let rows: Vec<(i64, Vec<f32>)> = ids
                        .iter()
                        .copied()
                        .zip(range.map(|i| vectors[i].clone()))
                        .collect();
                    kb::insert_vectors(c, &m, &rows)?;
                    all.extend(ids);
                }
                Ok((m, all))
            })
            .await
            .unwrap()
    };
    let knn = |q: Vec<f32>, f: Filters, exact: bool| {
        let (store, m) = (store.clone(), m.clone());
        async move {
            store
                .read(move |c| kb::knn(c, &m, &q, 10, &f, exact))
                .await
                .unwrap()
        }
    };
    // Queries near existing vectors: the index's answer equals the exact one, with and without filters.
    let filters = [
        Filters::default(),
        Filters {
            pillar: Some("b".into()),
            ..Default::default()
        },
        Filters {
            source: Some(SourceFilter::Document("doc".into())),
            ..Default::default()
        },
        Filters {
            source: Some(SourceFilter::Builtin),
            pillar: Some("c".into()),
            ..Default::default()
        },
    ];
    let mut hit = 0;
    let mut total = 0;
    for (qi, f) in (0..20).flat_map(|q| filters.iter().map(move |f| (q, f.clone()))) {
        let q = vectors[(qi * 97) % n].clone();
        let exact = knn(q.clone(), f.clone(), true).await;
        let approx = knn(q, f.clone(), false).await;
        assert_eq!(approx.len(), 10);
        total += exact.len();
        hit += exact
            .iter()
            .filter(|e| approx.iter().any(|a| a.0 == e.0))
            .count();
        // Filters hold on the approximate path, and distances are exact there too.
        for (id, d) in &approx {
            let pos = ids.iter().position(|x| x == id).unwrap();
            if let Some(p) = &f.pillar {
                assert_eq!(pillars[pos % 3], p);
            }
            match &f.source {
                Some(SourceFilter::Builtin) => assert!(pos < n / 2),
                Some(SourceFilter::Document(_)) => assert!(pos >= n / 2),
                _ => {}
            }
            if let Some(e) = exact.iter().find(|e| e.0 == *id) {
                assert!((e.1 - d).abs() < 1e-4);
            }
        }
    }
    let recall = hit as f64 / total as f64;
    assert!(recall >= 0.99, "recall@10 {recall}");

    // A vector added afterwards is found at once (its own nearest neighbour)...
    let fresh = vectors[n].clone();
    let new_id = {
        let (m, fresh) = (m.clone(), fresh.clone());
        store
            .write(move |c| {
                kb::upsert_source(
                    c,
                    &NewSource {
                        id: "extra",
                        kind: "document",
                        title: "extra",
                        file_name: None,
                        content_hash: "extra",
                        bytes: 0,
                    },
                    "t",
                )?;
                let id = kb::insert_chunks(
                    c,
                    "extra",
                    &[NewChunk {
                        passage_id: "fresh".into(),
                        ordinal: 99_999,
                        title: String::new(),
                        body: String::new(),
                        mode: String::new(),
                        pillar: "a".into(),
                        force: String::new(),
                        category: "document".into(),
                        content_hash: String::new(),
                    }],
                )?[0];
                kb::insert_vectors(c, &m, &[(id, fresh)])?;
                Ok(id)
            })
            .await
            .unwrap()
    };
    let r = knn(fresh.clone(), Filters::default(), false).await;
    assert_eq!(r[0].0, new_id);
    assert!(r[0].1 < 1e-3);
    // ...and a deleted one is gone at once.
    store
        .write(|c| kb::delete_chunks_of(c, "extra"))
        .await
        .unwrap();
    let r = knn(fresh, Filters::default(), false).await;
    assert_eq!(r.len(), 10);
    assert!(r.iter().all(|(id, _)| *id != new_id && ids.contains(id)));
}

/// The first start indexes the shipped passages in one large write; the log it leaves is folded into the
/// database right after (it used to stay at about 13 MB beside a database of 225 KB).
#[tokio::test]
async fn the_first_indexing_leaves_no_large_write_ahead_log() {
    let t = common::open().await;
    t.app
        .knowledge()
        .search(SearchRequest {
            query: "trust".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let wal = t.dir.path().join("compilar.db-wal");
    let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let db = std::fs::metadata(t.dir.path().join("compilar.db"))
        .unwrap()
        .len();
    println!("after the first indexing: database {db} bytes, log {len} bytes");
    assert!(len < 1024 * 1024, "the log is {len} bytes");
}

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
