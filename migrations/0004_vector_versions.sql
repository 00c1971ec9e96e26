-- Compilar local database, version 4: a change counter per embedding model.
-- Every write to a model's vectors (insert, delete) bumps `version` in the same transaction, so the in-memory
-- search index built from those vectors knows when it is stale, whichever connection made the change.
ALTER TABLE kb_models ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
