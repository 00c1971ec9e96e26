-- Compilar local database, version 15: coaching reports on a team's group round (issue 15). A report is written
-- from the round's team results (aggregates the server released above the team's threshold, never anyone's own
-- answers) and kept here on the facilitator's or member's computer only: it is not synced, and it can be
-- written again from the round at any time. Same columns as coach_reports, keyed by the round instead of an
-- assessment, with the team and how many members' results the figures covered.
CREATE TABLE team_reports (
    id             TEXT PRIMARY KEY,
    owner_id       TEXT NOT NULL REFERENCES profiles(id),
    round_id       TEXT NOT NULL CHECK (length(round_id) = 36),
    team_id        TEXT NOT NULL CHECK (length(team_id) = 36),
    -- The round's title when the report was written ("Group Prospects", "Full profile, egalitarian").
    title          TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    -- How many members' results the figures it was written on covered.
    responses      INTEGER NOT NULL CHECK (responses >= 0),
    status         TEXT NOT NULL CHECK (status IN ('complete', 'stopped', 'error')),
    writer         TEXT NOT NULL CHECK (writer IN ('model', 'offline')),
    provider       TEXT,
    provider_label TEXT,
    model          TEXT,
    content        TEXT NOT NULL,
    passages       TEXT NOT NULL CHECK (json_valid(passages) AND json_type(passages) = 'array'),
    citations      TEXT NOT NULL CHECK (json_valid(citations) AND json_type(citations) = 'array'),
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

CREATE INDEX team_reports_by_round
    ON team_reports (owner_id, round_id, deleted_at, created_at DESC);
