-- Compilar local database, version 10: what an assessment is about. A free label naming the group it is
-- about ("Product team", chosen from earlier labels or new) and a short note, both editable later; the label is
-- what "compare over time" groups by before teams exist.
ALTER TABLE assessments ADD COLUMN group_label TEXT
    CHECK (group_label IS NULL OR length(group_label) BETWEEN 1 AND 80);
ALTER TABLE assessments ADD COLUMN note TEXT CHECK (note IS NULL OR length(note) <= 2000);
CREATE INDEX assessments_by_group ON assessments (owner_id, group_label, created_at DESC)
    WHERE deleted_at IS NULL;
