-- Compilar local database, version 7: coaching reports.
-- One row per report written for an assessment, by a model or by the offline coach. A report that ended
-- (complete, stopped or error) is stored whole; regenerating keeps the previous complete report until the new
-- one completes, then tombstones it. The passages sent with the prompt are stored with the report (numbered as
-- the model saw them), so a citation opens its passage even after the document it came from is deleted.
CREATE TABLE coach_reports (
    id             TEXT PRIMARY KEY,
    owner_id       TEXT NOT NULL REFERENCES profiles(id),
    assessment_id  TEXT NOT NULL REFERENCES assessments(id),
    status         TEXT NOT NULL CHECK (status IN ('complete', 'stopped', 'error')),
    -- 'model' (a provider answered) or 'offline' (the built-in rules-based coach).
    writer         TEXT NOT NULL CHECK (writer IN ('model', 'offline')),
    provider       TEXT,
    provider_label TEXT,
    model          TEXT,
    content        TEXT NOT NULL,
    -- JSON arrays: the passages sent ([{number, chunk_id, passage_id, title, text, ...}]) and the numbers the
    -- report cites among them (invented numbers are dropped before storing).
    passages       TEXT NOT NULL CHECK (json_valid(passages) AND json_type(passages) = 'array'),
    citations      TEXT NOT NULL CHECK (json_valid(citations) AND json_type(citations) = 'array'),
    -- Why the offline coach wrote it, or what went wrong (the error payload as JSON).
    notice         TEXT,
    error          TEXT CHECK (error IS NULL OR json_valid(error)),
    prompt_version INTEGER NOT NULL,
    tokens_in      INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out     INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted_at     TEXT,
    CHECK ((writer = 'model') = (provider IS NOT NULL))
) STRICT;

CREATE INDEX coach_reports_by_assessment
    ON coach_reports (owner_id, assessment_id, deleted_at, created_at DESC);
