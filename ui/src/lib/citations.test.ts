// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { citationOf, citedIn, foldReport, linkCitations } from "./citations";
import { renderMarkdown } from "./markdown";

describe("citations", () => {
  it("links only numbers the core confirmed, never inside code", () => {
    const html = renderMarkdown("Speak up [1]. Invented [9]. `[1]` in code. [2][1]");
    const out = linkCitations(html, new Set([1, 2]));
    const div = document.createElement("div");
    div.innerHTML = out;
    const cites = [...div.querySelectorAll("button.cite")].map((b) => b.getAttribute("data-cite"));
    expect(cites).toEqual(["1", "2", "1"]);
    expect(div.textContent).toContain("Invented [9]");
    expect(div.querySelector("code")?.textContent).toBe("[1]");
    expect(citationOf(div.querySelector("button.cite"))).toBe(1);
    expect(citationOf(div.querySelector("code"))).toBe(null);
  });

  it("leaves text alone when nothing is confirmed", () => {
    const html = renderMarkdown("Only [1] here.");
    expect(linkCitations(html, new Set())).toBe(html);
  });

  it("never turns model HTML into a button", () => {
    const html = renderMarkdown('<button class="cite" data-cite="1">x</button> [1]');
    const div = document.createElement("div");
    div.innerHTML = linkCitations(html, new Set([1]));
    expect(div.querySelectorAll("button").length).toBe(1);
    expect(div.querySelector("button")?.textContent).toBe("1");
  });
});

describe("folding a report", () => {
  it("keeps the lead and the first section, and says when there is more", () => {
    const md = "> First impression.\n\n## Where to focus\n\nVoice [1].\n\n## What is holding up\n\nTrust [2].\n\n## Practices to try\n\nTalk [1].";
    const f = foldReport(md);
    expect(f.summary).toBe("> First impression.\n\n## Where to focus\n\nVoice [1].");
    expect(f.rest.startsWith("## What is holding up")).toBe(true);
    expect(f.summary + "\n\n" + f.rest).toBe(md);
    expect(citedIn(f.summary)).toEqual([1]);
    expect(citedIn(md)).toEqual([1, 2]);
  });

  it("does not fold a report of one section, nor count headings in code", () => {
    expect(foldReport("## Only\n\ntext").rest).toBe("");
    expect(foldReport("## A\n\n```\n## not a heading\n```\n").rest).toBe("");
  });
});
