//! Switching the search model: a cloud model re-embeds everything, queries never mix models, a stopped or failed switch keeps the old model.

use super::*;

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
