//! `providers`: list, change, turn on or off, test, and store or remove a key.

use crate::*;

pub(crate) async fn providers(app: &App, out: Out, cmd: ProvidersCmd) -> Outcome {
    use compilar_core::api::ProviderChange;
    let s = app.settings();
    let change = |id: String, c: ProviderChange| async move { s.change_provider(&id, c).await };
    let settings = match cmd {
        ProvidersCmd::List => s.get().await?,
        ProvidersCmd::Set {
            id,
            model,
            url,
            embedding_model,
            position,
        } => {
            change(
                id,
                ProviderChange {
                    chat_model: model,
                    base_url: url,
                    embedding_model,
                    position,
                    ..ProviderChange::default()
                },
            )
            .await?
        }
        ProvidersCmd::Enable { id } => {
            change(
                id,
                ProviderChange {
                    enabled: Some(true),
                    ..ProviderChange::default()
                },
            )
            .await?
        }
        ProvidersCmd::Disable { id } => {
            change(
                id,
                ProviderChange {
                    enabled: Some(false),
                    ..ProviderChange::default()
                },
            )
            .await?
        }
        ProvidersCmd::Key { id, remove: true } => s.remove_key(&id).await?,
        ProvidersCmd::Key { id, remove: false } => {
            let key = read_secret(&format!("API key for {id}: "), "the key")?;
            s.set_key(SetKeyRequest { provider: id, key }).await?
        }
        ProvidersCmd::Test { id } => {
            let t = s.test_provider(&id).await?;
            out.emit(&t, print::connection_test)?;
            return if t.ok {
                Ok(())
            } else {
                Err(Failure::Reported { caller: false })
            };
        }
    };
    out.emit(&settings, print::providers)
}
