-- Compilar local database, version 17: a document's passages say its title once (issue 26). A document whose
-- first heading is its title stored its sections as "Retro › Retro › What we noticed"; new imports store
-- "Retro › What we noticed", and this rewrites the passages already stored the same way (the FTS index follows
-- through kb_chunks' update trigger; the vectors are keyed by id and stay).
UPDATE kb_chunks
SET title = (SELECT s.title FROM kb_sources s WHERE s.id = kb_chunks.source_id)
          || substr(title, 2 * length((SELECT s.title FROM kb_sources s WHERE s.id = kb_chunks.source_id)) + 4)
WHERE category = 'document'
  AND substr(title, 1, 2 * length((SELECT s.title FROM kb_sources s WHERE s.id = kb_chunks.source_id)) + 3)
      = (SELECT s.title || ' › ' || s.title FROM kb_sources s WHERE s.id = kb_chunks.source_id)
  AND (length(title) = 2 * length((SELECT s.title FROM kb_sources s WHERE s.id = kb_chunks.source_id)) + 3
       OR substr(title, 2 * length((SELECT s.title FROM kb_sources s WHERE s.id = kb_chunks.source_id)) + 4, 3)
          = ' › ');
