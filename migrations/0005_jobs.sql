-- Compilar local database, version 5: long-running work of every process on this data folder (the window and
-- any command-line runs), so each can list what the others are doing. Rows are refreshed by a heartbeat while
-- their process works; rows of a process that stopped refreshing are ignored and pruned.
CREATE TABLE jobs (
    process    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    label      TEXT NOT NULL,
    subject    TEXT,
    done       INTEGER,
    total      INTEGER,
    stage      TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (process, kind, id)
) STRICT;
CREATE INDEX jobs_updated ON jobs (updated_at);
