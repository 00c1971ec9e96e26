//! The in-memory quantised index behind large vector searches.
//!
//! sqlite-vec scans floats without SIMD and keeps its top-k sorted by insertion, so neither a float scan of
//! 100,000 × 1,536 values (≈ 240 ms) nor a sign-bit pre-scan with the thousand candidates large collections
//! need (≈ 35 ms at 10,000 rows for k = 1,000) fits the targets. This index keeps, per model, the sign bit of
//! every dimension (1,536 dims → 192 bytes a chunk; 100,000 chunks ≈ 19 MB) and the chunk's filter values in
//! memory, and narrows a query in three steps:
//!
//! 1. Hamming distance between the query's and every in-scope chunk's sign bits (a popcount per 64 dims) keeps
//!    the best `shortlist`;
//! 2. an asymmetric estimate — the query's real values against the chunk's signs, Σ qᵢ·sign(xᵢ), through one
//!    256-entry table per byte — keeps the best `rerank`;
//! 3. the caller computes exact distances for those from the float vectors in SQLite.
//!
//! The index is built from the model's float table on first use and kept per database file and model. Every
//! write to a model's vectors bumps `kb_models.version` in the same transaction; a query that sees another
//! version appends new chunks (ids only grow) or, after deletions, rebuilds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::store::kb::{floats_table, Filters, ModelTable, SourceFilter};

/// How far each step narrows a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Narrowing {
    /// Kept by the Hamming step.
    pub shortlist: usize,
    /// Kept by the asymmetric step, then ranked exactly.
    pub rerank: usize,
}

impl Narrowing {
    /// Defaults measured with `benches/search.rs` (recall@10 against exact search, 10,000 and 100,000 chunks).
    /// With 8-bit vectors in memory the second step is nearly exact, so few chunks need the exact rank; with
    /// sign bits only, the shortlist grows with the scope so that a large, tight cluster of near-duplicates
    /// still fits in it.
    pub fn for_scope(scope: usize, k: usize, bytes: bool) -> Narrowing {
        if bytes {
            Narrowing {
                shortlist: (scope / 5).max(2_000),
                rerank: (k * 4).max(40),
            }
        } else {
            // 100,000 × 1,536: 8,333 by Hamming, 400 by the estimate → recall@10 1.0 in about 10 ms
            // (4,000 / 200: 0.994 in 7 ms).
            let rerank = (k * 40).clamp(200, 800);
            Narrowing {
                shortlist: (scope / 12).clamp(rerank * 4, 16_000),
                rerank,
            }
        }
    }
}

/// 8-bit copies of the vectors are kept while they take at most this much memory (10,000 × 1,536 dims take
/// 15 MB; 100,000 × 1,536 would take 154 MB, so large collections use the sign bits alone).
pub const BYTES_BUDGET: usize = 48 * 1024 * 1024;

/// Sign bits and filter values of one model's vectors.
pub struct BitIndex {
    version: i64,
    words: usize,
    dims: usize,
    ids: Vec<i64>,
    bits: Vec<u64>,
    /// Each vector scaled to −127…127 (per-vector scale in `scales`), while within [`BYTES_BUDGET`].
    bytes: Option<Vec<i8>>,
    scales: Vec<f32>,
    pillar: Vec<u32>,
    mode: Vec<u32>,
    force: Vec<u32>,
    category: Vec<u32>,
    source: Vec<u32>,
    /// Interned filter values (`""` is 0).
    names: HashMap<String, u32>,
    max_id: i64,
}

/// Recently used indexes, by database file and table (a few: one app has one active model).
static CACHE: Mutex<Vec<(String, Arc<BitIndex>)>> = Mutex::new(Vec::new());
const CACHE_ENTRIES: usize = 4;

fn cache() -> std::sync::MutexGuard<'static, Vec<(String, Arc<BitIndex>)>> {
    match CACHE.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The model's change counter.
pub fn version(c: &Connection, m: &ModelTable) -> Result<i64> {
    let mut st = c.prepare_cached("SELECT version FROM kb_models WHERE id = ?1")?;
    Ok(st
        .query_row([&m.model_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Marks a model's vectors as changed (call in the transaction that changes them).
pub fn bump(c: &Connection, model_id: &str) -> Result<()> {
    c.prepare_cached("UPDATE kb_models SET version = version + 1 WHERE id = ?1")?
        .execute([model_id])?;
    Ok(())
}

/// The current index of a model, built or brought up to date if needed.
pub fn get(c: &Connection, m: &ModelTable) -> Result<Arc<BitIndex>> {
    let key = format!("{}\u{1f}{}", c.path().unwrap_or(""), m.table);
    let v = version(c, m)?;
    let cached = cache()
        .iter()
        .find(|(k, _)| *k == key)
        .map(|x| Arc::clone(&x.1));
    let fresh = match cached {
        Some(idx) if idx.version == v => return Ok(idx),
        Some(idx) => match idx.appended(c, m, v)? {
            Some(next) => next,
            None => BitIndex::build(c, m, v)?,
        },
        None => BitIndex::build(c, m, v)?,
    };
    let fresh = Arc::new(fresh);
    let mut g = cache();
    g.retain(|(k, _)| *k != key);
    g.insert(0, (key, Arc::clone(&fresh)));
    g.truncate(CACHE_ENTRIES);
    Ok(fresh)
}

impl BitIndex {
    fn empty(m: &ModelTable, version: i64) -> BitIndex {
        let mut names = HashMap::new();
        names.insert(String::new(), 0);
        BitIndex {
            version,
            words: m.dims.div_ceil(64),
            dims: m.dims,
            ids: Vec::new(),
            bits: Vec::new(),
            bytes: Some(Vec::new()),
            scales: Vec::new(),
            pillar: Vec::new(),
            mode: Vec::new(),
            force: Vec::new(),
            category: Vec::new(),
            source: Vec::new(),
            names,
            max_id: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn intern(&mut self, s: String) -> u32 {
        let n = self.names.len() as u32;
        *self.names.entry(s).or_insert(n)
    }

    /// Reads the chunks with an id above `after` into the index.
    fn load(&mut self, c: &Connection, m: &ModelTable, after: i64) -> Result<usize> {
        let mut st = c.prepare(&format!(
            "SELECT f.chunk_id, f.v, c.pillar, c.mode, c.force, c.category, c.source_id
             FROM {} f JOIN kb_chunks c ON c.id = f.chunk_id WHERE f.chunk_id > ?1 ORDER BY f.chunk_id",
            floats_table(&m.table)
        ))?;
        let mut rows = st.query([after])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let blob = r
                .get_ref(1)?
                .as_blob()
                .map_err(|e| Error::Internal(format!("a stored vector is not a blob: {e}")))?;
            if blob.len() != m.dims * 4 {
                return Err(Error::Internal(format!(
                    "a stored vector of {} has {} bytes, not {}",
                    m.model_id,
                    blob.len(),
                    m.dims * 4
                )));
            }
            let start = self.bits.len();
            self.bits.resize(start + self.words, 0);
            for (d, x) in blob.chunks_exact(4).enumerate() {
                // The sign bit of a little-endian f32 is the top bit of its last byte.
                if x[3] & 0x80 == 0 {
                    self.bits[start + d / 64] |= 1 << (d % 64);
                }
            }
            if self
                .bytes
                .as_ref()
                .is_some_and(|b| b.len() + m.dims > BYTES_BUDGET)
            {
                self.bytes = None;
                self.scales = Vec::new();
            }
            if let Some(bytes) = self.bytes.as_mut() {
                let v: Vec<f32> = blob
                    .chunks_exact(4)
                    .map(|x| f32::from_le_bytes([x[0], x[1], x[2], x[3]]))
                    .collect();
                let scale = quantise_into(&v, bytes);
                self.scales.push(scale);
            }
            let (p, mo, fo, ca, so): (String, String, String, String, String) =
                (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
            let codes = [
                self.intern(p),
                self.intern(mo),
                self.intern(fo),
                self.intern(ca),
                self.intern(so),
            ];
            self.pillar.push(codes[0]);
            self.mode.push(codes[1]);
            self.force.push(codes[2]);
            self.category.push(codes[3]);
            self.source.push(codes[4]);
            self.ids.push(id);
            self.max_id = self.max_id.max(id);
            n += 1;
        }
        Ok(n)
    }

    fn build(c: &Connection, m: &ModelTable, version: i64) -> Result<BitIndex> {
        let started = std::time::Instant::now();
        let mut idx = BitIndex::empty(m, version);
        idx.load(c, m, 0)?;
        tracing::debug!(
            model = %m.model_id,
            chunks = idx.len(),
            ms = started.elapsed().as_millis() as u64,
            "built the in-memory vector index"
        );
        Ok(idx)
    }

    /// This index plus the chunks added since, if nothing was deleted meanwhile.
    fn appended(&self, c: &Connection, m: &ModelTable, version: i64) -> Result<Option<BitIndex>> {
        let total: i64 = c.query_row(
            &format!("SELECT count(*) FROM {}", floats_table(&m.table)),
            [],
            |r| r.get(0),
        )?;
        let mut next = BitIndex {
            version,
            words: self.words,
            dims: self.dims,
            ids: self.ids.clone(),
            bits: self.bits.clone(),
            bytes: self.bytes.clone(),
            scales: self.scales.clone(),
            pillar: self.pillar.clone(),
            mode: self.mode.clone(),
            force: self.force.clone(),
            category: self.category.clone(),
            source: self.source.clone(),
            names: self.names.clone(),
            max_id: self.max_id,
        };
        next.load(c, m, self.max_id)?;
        Ok((next.len() as i64 == total).then_some(next))
    }

    /// The code of a filter value; `None` when no chunk has it (so nothing can match).
    fn code(&self, v: &str) -> Option<u32> {
        self.names.get(v).copied()
    }

    /// Rows (positions) matching the filters.
    fn scope(&self, f: &Filters) -> Vec<u32> {
        let want = |v: &Option<String>| -> Result<Option<u32>, ()> {
            match v {
                None => Ok(None),
                Some(s) => self.code(s).map(Some).ok_or(()),
            }
        };
        let (Ok(pillar), Ok(mode), Ok(force), Ok(category)) = (
            want(&f.pillar),
            want(&f.mode),
            want(&f.force),
            want(&f.category),
        ) else {
            return Vec::new();
        };
        let builtin = self.code("builtin");
        let source: Option<(u32, bool)> = match &f.source {
            None => None,
            Some(SourceFilter::Builtin) => match builtin {
                Some(b) => Some((b, true)),
                None => return Vec::new(),
            },
            // Not builtin: when no chunk is builtin, every chunk matches.
            Some(SourceFilter::Documents) => builtin.map(|b| (b, false)),
            Some(SourceFilter::Document(id)) => match self.code(id) {
                Some(d) => Some((d, true)),
                None => return Vec::new(),
            },
        };
        (0..self.ids.len() as u32)
            .filter(|&r| {
                let r = r as usize;
                pillar.is_none_or(|p| self.pillar[r] == p)
                    && mode.is_none_or(|p| self.mode[r] == p)
                    && force.is_none_or(|p| self.force[r] == p)
                    && category.is_none_or(|p| self.category[r] == p)
                    && source.is_none_or(|(s, eq)| (self.source[r] == s) == eq)
            })
            .collect()
    }

    /// The chunk ids to rank exactly for the `k` best matches of `query` (unit length, the model's
    /// dimensions), best first. `narrowing` overrides [`Narrowing::for_scope`] (for measurements).
    pub fn shortlist(
        &self,
        query: &[f32],
        f: &Filters,
        k: usize,
        narrowing: Option<Narrowing>,
    ) -> Vec<i64> {
        let rows = self.scope(f);
        let n =
            narrowing.unwrap_or_else(|| Narrowing::for_scope(rows.len(), k, self.bytes.is_some()));
        let qbits = self.query_bits(query);
        let rows = if rows.len() > n.shortlist {
            let mut d = hamming_all(&self.bits, self.words, &qbits, &rows);
            d.select_nth_unstable_by_key(n.shortlist - 1, |x| x.0);
            d.truncate(n.shortlist);
            d.into_iter().map(|x| x.1).collect()
        } else {
            rows
        };
        let mut s: Vec<(f32, u32)> = match &self.bytes {
            Some(bytes) => {
                let mut q8 = Vec::with_capacity(self.dims);
                quantise_into(query, &mut q8);
                rows.into_iter()
                    .map(|r| {
                        let x = &bytes[r as usize * self.dims..(r as usize + 1) * self.dims];
                        (dot_i8(&q8, x) as f32 * self.scales[r as usize], r)
                    })
                    .collect()
            }
            None => {
                let lut = lut(query, self.words);
                rows.into_iter()
                    .map(|r| {
                        let w = &self.bits[r as usize * self.words..(r as usize + 1) * self.words];
                        (asymmetric(&lut, w), r)
                    })
                    .collect()
            }
        };
        if s.len() > n.rerank {
            s.select_nth_unstable_by(n.rerank - 1, |a, b| b.0.total_cmp(&a.0));
            s.truncate(n.rerank);
        }
        s.sort_by(|a, b| b.0.total_cmp(&a.0));
        s.into_iter().map(|x| self.ids[x.1 as usize]).collect()
    }

    /// Memory the index holds, in bytes (about).
    pub fn memory(&self) -> usize {
        self.bits.len() * 8
            + self.bytes.as_ref().map_or(0, Vec::len)
            + self.scales.len() * 4
            + self.ids.len() * (8 + 5 * 4)
    }

    fn query_bits(&self, q: &[f32]) -> Vec<u64> {
        let mut b = vec![0u64; self.words];
        for (d, x) in q.iter().enumerate() {
            if !x.is_sign_negative() {
                b[d / 64] |= 1 << (d % 64);
            }
        }
        b
    }
}

/// Appends `v` scaled to −127…127 to `out`; returns the scale back (0 for a zero vector).
fn quantise_into(v: &[f32], out: &mut Vec<i8>) -> f32 {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        out.extend(std::iter::repeat_n(0i8, v.len()));
        return 0.0;
    }
    let k = 127.0 / max;
    out.extend(v.iter().map(|x| (x * k).round().clamp(-127.0, 127.0) as i8));
    max / 127.0
}

fn dot_i8_portable(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_i8_avx2(a: &[i8], b: &[i8]) -> i32 {
    dot_i8_portable(a, b)
}

/// Σ aᵢ·bᵢ (fits an i32 for up to 133,000 dimensions).
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has just been checked for the feature the function is compiled with.
            return unsafe { dot_i8_avx2(a, b) };
        }
    }
    dot_i8_portable(a, b)
}

/// One table per byte of sign bits: entry `v` is Σ ±qᵢ over the byte's 8 dimensions (+ where the bit is set).
fn lut(q: &[f32], words: usize) -> Vec<f32> {
    let bytes = words * 8;
    let mut t = vec![0.0f32; bytes * 256];
    for b in 0..bytes {
        let qs: [f32; 8] = std::array::from_fn(|j| q.get(b * 8 + j).copied().unwrap_or(0.0));
        let table = &mut t[b * 256..(b + 1) * 256];
        table[0] = -qs.iter().sum::<f32>();
        for v in 1..256usize {
            let low = v.trailing_zeros() as usize;
            table[v] = table[v & (v - 1)] + 2.0 * qs[low];
        }
    }
    t
}

fn asymmetric(lut: &[f32], words: &[u64]) -> f32 {
    let mut sum = 0.0f32;
    for (wi, &w) in words.iter().enumerate() {
        let base = wi * 8 * 256;
        for j in 0..8 {
            let byte = ((w >> (8 * j)) & 0xff) as usize;
            sum += lut[base + j * 256 + byte];
        }
    }
    sum
}

/// Hamming distances of the given rows to the query bits.
fn hamming_all(bits: &[u64], words: usize, q: &[u64], rows: &[u32]) -> Vec<(u32, u32)> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has just been checked for the feature the function is compiled with.
            return unsafe { hamming_popcnt(bits, words, q, rows) };
        }
    }
    hamming_portable(bits, words, q, rows)
}

fn hamming_portable(bits: &[u64], words: usize, q: &[u64], rows: &[u32]) -> Vec<(u32, u32)> {
    rows.iter()
        .map(|&r| {
            let w = &bits[r as usize * words..(r as usize + 1) * words];
            let d: u32 = w.iter().zip(q).map(|(a, b)| (a ^ b).count_ones()).sum();
            (d, r)
        })
        .collect()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn hamming_popcnt(bits: &[u64], words: usize, q: &[u64], rows: &[u32]) -> Vec<(u32, u32)> {
    hamming_portable(bits, words, q, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of these vectors without SQLite, with or without the 8-bit copies.
    fn index_of(vectors: &[Vec<f32>], bytes: bool) -> BitIndex {
        let dims = vectors[0].len();
        let m = ModelTable {
            model_id: "t".into(),
            table: "kb_vec_t".into(),
            dims,
        };
        let mut idx = BitIndex::empty(&m, 0);
        if !bytes {
            idx.bytes = None;
        }
        for (i, v) in vectors.iter().enumerate() {
            let start = idx.bits.len();
            idx.bits.resize(start + idx.words, 0);
            for (d, x) in v.iter().enumerate() {
                if !x.is_sign_negative() {
                    idx.bits[start + d / 64] |= 1 << (d % 64);
                }
            }
            if let Some(b) = idx.bytes.as_mut() {
                let s = quantise_into(v, b);
                idx.scales.push(s);
            }
            for col in [
                &mut idx.pillar,
                &mut idx.mode,
                &mut idx.force,
                &mut idx.category,
                &mut idx.source,
            ] {
                col.push(0);
            }
            idx.ids.push(i as i64 + 1);
        }
        idx
    }

    #[test]
    fn both_second_steps_find_the_exact_neighbours() {
        let mut state = 11u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let dims = 128;
        let topics: Vec<Vec<f32>> = (0..30)
            .map(|_| (0..dims).map(|_| next()).collect())
            .collect();
        let unit = |mut v: Vec<f32>| {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= n);
            v
        };
        let vectors: Vec<Vec<f32>> = (0..3000)
            .map(|i| unit(topics[i % 30].iter().map(|x| x + 0.4 * next()).collect()))
            .collect();
        for bytes in [true, false] {
            let idx = index_of(&vectors, bytes);
            let (mut hit, mut total) = (0, 0);
            for topic in &topics {
                let q = unit(topic.iter().map(|x| x + 0.5 * next()).collect());
                let mut exact: Vec<(f32, i64)> = vectors
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        (
                            v.iter().zip(&q).map(|(a, b)| (a - b) * (a - b)).sum(),
                            i as i64 + 1,
                        )
                    })
                    .collect();
                exact.sort_by(|a, b| a.0.total_cmp(&b.0));
                let short = idx.shortlist(&q, &Filters::default(), 10, None);
                total += 10;
                hit += exact[..10].iter().filter(|e| short.contains(&e.1)).count();
            }
            let recall = hit as f64 / total as f64;
            assert!(recall >= 0.99, "bytes={bytes}: recall {recall}");
        }
    }

    #[test]
    fn the_table_sums_signed_query_values() {
        let q: Vec<f32> = (0..64).map(|i| (i as f32 - 30.0) / 100.0).collect();
        let t = lut(&q, 1);
        // A word whose bits say: dims 0..32 positive, 32..64 negative.
        let w: u64 = 0xffff_ffff;
        let want: f32 = q[..32].iter().sum::<f32>() - q[32..].iter().sum::<f32>();
        assert!((asymmetric(&t, &[w]) - want).abs() < 1e-4);
        assert_eq!(
            hamming_all(&[w], 1, &[0], &[0]),
            vec![(32, 0)],
            "32 bits differ from all-zero"
        );
    }
}
