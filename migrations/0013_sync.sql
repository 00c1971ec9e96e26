-- Compilar local database, version 13: sync with a Supabase project (facilitators; nobody else needs it).
-- sync_account links this data folder to one account once someone signs in; from then on every write to a
-- synced table also lands in the outbox, in the same transaction (the triggers below), until the changes are
-- pushed. Rows written while applying a pull are not queued (sync_applying holds a row only inside that
-- transaction). Tokens are never here: they live in the OS keychain.
CREATE TABLE sync_account (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    project_url TEXT NOT NULL CHECK (length(project_url) BETWEEN 1 AND 500),
    -- The project's publishable (anon) key: public by design, sent with every request.
    public_key  TEXT NOT NULL CHECK (length(public_key) BETWEEN 1 AND 2000),
    user_id     TEXT NOT NULL,
    email       TEXT NOT NULL,
    -- This data folder's id as a writer (breaks last-writer-wins ties), fixed when it is first linked.
    device_id   TEXT NOT NULL,
    -- 0 after signing out: the link stays (only this account may sign in here again), syncing stops.
    signed_in   INTEGER NOT NULL CHECK (signed_in IN (0, 1)),
    linked_at   TEXT NOT NULL,
    last_sync_at TEXT,
    -- The last sync failure as the UI's error payload (JSON), cleared by a sync that works.
    last_error  TEXT CHECK (last_error IS NULL OR json_valid(last_error))
) STRICT;

CREATE TABLE sync_applying (id INTEGER PRIMARY KEY CHECK (id = 1)) STRICT;

CREATE TABLE outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl       TEXT NOT NULL,
    row_id    TEXT NOT NULL,
    -- Set when a push claims the row; the batch is recorded in sync_push before the request is sent.
    batch_id  TEXT,
    queued_at TEXT NOT NULL
) STRICT;
-- One pending entry per row however often it changes (a push sends the row's current state).
CREATE UNIQUE INDEX outbox_pending ON outbox (tbl, row_id) WHERE batch_id IS NULL;
CREATE INDEX outbox_by_batch ON outbox (batch_id) WHERE batch_id IS NOT NULL;

-- The push in flight (at most one): retried with the same id until the server answers.
CREATE TABLE sync_push (
    batch_id   TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Where each table's pull has got to: the last (server_xid, id) applied.
CREATE TABLE sync_cursors (
    tbl       TEXT PRIMARY KEY,
    after_xid TEXT NOT NULL,
    after_id  TEXT NOT NULL
) STRICT;

-- Rows the server refused (another person's id, a rule broken), shown as "not synced" until retried or discarded.
CREATE TABLE sync_rejected (
    tbl     TEXT NOT NULL,
    row_id  TEXT NOT NULL,
    code    TEXT NOT NULL,
    reason  TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (tbl, row_id)
) STRICT;

-- Coach conversations sync only when their owner turns it on for that conversation.
ALTER TABLE conversations ADD COLUMN synced INTEGER NOT NULL DEFAULT 0 CHECK (synced IN (0, 1));

CREATE TRIGGER full_profiles_outbox_insert AFTER INSERT ON full_profiles
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('full_profiles', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER full_profiles_outbox_update AFTER UPDATE ON full_profiles
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('full_profiles', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER assessments_outbox_insert AFTER INSERT ON assessments
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('assessments', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER assessments_outbox_update AFTER UPDATE ON assessments
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('assessments', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER generated_questions_outbox_insert AFTER INSERT ON generated_questions
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('generated_questions', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER generated_questions_outbox_update AFTER UPDATE ON generated_questions
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('generated_questions', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER coach_reports_outbox_insert AFTER INSERT ON coach_reports
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('coach_reports', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER coach_reports_outbox_update AFTER UPDATE ON coach_reports
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('coach_reports', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER goals_outbox_insert AFTER INSERT ON goals
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('goals', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER goals_outbox_update AFTER UPDATE ON goals
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('goals', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER goal_checkins_outbox_insert AFTER INSERT ON goal_checkins
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('goal_checkins', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER goal_checkins_outbox_update AFTER UPDATE ON goal_checkins
WHEN EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('goal_checkins', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER conversations_outbox_insert AFTER INSERT ON conversations
WHEN new.synced = 1 AND EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('conversations', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER conversations_outbox_update AFTER UPDATE ON conversations
WHEN new.synced = 1 AND EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('conversations', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER messages_outbox_insert AFTER INSERT ON messages
WHEN (SELECT synced FROM conversations WHERE id = new.conversation_id) = 1 AND EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('messages', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER messages_outbox_update AFTER UPDATE ON messages
WHEN (SELECT synced FROM conversations WHERE id = new.conversation_id) = 1 AND EXISTS (SELECT 1 FROM sync_account) AND NOT EXISTS (SELECT 1 FROM sync_applying)
BEGIN
    INSERT OR IGNORE INTO outbox (tbl, row_id, queued_at)
    VALUES ('messages', new.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
