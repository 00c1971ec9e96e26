// Model output is Markdown from a source we do not control: render it, then sanitise the HTML.
// Rendering never throws: deeply nested input (lists in lists, quotes in quotes) and anything the parser
// fails on are shown as plain text instead.
import DOMPurify from "dompurify";
import { marked } from "marked";

const ALLOWED_TAGS = [
  "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
  "h1", "h2", "h3", "h4", "h5", "h6", "hr", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
];

/** The deepest nesting rendered as Markdown (lists and quotes inside one another, or raw HTML tags). */
export const MAX_NESTING = 16;

/** Text that is longer than this is shown as plain text (a streamed answer is at most 1 MB). */
export const MAX_MARKDOWN_CHARS = 1_100_000;

/** How deeply the source nests containers: quote and list markers at a line's start (with indentation),
 * and open HTML tags. An upper bound; cheap and linear. */
export function nestingDepth(source: string): number {
  let deepest = 0;
  for (const line of source.split("\n")) {
    let depth = 0;
    let i = 0;
    // Indentation: every two spaces (or a tab) can open a level of a list.
    let indent = 0;
    while (i < line.length && (line[i] === " " || line[i] === "\t")) {
      indent += line[i] === "\t" ? 2 : 1;
      i++;
    }
    depth += Math.floor(indent / 2);
    // A run of container markers: "> ", "- ", "* ", "+ ", "1. ", "1) ".
    for (;;) {
      const rest = line.slice(i, i + 12);
      const m = /^(?:>|[-*+]|\d{1,9}[.)])(?:[ \t]+|$)/.exec(rest);
      if (!m) break;
      depth++;
      i += m[0].length;
      if (depth > MAX_NESTING) return depth;
    }
    deepest = Math.max(deepest, depth);
  }
  // Raw HTML: open minus closed container tags, at their deepest.
  let open = 0;
  for (const m of source.matchAll(/<(\/?)(?:blockquote|ul|ol|li|div|table|p|em|strong|b|i|del|code|pre)\b[^>]*>/gi)) {
    open += m[1] ? -1 : 1;
    if (open > deepest) deepest = open;
    if (deepest > MAX_NESTING) return deepest;
  }
  return deepest;
}

/** The most emphasis delimiters (`*`, `_`) one run of inline text may hold and still be rendered: marked's
 * emphasis matching is quadratic in unmatched delimiters (`"*a ".repeat(1000)` takes 0.36 s, 20,000 take
 * 145 s), and a streamed answer is rendered again on every token. 200 take some 40–90 ms at worst
 * (printed by the test). */
export const MAX_DELIMITERS = 200;

/** The most `*` and `_` in any one run of inline text (a paragraph, a list item, a heading). */
export function heaviestInline(source: string): number {
  let heaviest = 0;
  let current = 0;
  for (const line of source.split("\n")) {
    // A blank line, a list item, a heading or a quote starts a new run of inline text.
    if (/^\s*$/.test(line) || /^\s*(?:[-*+]|\d{1,9}[.)]|#{1,6}|>)\s/.test(line)) current = 0;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 42 || c === 95) current++;
    }
    if (current > heaviest) heaviest = current;
  }
  return heaviest;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The source as plain, escaped text with its line breaks. */
export function plainText(source: string): string {
  return `<p class="md-plain">${escapeHtml(source).replace(/\n/g, "<br>")}</p>`;
}

/** Markdown → safe HTML: no scripts, no event handlers, no images or iframes, links only to http(s)/mailto.
 * Too deeply nested, too long, too many emphasis marks in one paragraph, or failing to render → the same
 * text, plain. */
export function renderMarkdown(source: string): string {
  if (
    source.length > MAX_MARKDOWN_CHARS ||
    nestingDepth(source) > MAX_NESTING ||
    heaviestInline(source) > MAX_DELIMITERS
  ) {
    return plainText(source);
  }
  try {
    const html = marked.parse(source, { async: false, gfm: true, breaks: false }) as string;
    return DOMPurify.sanitize(html, {
      ALLOWED_TAGS,
      ALLOWED_ATTR: ["href", "title"],
      ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    });
  } catch {
    // A stack overflow on input the depth check did not foresee, or a parser bug.
    return plainText(source);
  }
}

/** Text still being written, as it will read once its marks close: an opened `**` or `` ` `` in the last
 * paragraph is closed for now, so "**Voice sa" shows as bold rather than with its stars. Marks inside a code
 * span or block are left alone. */
export function closeOpenMarks(source: string): string {
  const fences = (source.match(/^\s*(```|~~~)/gm) ?? []).length;
  if (fences % 2 === 1) return source; // inside a fenced block: shown as code, nothing to close
  const start = source.lastIndexOf("\n\n") + 1;
  const last = source.slice(start);
  let out = source;
  const ticks = (last.match(/`/g) ?? []).length;
  if (ticks % 2 === 1) return `${out}\``;
  const bold = (last.replace(/`[^`]*`/g, "").match(/\*\*/g) ?? []).length;
  if (bold % 2 === 1) out = /\*\*\s*$/.test(out) ? out.replace(/\*\*\s*$/, "") : `${out.trimEnd()}**`;
  return out;
}

/** A streamed answer rendered as it arrives (see [`closeOpenMarks`]). */
export function renderStreaming(source: string): string {
  return renderMarkdown(closeOpenMarks(source));
}
