//! How far a PDF may expand while Compilar reads it.
//!
//! The 50 MB import limit counts the file's bytes, but a PDF's streams are compressed: 0.78 MB of deflate
//! can hold 768 MiB. So every stream is measured, without keeping what it decodes to, while the file is
//! loaded (a guard lopdf calls for each object, before object streams are unpacked), and the drawing work
//! of every page — its content streams plus every form it draws, as often as it draws it — is added up
//! before any page is read. Over a limit, the import is refused with `document_expands_too_far`; image
//! data is never needed for text, so images are emptied instead.
//!
//! Together these keep the decoded bytes in memory at once to one stream or one page's drawing
//! instructions; the ceiling for a whole import is in docs/performance.md, measured by
//! `tests/pdf_limits.rs`.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

/// The most one stream may decode to.
pub const MAX_STREAM_BYTES: u64 = 32 * 1024 * 1024;
/// The most one page's drawing instructions may add up to (its streams and the forms it draws); a page
/// past it is skipped. Parsed, dense drawing instructions take about 106 times their size (31 MiB of
/// `1 1 m` took 3.3 GB), so this is what keeps one page under the import ceiling.
pub const MAX_PAGE_BYTES: u64 = 3 * 1024 * 1024;
/// The most all pages' drawing instructions may add up to (it bounds the time an import takes).
pub const MAX_DOCUMENT_BYTES: u64 = 128 * 1024 * 1024;
/// The most pages read from one document.
pub const MAX_PAGES: usize = 5_000;
/// The most text taken from one document (about ten long books).
pub const MAX_TEXT_BYTES: usize = 20 * 1024 * 1024;
/// How deeply forms may draw forms.
pub const MAX_FORM_DEPTH: usize = 12;
/// The widest row a PNG predictor may declare (the decoder allocates two rows up front).
const MAX_PREDICTOR_ROW: u64 = 1024 * 1024;

/// Marks a stream the guard found too large (its content is dropped at load).
const TOO_LARGE: &[u8] = b"CompilarTooLarge";
/// What the guard measured a stream to decode to.
const DECODED: &[u8] = b"CompilarDecoded";

/// Why a PDF is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Stream,
    Page,
    Document,
    Pages(usize),
    Forms,
}

impl Refusal {
    /// The words after "This PDF …".
    pub fn reason(&self) -> String {
        let mb = |b: u64| b / (1024 * 1024);
        match self {
            Refusal::Stream => format!(
                "holds a compressed part that unpacks to more than {} MB",
                mb(MAX_STREAM_BYTES)
            ),
            Refusal::Page => format!(
                "has only pages whose drawing instructions unpack to more than {} MB (drawings or maps, not text)",
                mb(MAX_PAGE_BYTES)
            ),
            Refusal::Document => format!(
                "unpacks to more than {} MB of drawing instructions",
                mb(MAX_DOCUMENT_BYTES)
            ),
            Refusal::Pages(n) => format!("has {n} pages; Compilar reads at most {MAX_PAGES}"),
            Refusal::Forms => format!(
                "draws parts that draw themselves, or nests them more than {MAX_FORM_DEPTH} deep"
            ),
        }
    }
}

/// The guard lopdf calls for each object as it loads (a plain function: it holds no state).
///
/// Image data is emptied (text extraction never needs it); any other stream that decodes to more than
/// [`MAX_STREAM_BYTES`] is emptied and marked, so [`check`] refuses the file. What a stream decodes to is
/// recorded on it for the page budget.
pub fn guard(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    if let Object::Stream(stream) = object {
        if is_image(&stream.dict) {
            stream.set_plain_content(Vec::new());
            stream.dict.set(DECODED, 0);
        } else {
            match decoded_len(stream, MAX_STREAM_BYTES) {
                Some(n) => stream.dict.set(DECODED, n as i64),
                None => {
                    stream.set_plain_content(Vec::new());
                    stream.dict.set(TOO_LARGE, true);
                }
            }
        }
        // lopdf keeps the object it passed in; what is returned is only used inside object streams,
        // which cannot hold streams.
        return Some((id, Object::Null));
    }
    Some((id, object.clone()))
}

fn is_image(dict: &Dictionary) -> bool {
    matches!(dict.get(b"Subtype").and_then(Object::as_name), Ok(b"Image"))
}

/// What `stream` decodes to with lopdf's own decoders, or `None` past `limit` (or when decoding it would
/// allocate past it). Nothing decoded is kept except between two filters of a chain.
pub fn decoded_len(stream: &Stream, limit: u64) -> Option<u64> {
    let Ok(filters) = stream.filters() else {
        // No filter (or an unreadable one, which lopdf also reads as raw bytes).
        return Some(stream.content.len() as u64);
    };
    if !filters
        .iter()
        .all(|f| matches!(*f, b"FlateDecode" | b"LZWDecode" | b"ASCII85Decode"))
    {
        // lopdf cannot decode the chain and hands out the raw bytes; it may still decode the leading
        // filters it knows before giving up, so those are bounded too.
        let known: Vec<&[u8]> = filters
            .iter()
            .take_while(|f| matches!(**f, b"FlateDecode" | b"LZWDecode" | b"ASCII85Decode"))
            .copied()
            .collect();
        decode_chain(stream, &known, limit)?;
        return Some(stream.content.len() as u64);
    }
    decode_chain(stream, &filters, limit)
}

fn decode_chain(stream: &Stream, filters: &[&[u8]], limit: u64) -> Option<u64> {
    let params = stream
        .dict
        .get(b"DecodeParms")
        .and_then(Object::as_dict)
        .ok();
    if filters
        .iter()
        .any(|f| matches!(*f, b"FlateDecode" | b"LZWDecode"))
        && predictor_row(params)? > MAX_PREDICTOR_ROW
    {
        return None;
    }
    let mut data: Option<Vec<u8>> = None;
    let mut len = stream.content.len() as u64;
    for (i, filter) in filters.iter().enumerate() {
        let input = data.as_deref().unwrap_or(&stream.content);
        let keep = i + 1 < filters.len();
        let mut sink = Bounded::new(limit, keep);
        let ok = match *filter {
            b"FlateDecode" => inflate(input, &mut sink),
            b"LZWDecode" => unlzw(input, params, &mut sink),
            _ => ascii85(input, &mut sink),
        };
        if !ok || sink.over {
            return None;
        }
        len = sink.len;
        data = sink.kept;
    }
    Some(len)
}

/// The row width a PNG predictor in `params` declares (0 without one); `None` if it overflows.
fn predictor_row(params: Option<&Dictionary>) -> Option<u64> {
    let Some(params) = params else { return Some(0) };
    let int =
        |key: &[u8], default: i64| params.get(key).and_then(Object::as_i64).unwrap_or(default);
    if !(10..=15).contains(&int(b"Predictor", 1)) {
        return Some(0);
    }
    let columns = int(b"Columns", 1).max(1) as u64;
    let colors = int(b"Colors", 1).max(1) as u64;
    let bits = int(b"BitsPerComponent", 8).max(8) as u64;
    colors
        .checked_mul(bits)?
        .checked_mul(columns)
        .map(|b| b / 8)
}

/// Counts (and, between filters, keeps) decoded bytes; refuses to take more than the limit.
struct Bounded {
    len: u64,
    limit: u64,
    over: bool,
    kept: Option<Vec<u8>>,
}

impl Bounded {
    fn new(limit: u64, keep: bool) -> Self {
        Bounded {
            len: 0,
            limit,
            over: false,
            kept: keep.then(Vec::new),
        }
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.len + buf.len() as u64 > self.limit {
            self.over = true;
            return Err(std::io::Error::other("over the limit"));
        }
        self.len += buf.len() as u64;
        if let Some(kept) = &mut self.kept {
            kept.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Zlib, then (as lopdf does when that yields nothing) raw deflate after the two header bytes.
/// A damaged stream counts as what came out before the damage.
fn inflate(input: &[u8], sink: &mut Bounded) -> bool {
    if input.is_empty() {
        return true;
    }
    let _ = std::io::copy(&mut flate2::read::ZlibDecoder::new(input), sink);
    if sink.over {
        return false;
    }
    if sink.len == 0 && input.len() > 2 {
        let _ = std::io::copy(&mut flate2::read::DeflateDecoder::new(&input[2..]), sink);
    }
    !sink.over
}

fn unlzw(input: &[u8], params: Option<&Dictionary>, sink: &mut Bounded) -> bool {
    use weezl::{decode::Decoder, BitOrder};
    let early_change = params
        .and_then(|p| p.get(b"EarlyChange").ok())
        .and_then(|p| p.as_i64().ok())
        .map(|v| v != 0)
        .unwrap_or(true);
    let mut decoder = if early_change {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    } else {
        Decoder::new(BitOrder::Msb, 8)
    };
    let _ = decoder.into_stream(&mut *sink).decode_all(input);
    !sink.over
}

/// ASCII85 as lopdf reads it (a `z` is four zero bytes; anything else ends the data).
fn ascii85(input: &[u8], sink: &mut Bounded) -> bool {
    let input = input.strip_suffix(b"~>").unwrap_or(input);
    let mut group = 0usize;
    let mut buf = Vec::with_capacity(64 * 1024);
    for &ch in input {
        if ch == b'z' && group == 0 {
            buf.extend_from_slice(&[0; 4]);
        } else if ch.is_ascii_whitespace() {
            continue;
        } else if (b'!'..=b'u').contains(&ch) {
            group += 1;
            if group == 5 {
                buf.extend_from_slice(&[0; 4]);
                group = 0;
            }
        } else {
            break;
        }
        if buf.len() >= 64 * 1024 {
            if sink.write_all(&buf).is_err() {
                return false;
            }
            buf.clear();
        }
    }
    if group > 1 {
        buf.extend(std::iter::repeat_n(0, group - 1));
    }
    sink.write_all(&buf).is_ok()
}

/// Before loading: cross-reference streams are unpacked by lopdf while it reads the file's index, before
/// the guard sees any object, so each one (a dictionary naming `/XRef`) is measured from the raw bytes.
/// The deflate data is read from the stream's start to the end of the file: the decoder stops where the
/// data ends, so a forged `endstream` inside it cannot hide the rest.
pub fn prescan(bytes: &[u8]) -> Result<(), Refusal> {
    const NEAR: usize = 4096;
    let mut from = 0;
    while let Some(at) = find(&bytes[from..], b"/XRef").map(|i| from + i) {
        from = at + 5;
        if bytes.get(from).is_some_and(u8::is_ascii_alphanumeric) {
            continue; // "/XRefStm", a key in a trailer
        }
        let dict_start = at.saturating_sub(NEAR);
        let dict_end = (at + NEAR).min(bytes.len());
        let Some(kw) = find(&bytes[at..dict_end], b"stream").map(|i| at + i) else {
            continue;
        };
        let mut data = kw + b"stream".len();
        if bytes.get(data) == Some(&b'\r') {
            data += 1;
        }
        if bytes.get(data) == Some(&b'\n') {
            data += 1;
        }
        let before = &bytes[dict_start..at];
        let head = &bytes[rfind(before, b"obj").map_or(dict_start, |i| dict_start + i)..kw];
        if find(head, b"FlateDecode").is_none() {
            continue;
        }
        let mut sink = Bounded::new(MAX_STREAM_BYTES, false);
        if !inflate(&bytes[data..], &mut sink) {
            return Err(Refusal::Stream);
        }
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// After loading: refuses the file if the guard marked a stream, if it has too many pages, if forms
/// draw themselves or nest too deeply, or if the pages' drawing work adds up past the limit; returns the
/// pages too heavy to read on their own (they are skipped).
pub fn check(doc: &Document, pages: &[ObjectId]) -> Result<HashSet<ObjectId>, Refusal> {
    if doc
        .objects
        .values()
        .any(|o| matches!(o, Object::Stream(s) if s.dict.has(TOO_LARGE)))
    {
        return Err(Refusal::Stream);
    }
    if pages.len() > MAX_PAGES {
        return Err(Refusal::Pages(pages.len()));
    }
    let mut costs = Costs {
        doc,
        forms: HashMap::new(),
        contents: HashMap::new(),
        path: Vec::new(),
    };
    let mut total = 0u64;
    let mut heavy = HashSet::new();
    for &page in pages {
        let cost = match costs.page(page) {
            Ok(cost) => cost,
            Err(Refusal::Page) => MAX_PAGE_BYTES + 1,
            Err(other) => return Err(other),
        };
        if cost > MAX_PAGE_BYTES {
            heavy.insert(page);
            continue;
        }
        total += cost;
        if total > MAX_DOCUMENT_BYTES {
            return Err(Refusal::Document);
        }
    }
    Ok(heavy)
}

/// The drawing work of pages and forms: a content's decoded size, plus for each `Do` in it the most
/// expensive form its resources offer (an upper bound: which name each `Do` draws is not parsed).
struct Costs<'a> {
    doc: &'a Document,
    /// Forms with their own resources, already costed.
    forms: HashMap<ObjectId, u64>,
    /// Content streams already measured: decoded size and `Do` count.
    contents: HashMap<ObjectId, (u64, u64)>,
    /// The forms being costed, innermost last (a form met again on this path draws itself).
    path: Vec<ObjectId>,
}

impl Costs<'_> {
    fn page(&mut self, page: ObjectId) -> Result<u64, Refusal> {
        let contents = self.doc.get_page_contents(page);
        let mut cost = 0u64;
        let mut draws = 0u64;
        for id in contents {
            let (len, n) = match self.contents.get(&id) {
                Some(&known) => known,
                None => {
                    let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) else {
                        continue;
                    };
                    let known = self.content(stream)?;
                    self.contents.insert(id, known);
                    known
                }
            };
            cost += len;
            draws += n;
            if cost > MAX_PAGE_BYTES {
                return Err(Refusal::Page);
            }
        }
        if draws > 0 {
            let mut resources = Vec::new();
            if let Ok((own, inherited)) = self.doc.get_page_resources(page) {
                resources.extend(own.cloned());
                resources.extend(
                    inherited
                        .into_iter()
                        .filter_map(|id| self.doc.get_dictionary(id).ok().cloned()),
                );
            }
            let widest = self.widest_form(&resources)?;
            cost = cost.saturating_add(draws.saturating_mul(widest));
        }
        Ok(cost)
    }

    /// A content stream's decoded size and how many times it says `Do`.
    fn content(&self, stream: &Stream) -> Result<(u64, u64), Refusal> {
        let len = match stream.dict.get(DECODED).and_then(Object::as_i64) {
            Ok(n) => n as u64,
            Err(_) => decoded_len(stream, MAX_STREAM_BYTES).ok_or(Refusal::Stream)?,
        };
        let draws = if len == 0 {
            0
        } else {
            let bytes = stream
                .decompressed_content()
                .unwrap_or_else(|_| stream.content.clone());
            count_do(&bytes)
        };
        Ok((len, draws))
    }

    /// The most expensive form any of these resource dictionaries offers.
    fn widest_form(&mut self, resources: &[Dictionary]) -> Result<u64, Refusal> {
        let mut widest = 0u64;
        for res in resources {
            let Ok(xobjects) = deref_dict(self.doc, res.get(b"XObject").ok()) else {
                continue;
            };
            for (_, obj) in xobjects.iter() {
                let Ok(id) = obj.as_reference() else { continue };
                let Ok(form) = self.doc.get_object(id).and_then(Object::as_stream) else {
                    continue;
                };
                if !matches!(
                    form.dict.get(b"Subtype").and_then(Object::as_name),
                    Ok(b"Form")
                ) {
                    continue;
                }
                widest = widest.max(self.form(id, form, resources)?);
            }
        }
        Ok(widest)
    }

    fn form(
        &mut self,
        id: ObjectId,
        form: &Stream,
        inherited: &[Dictionary],
    ) -> Result<u64, Refusal> {
        if let Some(&cost) = self.forms.get(&id) {
            return Ok(cost);
        }
        if self.path.contains(&id) || self.path.len() >= MAX_FORM_DEPTH {
            return Err(Refusal::Forms);
        }
        let (len, draws) = self.content(form)?;
        let own = deref_dict(self.doc, form.dict.get(b"Resources").ok()).ok();
        let mut cost = len;
        if draws > 0 {
            self.path.push(id);
            let widest = match &own {
                Some(own) => self.widest_form(std::slice::from_ref(own)),
                // pdf-extract lets a form without resources use the ones it was drawn with.
                None => self.widest_form(inherited),
            };
            self.path.pop();
            cost = cost.saturating_add(draws.saturating_mul(widest?));
        }
        if cost > MAX_PAGE_BYTES {
            return Err(Refusal::Page);
        }
        if own.is_some() {
            self.forms.insert(id, cost);
        }
        Ok(cost)
    }
}

fn deref_dict(doc: &Document, obj: Option<&Object>) -> Result<Dictionary, ()> {
    match obj {
        Some(Object::Dictionary(d)) => Ok(d.clone()),
        Some(Object::Reference(id)) => doc.get_dictionary(*id).cloned().map_err(|_| ()),
        _ => Err(()),
    }
}

/// How many times the `Do` operator appears as a word (an over-count inside strings is harmless).
fn count_do(content: &[u8]) -> u64 {
    let delimiter = |b: u8| b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b);
    content
        .windows(2)
        .enumerate()
        .filter(|&(i, w)| {
            w == b"Do"
                && (i == 0 || delimiter(content[i - 1]))
                && content.get(i + 2).is_none_or(|&b| delimiter(b))
        })
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    fn deflated(len: usize) -> Vec<u8> {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        let block = vec![b' '; 1024 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(block.len());
            enc.write_all(&block[..n]).unwrap();
            left -= n;
        }
        enc.finish().unwrap()
    }

    #[test]
    fn measures_deflate_without_keeping_it() {
        let s = Stream::new(
            dictionary! { "Filter" => "FlateDecode" },
            deflated(3_000_000),
        );
        assert_eq!(decoded_len(&s, MAX_STREAM_BYTES), Some(3_000_000));
        assert_eq!(decoded_len(&s, 2_999_999), None);
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let s = Stream::new(
            dictionary! { "Filter" => "FlateDecode" },
            deflated(MAX_STREAM_BYTES as usize + 1),
        );
        assert_eq!(decoded_len(&s, MAX_STREAM_BYTES), None);
    }

    #[test]
    fn chains_and_unknown_filters() {
        let inner = deflated(1000);
        let s = Stream::new(
            dictionary! { "Filter" => vec!["FlateDecode".into(), "DCTDecode".into()] },
            inner.clone(),
        );
        // lopdf cannot decode DCT and hands out the raw bytes.
        assert_eq!(decoded_len(&s, 10_000), Some(inner.len() as u64));
        assert_eq!(decoded_len(&s, 999), None);
        let plain = Stream::new(dictionary! {}, b"BT ET".to_vec());
        assert_eq!(decoded_len(&plain, 10), Some(5));
    }

    #[test]
    fn ascii85_and_lzw() {
        let s = Stream::new(
            dictionary! { "Filter" => "ASCII85Decode" },
            b"zzzz87cURD]i,\"Ebo80~>".to_vec(),
        );
        assert_eq!(decoded_len(&s, 1000), Some(28));
        let mut lzw = Vec::new();
        weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .into_stream(&mut lzw)
            .encode_all(&vec![b'a'; 100_000][..])
            .status
            .unwrap();
        let s = Stream::new(dictionary! { "Filter" => "LZWDecode" }, lzw);
        assert_eq!(decoded_len(&s, 1_000_000), Some(100_000));
        assert_eq!(decoded_len(&s, 99_999), None);
    }

    #[test]
    fn a_predictor_row_too_wide_is_refused() {
        let s = Stream::new(
            dictionary! {
                "Filter" => "FlateDecode",
                "DecodeParms" => dictionary! { "Predictor" => 12, "Columns" => 1_i64 << 40 },
            },
            deflated(10),
        );
        assert_eq!(decoded_len(&s, MAX_STREAM_BYTES), None);
    }

    #[test]
    fn counts_do_as_a_word() {
        assert_eq!(count_do(b"/F1 Do /F2 Do\n/Im Do"), 3);
        assert_eq!(count_do(b"(Dog) Tj /Fo Dox"), 0);
    }
}
