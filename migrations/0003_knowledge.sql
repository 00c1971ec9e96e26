-- Compilar local database, version 3: the knowledge base.
-- Sources (the shipped knowledge base and the user's documents), their chunks, full-text search over the chunks
-- (FTS5, external content) and the embedding models. Each model's vectors live in their own sqlite-vec table
-- (created by the app when the model is first used, named in kb_models), so a query never mixes models.

CREATE TABLE kb_sources (
    id           TEXT PRIMARY KEY,           -- 'builtin' or a document's UUIDv7
    kind         TEXT NOT NULL CHECK (kind IN ('builtin', 'document')),
    title        TEXT NOT NULL,
    file_name    TEXT,
    content_hash TEXT NOT NULL,
    bytes        INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE TABLE kb_chunks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: vector tables key on it
    source_id    TEXT NOT NULL REFERENCES kb_sources(id) ON DELETE CASCADE,
    passage_id   TEXT NOT NULL UNIQUE,
    ordinal      INTEGER NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    -- '' when the chunk is not about one mode / pillar / force (sqlite-vec filters need a value).
    mode         TEXT NOT NULL DEFAULT '',
    pillar       TEXT NOT NULL DEFAULT '',
    force        TEXT NOT NULL DEFAULT '',
    category     TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    UNIQUE (source_id, ordinal)
) STRICT;

CREATE VIRTUAL TABLE kb_fts USING fts5(
    title, body,
    content = 'kb_chunks', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER kb_chunks_ai AFTER INSERT ON kb_chunks BEGIN
    INSERT INTO kb_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER kb_chunks_ad AFTER DELETE ON kb_chunks BEGIN
    INSERT INTO kb_fts (kb_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER kb_chunks_au AFTER UPDATE ON kb_chunks BEGIN
    INSERT INTO kb_fts (kb_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO kb_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

-- One row per embedding model ever used; `vec_table` holds its vectors, `active` marks the one queries use.
CREATE TABLE kb_models (
    id         TEXT PRIMARY KEY,
    vec_table  TEXT NOT NULL UNIQUE,
    dims       INTEGER NOT NULL CHECK (dims > 0 AND dims <= 8192),
    active     INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX kb_models_one_active ON kb_models (active) WHERE active = 1;
