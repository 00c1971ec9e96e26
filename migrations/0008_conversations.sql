-- Compilar local database, version 8: coach chat.
-- Conversations (with the results the user chose as context) and their messages. A user's message is stored
-- when sent; the coach's answer when it ends, with its status (complete / stopped / error), who wrote it (a model,
-- or the knowledge base when no model could answer), the passages retrieved for it and the ones it cites.
-- Full-text search over messages uses FTS5 with the messages table as external content.
CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL REFERENCES profiles(id),
    title      TEXT NOT NULL,
    -- The assessments whose results are included as context (JSON array of ids, in the order chosen).
    context    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(context) AND json_type(context) = 'array'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE INDEX conversations_by_owner ON conversations (owner_id, deleted_at, updated_at DESC, id DESC);

CREATE TABLE messages (
    -- A stable integer key for the full-text index (a plain rowid may be renumbered by VACUUM).
    rid             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    owner_id        TEXT NOT NULL REFERENCES profiles(id),
    -- Order within the conversation.
    seq             INTEGER NOT NULL CHECK (seq >= 0),
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('complete', 'stopped', 'error')),
    -- For answers: 'model', or 'knowledge' (passages quoted from the knowledge base, no model).
    writer          TEXT CHECK (writer IS NULL OR writer IN ('model', 'knowledge')),
    provider        TEXT,
    provider_label  TEXT,
    model           TEXT,
    passages        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(passages) AND json_type(passages) = 'array'),
    citations       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(citations) AND json_type(citations) = 'array'),
    notice          TEXT,
    error           TEXT CHECK (error IS NULL OR json_valid(error)),
    tokens_in       INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out      INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    -- How many earlier messages were left out of the context to fit the token budget.
    trimmed         INTEGER NOT NULL DEFAULT 0 CHECK (trimmed >= 0),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT,
    UNIQUE (conversation_id, seq),
    CHECK ((role = 'assistant') = (writer IS NOT NULL))
) STRICT;

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    content = 'messages', content_rowid = 'rid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.rid, new.content);
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rid, old.content);
END;
CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rid, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.rid, new.content);
END;
