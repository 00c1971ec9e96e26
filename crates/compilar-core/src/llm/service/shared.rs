//! The breakers' lasting part in the database, so that the window and every command-line run on one data
//! folder share one breaker per provider: before a provider is tried, a state another process wrote since this
//! one last looked is taken on; after a call changed the state here, it is written. Failing to read or write
//! it never fails a call (the breaker in this process goes on alone, and a warning is logged).

use super::*;
use crate::util::lock;

/// What this process last saw of a provider's row, and how far its breaker had changed then.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Seen {
    seq: i64,
    changes: u64,
}

impl Llm {
    /// Takes on every breaker state another process wrote since this one last looked.
    pub(super) async fn pull_breakers(&self) {
        let rows = match self.store.read(sql::load_breakers).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the shared breaker states");
                return;
            }
        };
        self.adopt_breakers(&rows);
    }

    pub(super) fn adopt_breakers(&self, rows: &[sql::StoredBreaker]) {
        let mut seen = lock(&self.breaker_seen);
        for row in rows {
            let Some((id, b)) = self.breakers.get_key_value(row.provider.as_str()) else {
                continue;
            };
            let s = seen.entry(id).or_default();
            if s.seq != row.seq {
                b.adopt(&row.durable);
                *s = Seen {
                    seq: row.seq,
                    changes: b.changes(),
                };
            }
        }
    }

    /// Writes a provider's breaker if it changed here since it was last written or taken on.
    pub(super) async fn push_breaker(&self, id: &str) {
        let Some((id, b)) = self.breakers.get_key_value(id) else {
            return;
        };
        let changes = b.changes();
        // A breaker that never changed and has no row needs none.
        if lock(&self.breaker_seen).get(id).map_or(0, |s| s.changes) == changes {
            return;
        }
        let durable = b.durable();
        let name: &'static str = id;
        match self
            .store
            .write_statement(move |c| sql::save_breaker(c, name, &durable))
            .await
        {
            Ok(seq) => {
                lock(&self.breaker_seen).insert(id, Seen { seq, changes });
            }
            Err(e) => {
                tracing::warn!(provider = id, error = %e, "could not write the shared breaker state")
            }
        }
    }
}
