-- Compilar local database, version 16: each AI provider's circuit breaker outlives the process (issue 26). The
-- window and every command-line run on this data folder share one breaker per provider: a provider that failed
-- five times in a row, or asked us to wait with Retry-After, is left alone by the next process too. Only the
-- lasting part is kept (totals and recent failures stay in each process); `seq` grows with every write, so a
-- process can tell that another one changed the row since it last looked.
CREATE TABLE provider_breakers (
    provider             TEXT PRIMARY KEY CHECK (length(provider) BETWEEN 1 AND 40),
    state                TEXT NOT NULL CHECK (state IN ('closed', 'open', 'forced_open')),
    -- When an open circuit admits its first trial call again, in Unix milliseconds (0 when not open).
    open_until_ms        INTEGER NOT NULL DEFAULT 0 CHECK (open_until_ms >= 0),
    consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    consecutive_opens    INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_opens >= 0),
    seq                  INTEGER NOT NULL DEFAULT 1,
    updated_at           TEXT NOT NULL
) STRICT;
