import { describe as suite, expect, it } from "vitest";
import { describe, fileName, fraction, type ImportItem } from "./imports.svelte";

function item(over: Partial<ImportItem>): ImportItem {
  return {
    key: "k",
    path: "/home/ana/notes.pdf",
    name: "notes.pdf",
    status: "running",
    progress: null,
    error: null,
    doc: null,
    ...over,
  };
}

suite("imports", () => {
  it("takes the file name from Unix and Windows paths", () => {
    expect(fileName("/home/ana/Team notes.md")).toBe("Team notes.md");
    expect(fileName("C:\\Users\\ana\\retro.pdf")).toBe("retro.pdf");
  });

  it("progress only moves forward through the stages", () => {
    const steps = [
      fraction({ stage: "reading", done: 0, total: 4 }),
      fraction({ stage: "reading", done: 4, total: 4 }),
      fraction({ stage: "chunking", done: 0, total: 1 }),
      fraction({ stage: "embedding", done: 0, total: 100 }),
      fraction({ stage: "embedding", done: 64, total: 100 }),
      fraction({ stage: "saving", done: 100, total: 100 }),
      fraction({ stage: "done", done: 100, total: 100 }),
    ];
    for (let i = 1; i < steps.length; i++) expect(steps[i]!).toBeGreaterThanOrEqual(steps[i - 1]!);
    expect(steps[steps.length - 1]).toBe(1);
  });

  it("says what is happening in words", () => {
    expect(describe(item({ progress: { stage: "reading", done: 2, total: 10 } }))).toBe("Reading page 3 of 10…");
    expect(describe(item({ progress: { stage: "embedding", done: 64, total: 130 } }))).toBe(
      "Indexing passages (64 of 130)…",
    );
    expect(
      describe(
        item({
          status: "done",
          doc: {
            id: "x",
            title: "t",
            file_name: null,
            bytes: 1,
            chunks: 1,
            vectors: 1,
            created_at: "",
            already_imported: false,
          },
        }),
      ),
    ).toBe("Added 1 passage.");
    expect(describe(item({ status: "failed", error: { code: "document_empty", message: "No text.", retryable: false } }))).toBe(
      "No text.",
    );
  });
});
