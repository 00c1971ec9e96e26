-- Compilar local database, version 2: the LLM layer.
-- Provider settings and AI settings (never API keys: those live in the OS keychain), and the call log.

-- One row per provider slot that differs from the built-in defaults; `config` is the JSON of ProviderSettings.
CREATE TABLE provider_settings (
    id         TEXT PRIMARY KEY,
    config     TEXT NOT NULL CHECK (json_valid(config)),
    updated_at TEXT NOT NULL
) STRICT;

-- Small JSON settings documents by name (e.g. 'ai': rate limit, prompt logging, call-log retention).
CREATE TABLE app_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL
) STRICT;

-- Every model call, one row per provider attempt. Local only (never synced); pruned by age and count.
CREATE TABLE llm_calls (
    id            INTEGER PRIMARY KEY,
    -- All attempts of one user action (a fallback chain) share it; the rate limit counts actions.
    action_id     TEXT NOT NULL,
    at            TEXT NOT NULL,
    feature       TEXT NOT NULL,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    streamed      INTEGER NOT NULL CHECK (streamed IN (0, 1)),
    latency_ms    INTEGER NOT NULL CHECK (latency_ms >= 0),
    ttft_ms       INTEGER CHECK (ttft_ms IS NULL OR ttft_ms >= 0),
    tokens_in     INTEGER NOT NULL DEFAULT 0,
    tokens_out    INTEGER NOT NULL DEFAULT 0,
    outcome       TEXT NOT NULL CHECK (outcome IN ('ok', 'error', 'rejected', 'cancelled')),
    error_code    TEXT,
    error_message TEXT,
    breaker_state TEXT NOT NULL,
    -- Only when the user turned prompt logging on.
    prompt        TEXT,
    output        TEXT,
    rate_limited  INTEGER NOT NULL DEFAULT 0 CHECK (rate_limited IN (0, 1))
) STRICT;

CREATE INDEX llm_calls_by_at ON llm_calls (at);
