//! The writing engine every coaching text shares: the prompts (what a model is asked, built from the
//! framework and the results), citations (passages numbered in reading order, checked, settled while a reply
//! streams), and the offline writer's helpers (sentences, bands and focus in words, without a model). Used by
//! the coach, chat, analysis, fresh questions and the team report; pure functions over the domain, no I/O.

pub mod citations;
pub mod offline;
pub mod prompts;
