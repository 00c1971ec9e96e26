//! SQL of the knowledge base: sources, chunks, full-text search, embedding models and their vector tables.
//!
//! Each embedding model has its own vec0 table:
//!
//! ```sql
//! CREATE VIRTUAL TABLE kb_vec_<hash> USING vec0(
//!   chunk_id INTEGER PRIMARY KEY,
//!   pillar TEXT PARTITION KEY,            -- filter inside the KNN, and shards the scan
//!   embedding FLOAT[dims] distance_metric=l2,
//!   mode TEXT, force TEXT, category TEXT, source TEXT)   -- metadata: also filtered inside the KNN
//! ```
//!
//! and a companion, `kb_vecf_<hash>`, a plain table of the float vectors by chunk id: the source of the
//! in-memory sign-bit index that narrows large searches ([`crate::embed::index`]) and of the exact re-rank of its
//! shortlist (a primary-key read there takes about 4 µs; a vec0 point query about 27 µs). The floats are stored
//! twice: the price of both exact filtered KNN inside sqlite-vec and a fast re-rank.
//!
//! Vectors are unit length, so L2 ranks like cosine: `cos = 1 − d² / 2`.

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, ToSql};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// From this many floats in scope (vectors × dimensions; a tenth of the vectors when a pillar is given) a
/// query is narrowed by the in-memory sign-bit index ([`crate::embed::index`]) and only the shortlist is ranked
/// exactly; below it sqlite-vec's exact scan (with the filters inside the KNN) is fast enough: about 4,000 ×
/// 256 or 650 × 1,536 floats.
pub const APPROX_FROM_FLOATS: u64 = 1_000_000;

/// One embedding model's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTable {
    pub model_id: String,
    pub table: String,
    pub dims: usize,
}

/// Filters applied inside both searches.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub mode: Option<String>,
    pub pillar: Option<String>,
    pub force: Option<String>,
    pub category: Option<String>,
    pub source: Option<SourceFilter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceFilter {
    Builtin,
    Documents,
    Document(String),
}

/// A chunk as stored.
#[derive(Debug, Clone)]
pub struct ChunkRow {
    pub id: i64,
    pub source_id: String,
    pub source_kind: String,
    pub source_title: String,
    pub passage_id: String,
    pub title: String,
    pub body: String,
    pub mode: String,
    pub pillar: String,
    pub force: String,
    pub category: String,
}

/// A chunk to insert.
#[derive(Debug, Clone)]
pub struct NewChunk {
    pub passage_id: String,
    pub ordinal: i64,
    pub title: String,
    pub body: String,
    pub mode: String,
    pub pillar: String,
    pub force: String,
    pub category: String,
    pub content_hash: String,
}

/// The sign-bit vec0 table earlier versions kept next to each model's table (replaced by the in-memory index
/// of [`crate::embed::index`]); dropped when found.
fn old_bits_table(table: &str) -> String {
    table.replacen("kb_vec_", "kb_vecb_", 1)
}

/// Drops tables earlier versions created and no longer used.
pub fn drop_retired_tables(c: &Connection) -> Result<()> {
    for (m, _) in models(c)? {
        c.execute_batch(&format!(
            "DROP TABLE IF EXISTS {}",
            old_bits_table(&m.table)
        ))?;
    }
    Ok(())
}

/// The companion table of float vectors by chunk id.
pub fn floats_table(table: &str) -> String {
    table.replacen("kb_vec_", "kb_vecf_", 1)
}

fn table_name(model_id: &str) -> String {
    let h = Sha256::digest(model_id.as_bytes());
    format!("kb_vec_{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
}

/// The model's table, created (and recorded in `kb_models`) if it does not exist yet.
pub fn ensure_model(c: &Connection, model_id: &str, dims: usize, now: &str) -> Result<ModelTable> {
    if !(1..=8192).contains(&dims) {
        return Err(Error::bad_vectors(
            model_id,
            format_args!("a model must have 1 to 8,192 dimensions, not {dims}"),
        ));
    }
    let existing: Option<(String, i64)> = c
        .query_row(
            "SELECT vec_table, dims FROM kb_models WHERE id = ?1",
            [model_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((table, d)) = existing {
        if d as usize != dims {
            return Err(Error::bad_vectors(
                model_id,
                format_args!("its vectors had {d} dimensions before and now have {dims}"),
            ));
        }
        return Ok(ModelTable {
            model_id: model_id.to_owned(),
            table,
            dims,
        });
    }
    let table = table_name(model_id);
    c.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {table} USING vec0(
            chunk_id INTEGER PRIMARY KEY,
            pillar TEXT PARTITION KEY,
            embedding FLOAT[{dims}] distance_metric=l2,
            mode TEXT,
            force TEXT,
            category TEXT,
            source TEXT
        );
        CREATE TABLE {floats_table} (chunk_id INTEGER PRIMARY KEY, v BLOB NOT NULL) STRICT;",
        floats_table = floats_table(&table),
    ))?;
    c.execute(
        "INSERT INTO kb_models (id, vec_table, dims, active, created_at, updated_at) VALUES (?1, ?2, ?3, 0, ?4, ?4)",
        params![model_id, table, dims as i64, now],
    )?;
    Ok(ModelTable {
        model_id: model_id.to_owned(),
        table,
        dims,
    })
}

pub fn set_active(c: &Connection, model_id: &str, now: &str) -> Result<()> {
    c.execute(
        "UPDATE kb_models SET active = 0, updated_at = ?1 WHERE active = 1 AND id != ?2",
        params![now, model_id],
    )?;
    c.execute(
        "UPDATE kb_models SET active = 1, updated_at = ?1 WHERE id = ?2",
        params![now, model_id],
    )?;
    Ok(())
}

pub fn active_model(c: &Connection) -> Result<Option<ModelTable>> {
    Ok(c.query_row(
        "SELECT id, vec_table, dims FROM kb_models WHERE active = 1",
        [],
        |r| {
            Ok(ModelTable {
                model_id: r.get(0)?,
                table: r.get(1)?,
                dims: r.get::<_, i64>(2)? as usize,
            })
        },
    )
    .optional()?)
}

pub fn models(c: &Connection) -> Result<Vec<(ModelTable, bool)>> {
    let mut st =
        c.prepare_cached("SELECT id, vec_table, dims, active FROM kb_models ORDER BY created_at")?;
    let rows = st.query_map([], |r| {
        Ok((
            ModelTable {
                model_id: r.get(0)?,
                table: r.get(1)?,
                dims: r.get::<_, i64>(2)? as usize,
            },
            r.get::<_, i64>(3)? == 1,
        ))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// A source row to write.
#[derive(Debug, Clone)]
pub struct NewSource<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub file_name: Option<&'a str>,
    pub content_hash: &'a str,
    pub bytes: u64,
}

/// Creates or updates a source row.
pub fn upsert_source(c: &Connection, s: &NewSource<'_>, now: &str) -> Result<()> {
    c.execute(
        "INSERT INTO kb_sources (id, kind, title, file_name, content_hash, bytes, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, file_name = excluded.file_name,
             content_hash = excluded.content_hash, bytes = excluded.bytes, updated_at = excluded.updated_at",
        params![s.id, s.kind, s.title, s.file_name, s.content_hash, s.bytes as i64, now],
    )?;
    Ok(())
}

/// Removes every chunk of a source (and its vectors in every model table).
pub fn delete_chunks_of(c: &Connection, source_id: &str) -> Result<usize> {
    for (m, _) in models(c)? {
        for t in [m.table.clone(), floats_table(&m.table)] {
            c.execute(
                &format!(
                    "DELETE FROM {t} WHERE chunk_id IN (SELECT id FROM kb_chunks WHERE source_id = ?1)"
                ),
                [source_id],
            )?;
        }
        crate::embed::index::bump(c, &m.model_id)?;
    }
    Ok(c.execute("DELETE FROM kb_chunks WHERE source_id = ?1", [source_id])?)
}

/// Removes vectors whose chunk no longer exists (left by an interrupted or foreign edit). Returns how many.
pub fn delete_orphan_vectors(c: &Connection) -> Result<usize> {
    let mut n = 0;
    for (m, _) in models(c)? {
        for t in [m.table.clone(), floats_table(&m.table)] {
            n += c.execute(
                &format!("DELETE FROM {t} WHERE chunk_id NOT IN (SELECT id FROM kb_chunks)"),
                [],
            )?;
        }
        crate::embed::index::bump(c, &m.model_id)?;
    }
    Ok(n)
}

/// Inserts chunks; returns their ids in order.
pub fn insert_chunks(c: &Connection, source_id: &str, chunks: &[NewChunk]) -> Result<Vec<i64>> {
    let mut st = c.prepare_cached(
        "INSERT INTO kb_chunks (source_id, passage_id, ordinal, title, body, mode, pillar, force, category, content_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut ids = Vec::with_capacity(chunks.len());
    for ch in chunks {
        st.execute(params![
            source_id,
            ch.passage_id,
            ch.ordinal,
            ch.title,
            ch.body,
            ch.mode,
            ch.pillar,
            ch.force,
            ch.category,
            ch.content_hash
        ])?;
        ids.push(c.last_insert_rowid());
    }
    Ok(ids)
}

/// Writes vectors (already checked and normalised) for chunks into a model's table.
pub fn insert_vectors(c: &Connection, m: &ModelTable, rows: &[(i64, Vec<f32>)]) -> Result<()> {
    let mut meta = c.prepare_cached(
        "SELECT c.pillar, c.mode, c.force, c.category, s.id FROM kb_chunks c JOIN kb_sources s ON s.id = c.source_id WHERE c.id = ?1",
    )?;
    let mut ins = c.prepare_cached(&format!(
        "INSERT INTO {} (chunk_id, pillar, embedding, mode, force, category, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        m.table
    ))?;
    let mut ins_floats = c.prepare_cached(&format!(
        "INSERT INTO {} (chunk_id, v) VALUES (?1, ?2)",
        floats_table(&m.table)
    ))?;
    for (id, v) in rows {
        if v.len() != m.dims || v.iter().any(|x| !x.is_finite()) {
            return Err(Error::bad_vectors(
                &m.model_id,
                format_args!("every vector must have {} finite values", m.dims),
            ));
        }
        // A chunk deleted while its vector was being computed (during a model switch) is skipped.
        let Some((pillar, mode, force, category, source)): Option<(
            String,
            String,
            String,
            String,
            String,
        )> = meta
            .query_row([id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?
        else {
            continue;
        };
        let blob = crate::embed::to_blob(v);
        ins.execute(params![id, pillar, blob, mode, force, category, source])?;
        ins_floats.execute(params![id, blob])?;
    }
    if !rows.is_empty() {
        crate::embed::index::bump(c, &m.model_id)?;
    }
    Ok(())
}

/// Chunks that have no vector in this model's table yet, with the text to embed (oldest first).
pub fn chunks_missing_vectors(
    c: &Connection,
    m: &ModelTable,
    limit: u32,
) -> Result<Vec<(i64, String)>> {
    // The plain float table: a primary-key probe there is far cheaper than one into the vec0 table.
    let mut st = c.prepare(&format!(
        "SELECT c.id, c.title || char(10) || c.body FROM kb_chunks c
         WHERE NOT EXISTS (SELECT 1 FROM {} v WHERE v.chunk_id = c.id) ORDER BY c.id LIMIT ?1",
        floats_table(&m.table)
    ))?;
    let rows = st.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The first chunks with the text to embed (for a model that has no table yet).
pub fn all_chunk_texts(c: &Connection, limit: u32) -> Result<Vec<(i64, String)>> {
    let mut st = c.prepare_cached(
        "SELECT id, title || char(10) || body FROM kb_chunks ORDER BY id LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// How many chunks have a vector from this model.
pub fn count_floats(c: &Connection, m: &ModelTable) -> Result<u64> {
    let n: i64 = c.query_row(
        &format!("SELECT count(*) FROM {}", floats_table(&m.table)),
        [],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// A recorded model's table.
pub fn model(c: &Connection, model_id: &str) -> Result<Option<ModelTable>> {
    Ok(models(c)?
        .into_iter()
        .find(|(m, _)| m.model_id == model_id)
        .map(|x| x.0))
}

/// An upper bound of the number of vectors, in O(log n): the largest rowid of the vec0 table's rowid shadow
/// table (a `count(*)` walks every row and costs milliseconds at 10,000 rows).
fn size_estimate(c: &Connection, m: &ModelTable) -> Result<u64> {
    let mut st = c.prepare_cached(&format!(
        "SELECT coalesce(max(rowid), 0) FROM {}_rowids",
        m.table
    ))?;
    Ok(st.query_row([], |r| r.get::<_, i64>(0))?.max(0) as u64)
}

/// The exact number of vectors (for status; the search path uses [`size_estimate`]).
pub fn count_vectors(c: &Connection, m: &ModelTable) -> Result<u64> {
    let n: i64 = c.query_row(
        &format!("SELECT count(*) FROM {}_rowids", m.table),
        [],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

pub fn count_chunks(c: &Connection) -> Result<u64> {
    Ok(c.query_row("SELECT count(*) FROM kb_chunks", [], |r| r.get::<_, i64>(0))? as u64)
}

/// Appends the filters as `AND` clauses. `prefix` qualifies the columns (`""` for a vec0 table, `"c."` for the
/// chunks joined to FTS5); `source_col` names the column holding `builtin` or a document id.
fn push_filters(
    sql: &mut String,
    args: &mut Vec<Box<dyn ToSql>>,
    f: &Filters,
    prefix: &str,
    source_col: &str,
) {
    for (col, v) in [
        ("pillar", &f.pillar),
        ("mode", &f.mode),
        ("force", &f.force),
        ("category", &f.category),
    ] {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {prefix}{col} = ?"));
            args.push(Box::new(v.clone()));
        }
    }
    match &f.source {
        Some(SourceFilter::Builtin) => sql.push_str(&format!(" AND {source_col} = 'builtin'")),
        Some(SourceFilter::Documents) => sql.push_str(&format!(" AND {source_col} != 'builtin'")),
        Some(SourceFilter::Document(id)) => {
            sql.push_str(&format!(" AND {source_col} = ?"));
            args.push(Box::new(id.clone()));
        }
        None => {}
    }
}

/// Whether unfiltered searches of this model go through the in-memory index.
pub fn uses_index(c: &Connection, m: &ModelTable) -> Result<bool> {
    Ok(size_estimate(c, m)?.saturating_mul(m.dims as u64) >= APPROX_FROM_FLOATS)
}

/// The `k` nearest chunks to `query` (unit length) with the filters applied.
///
/// Exact when the scope is small (below [`APPROX_FROM_FLOATS`]; a pillar narrows the scope to about a tenth)
/// or when `exact` is set: sqlite-vec's KNN with the pillar as partition key and the other filters as metadata
/// columns, inside the scan. Otherwise the in-memory sign-bit index narrows the scope (same filters) to a
/// shortlist, whose float vectors are read by primary key from the float table and ranked by exact L2.
pub fn knn(
    c: &Connection,
    m: &ModelTable,
    query: &[f32],
    k: u32,
    f: &Filters,
    exact: bool,
) -> Result<Vec<(i64, f32)>> {
    knn_with(c, m, query, k, f, exact, None)
}

/// [`knn`] with the index's narrowing chosen by the caller (for measurements).
pub fn knn_with(
    c: &Connection,
    m: &ModelTable,
    query: &[f32],
    k: u32,
    f: &Filters,
    exact: bool,
    narrowing: Option<crate::embed::index::Narrowing>,
) -> Result<Vec<(i64, f32)>> {
    let k = k.clamp(1, 4096);
    let in_scope = size_estimate(c, m)? / if f.pillar.is_some() { 10 } else { 1 };
    let approximate = !exact && in_scope.saturating_mul(m.dims as u64) >= APPROX_FROM_FLOATS;
    if approximate {
        let index = crate::embed::index::get(c, m)?;
        let ids = index.shortlist(query, f, k as usize, narrowing);
        let mut exact_d = distances(c, m, query, &ids)?;
        exact_d.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        exact_d.truncate(k as usize);
        return Ok(exact_d);
    }
    let blob = crate::embed::to_blob(query);
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(blob)];
    let mut sql = format!(
        "SELECT chunk_id, distance FROM {} WHERE embedding MATCH ?1 AND k = {k}",
        m.table
    );
    push_filters(&mut sql, &mut args, f, "", "source");
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(params_from_iter(args.iter().map(|b| b.as_ref())), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)? as f32))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// L2 distances between `query` and the given chunks' vectors, read by primary key from the float table and
/// computed here (chunks without a vector are left out).
pub fn distances(
    c: &Connection,
    m: &ModelTable,
    query: &[f32],
    ids: &[i64],
) -> Result<Vec<(i64, f32)>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT v FROM {} WHERE chunk_id = ?1",
        floats_table(&m.table)
    ))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let d = st
            .query_row([id], |r| {
                let b = r.get_ref(0)?.as_blob()?;
                let mut sum = 0.0f32;
                for (chunk, q) in b.chunks_exact(4).zip(query) {
                    let x = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                    sum += (x - q) * (x - q);
                }
                Ok(sum.sqrt())
            })
            .optional()?;
        if let Some(d) = d {
            out.push((*id, d));
        }
    }
    Ok(out)
}

/// A chunk's stored vector in model `m` (`None` when it has none there yet).
pub fn vector_of(c: &Connection, m: &ModelTable, id: i64) -> Result<Option<Vec<f32>>> {
    Ok(c.prepare_cached(&format!(
        "SELECT v FROM {} WHERE chunk_id = ?1",
        floats_table(&m.table)
    ))?
    .query_row([id], |r| {
        let b = r.get_ref(0)?.as_blob()?;
        Ok(b.chunks_exact(4)
            .map(|x| f32::from_le_bytes([x[0], x[1], x[2], x[3]]))
            .collect())
    })
    .optional()?)
}

/// Full-text search (BM25, lower is better) with the same filters, applied before the limit.
pub fn fts(c: &Connection, match_expr: &str, k: u32, f: &Filters) -> Result<Vec<(i64, f64)>> {
    let filtered = f.mode.is_some()
        || f.pillar.is_some()
        || f.force.is_some()
        || f.category.is_some()
        || f.source.is_some();
    // The join to the chunks is only needed for filters (it costs a lookup per match).
    let mut sql = String::from(if filtered {
        "SELECT c.id, bm25(kb_fts, 2.0, 1.0) AS score FROM kb_fts JOIN kb_chunks c ON c.id = kb_fts.rowid
         WHERE kb_fts MATCH ?"
    } else {
        "SELECT rowid, bm25(kb_fts, 2.0, 1.0) AS score FROM kb_fts WHERE kb_fts MATCH ?"
    });
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(match_expr.to_owned())];
    push_filters(&mut sql, &mut args, f, "c.", "c.source_id");
    sql.push_str(&format!(" ORDER BY score LIMIT {k}"));
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(params_from_iter(args.iter().map(|b| b.as_ref())), |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

pub fn chunks_by_id(c: &Connection, ids: &[i64]) -> Result<Vec<ChunkRow>> {
    let mut st = c.prepare_cached(
        "SELECT c.id, c.source_id, s.kind, s.title, c.passage_id, c.title, c.body, c.mode, c.pillar, c.force, c.category
         FROM kb_chunks c JOIN kb_sources s ON s.id = c.source_id WHERE c.id = ?1",
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = st
            .query_row([id], |r| {
                Ok(ChunkRow {
                    id: r.get(0)?,
                    source_id: r.get(1)?,
                    source_kind: r.get(2)?,
                    source_title: r.get(3)?,
                    passage_id: r.get(4)?,
                    title: r.get(5)?,
                    body: r.get(6)?,
                    mode: r.get(7)?,
                    pillar: r.get(8)?,
                    force: r.get(9)?,
                    category: r.get(10)?,
                })
            })
            .optional()?
        {
            out.push(row);
        }
    }
    Ok(out)
}
