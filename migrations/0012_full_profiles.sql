-- Compilar local database, version 12: full profiles. A full profile is the five pillars of one mode taken in
-- one sitting, pillar by pillar, about one group; each pillar is an ordinary assessment that names its profile.
-- It is created with its first pillar's assessment and resumed where it stopped (the next pillar's assessment is
-- created when the user goes on). Owner, timestamps and a tombstone, as every synced row.
CREATE TABLE full_profiles (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES profiles(id),
    mode        TEXT NOT NULL CHECK (mode IN ('egalitarian', 'hierarchical')),
    group_label TEXT CHECK (group_label IS NULL OR length(group_label) BETWEEN 1 AND 80),
    note        TEXT CHECK (note IS NULL OR length(note) <= 2000),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
) STRICT;
CREATE INDEX full_profiles_by_owner ON full_profiles (owner_id, deleted_at, created_at DESC);

ALTER TABLE assessments ADD COLUMN profile_id TEXT REFERENCES full_profiles(id);
CREATE INDEX assessments_by_profile ON assessments (profile_id) WHERE profile_id IS NOT NULL;
