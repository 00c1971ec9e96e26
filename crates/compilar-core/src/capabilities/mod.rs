//! One module per capability. Each has its service (the use cases, on a handle borrowing the shared
//! [`crate::ctx::Ctx`]), its request and response types (`dto`), and its SQL (its own `sql` module, or the
//! store module of the aggregate it shares: the knowledge-base tables serve both knowledge and documents).

pub mod account;
pub mod ai;
pub mod analysis;
pub mod assessments;
pub mod chat;
pub mod coach;
pub mod data;
pub mod diagnostics;
pub mod documents;
pub mod full_profiles;
pub mod goals;
pub mod knowledge;
pub mod progress;
pub mod questions;
pub mod reports;
pub mod settings;
pub mod sync;
pub mod teams;
