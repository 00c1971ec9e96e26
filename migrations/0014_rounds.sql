-- Compilar local database, version 14: an assessment can answer a team's group round (issue 15). The round
-- lives on the team's Supabase project; here it is only the id the assessment was started for, which syncs
-- with it so the server can count it towards the round's team results.
ALTER TABLE assessments ADD COLUMN round_id TEXT CHECK (round_id IS NULL OR length(round_id) = 36);
CREATE INDEX assessments_by_round ON assessments (round_id) WHERE round_id IS NOT NULL;
