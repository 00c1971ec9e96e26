-- Compilar local database, version 1.
-- Conventions (DESIGN §4): STRICT tables, UUIDv7 text ids, UTC RFC 3339 timestamps with milliseconds,
-- created_at / updated_at / deleted_at (tombstone) and an owner on every row that will sync.

CREATE TABLE app_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The people who use this installation. To start with there is one local profile; sign-in adds more later.
CREATE TABLE profiles (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
) STRICT;

CREATE TABLE assessments (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL REFERENCES profiles(id),
    pillar       TEXT NOT NULL,
    mode         TEXT NOT NULL CHECK (mode IN ('egalitarian', 'hierarchical')),
    stage        TEXT NOT NULL CHECK (stage IN ('quiz', 'completed')),
    -- The questions served, in the order served (JSON array of question ids).
    question_ids TEXT NOT NULL CHECK (json_valid(question_ids) AND json_type(question_ids) = 'array'),
    -- Answers as JSONB: {"<question id>": {"value": 1..5, "at": "<UTC time>"}}, written with jsonb_patch.
    responses    BLOB NOT NULL CHECK (json_valid(responses, 4)),
    answered     INTEGER NOT NULL DEFAULT 0 CHECK (answered >= 0),
    total        INTEGER NOT NULL CHECK (total > 0),
    -- Scores, set once on completion (JSON of domain::Results).
    results      TEXT CHECK (results IS NULL OR json_valid(results)),
    bank_version INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    completed_at TEXT,
    deleted_at   TEXT,
    CHECK ((stage = 'completed') = (completed_at IS NOT NULL AND results IS NOT NULL))
) STRICT;

CREATE INDEX assessments_by_owner ON assessments (owner_id, deleted_at, created_at DESC, id DESC);
