-- Compilar local database, version 11: development goals and their check-ins.
-- A goal turns one force of a completed result into something to change: what, the practice chosen (from the
-- result's recommendations, a knowledge passage, the coaching report, or the user's own), a review date, and
-- the force's score when it was set (the baseline the next assessment of the pillar is read against). It ends
-- done or dropped, with a reason. Both tables carry the owner, timestamps and a tombstone, as every synced row.
CREATE TABLE goals (
    id              TEXT PRIMARY KEY,
    owner_id        TEXT NOT NULL REFERENCES profiles(id),
    assessment_id   TEXT NOT NULL REFERENCES assessments(id),
    pillar          TEXT NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('egalitarian', 'hierarchical')),
    force           TEXT NOT NULL,
    group_label     TEXT CHECK (group_label IS NULL OR length(group_label) BETWEEN 1 AND 80),
    title           TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    practice        TEXT NOT NULL CHECK (length(practice) BETWEEN 1 AND 2000),
    practice_source TEXT NOT NULL CHECK (practice_source IN ('recommendation', 'passage', 'report', 'own')),
    practice_ref    TEXT CHECK (practice_ref IS NULL OR length(practice_ref) <= 128),
    baseline        REAL CHECK (baseline IS NULL OR baseline BETWEEN 0 AND 100),
    review_on       TEXT NOT NULL CHECK (length(review_on) = 10),
    status          TEXT NOT NULL CHECK (status IN ('active', 'done', 'dropped')),
    closed_reason   TEXT CHECK (closed_reason IS NULL OR length(closed_reason) <= 500),
    closed_at       TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT,
    CHECK ((status = 'active') = (closed_at IS NULL))
) STRICT;
CREATE INDEX goals_by_owner ON goals (owner_id, deleted_at, status, review_on);

CREATE TABLE goal_checkins (
    id         TEXT PRIMARY KEY,
    goal_id    TEXT NOT NULL REFERENCES goals(id),
    owner_id   TEXT NOT NULL REFERENCES profiles(id),
    rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    note       TEXT CHECK (note IS NULL OR length(note) <= 1000),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE INDEX goal_checkins_by_goal ON goal_checkins (goal_id, created_at);

-- Progress views read every completed assessment in completion order.
CREATE INDEX assessments_completed ON assessments (owner_id, completed_at, id)
    WHERE deleted_at IS NULL AND stage = 'completed';
