// Citations in rendered model output: `[n]` becomes a button that opens passage n, but only for numbers the
// core confirmed (a citation event, or a stored report's list); any other bracketed number stays plain text.
// Works on the sanitised HTML's text nodes (never inside code), creating the buttons itself.

const CITATION = /\[(\d{1,3})\]/g;

/** The sanitised HTML with each known `[n]` turned into `<button class="cite" data-cite="n">`. */
export function linkCitations(html: string, known: ReadonlySet<number>): string {
  if (known.size === 0 || !html.includes("[")) return html;
  const root = document.createElement("template");
  root.innerHTML = html;
  const walker = document.createTreeWalker(root.content, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n as Text;
    if (t.parentElement?.closest("code, pre, a")) continue;
    if (CITATION.test(t.data)) texts.push(t);
    CITATION.lastIndex = 0;
  }
  for (const t of texts) {
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const m of t.data.matchAll(CITATION)) {
      const n = Number(m[1]);
      if (!known.has(n)) continue;
      const at = m.index ?? 0;
      frag.append(t.data.slice(last, at));
      const b = document.createElement("button");
      b.type = "button";
      b.className = "cite";
      b.dataset.cite = String(n);
      b.title = `Open passage ${n}`;
      b.textContent = String(n);
      frag.append(b);
      last = at + m[0].length;
    }
    frag.append(t.data.slice(last));
    t.replaceWith(frag);
  }
  return root.innerHTML;
}

/** The citation number of a click on a citation button, if it was one. */
export function citationOf(target: EventTarget | null): number | null {
  const el = target instanceof Element ? target.closest("button.cite") : null;
  const n = el instanceof HTMLElement ? Number(el.dataset.cite) : NaN;
  return Number.isInteger(n) ? n : null;
}

/** A report folded to its summary: the Markdown up to its second level-2 section (the lead and the first
 * section, "Where to focus"), and the rest; `rest` is empty when there is nothing more to unfold. Headings
 * inside fenced code do not count. */
export function foldReport(markdown: string): { summary: string; rest: string } {
  const lines = markdown.split("\n");
  let fenced = false;
  let sections = 0;
  let offset = 0;
  for (const line of lines) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (!fenced && /^## /.test(line)) {
      sections++;
      if (sections === 2) {
        return { summary: markdown.slice(0, offset).trimEnd(), rest: markdown.slice(offset) };
      }
    }
    offset += line.length + 1;
  }
  return { summary: markdown, rest: "" };
}

/** The citation numbers a piece of Markdown uses, in reading order, each once. */
export function citedIn(markdown: string): number[] {
  const out: number[] = [];
  for (const m of markdown.matchAll(CITATION)) {
    const n = Number(m[1]);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}
