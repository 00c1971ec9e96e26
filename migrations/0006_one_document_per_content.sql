-- Compilar local database, version 6: the same content is imported once, enforced by the database (two imports
-- of one new file at once could both pass the application's check and store it twice).
-- Duplicates stored before this version are kept (nothing of the user's is deleted here; the list still shows
-- them and deleting one removes its vectors too); their hashes are marked so that the unique index holds.
UPDATE kb_sources
   SET content_hash = content_hash || ':duplicate:' || id
 WHERE kind = 'document'
   AND id NOT IN (SELECT min(id) FROM kb_sources WHERE kind = 'document' GROUP BY content_hash);

CREATE UNIQUE INDEX kb_sources_one_per_content ON kb_sources (content_hash) WHERE kind = 'document';
