-- Compilar local database, version 9: fresh questions written by a model.
-- Only items that passed every check are stored (a known force of the pillar, length, the scale, no
-- near-duplicate of the bank or of each other), with the provider and model that wrote them; the user reviews
-- and removes them (a tombstone).
CREATE TABLE generated_questions (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL REFERENCES profiles(id),
    pillar     TEXT NOT NULL,
    mode       TEXT NOT NULL CHECK (mode IN ('egalitarian', 'hierarchical')),
    force      TEXT NOT NULL,
    text       TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 400),
    reverse    INTEGER NOT NULL CHECK (reverse IN (0, 1)),
    provider   TEXT NOT NULL,
    model      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE INDEX generated_questions_by_pillar ON generated_questions (owner_id, deleted_at, pillar, created_at);
