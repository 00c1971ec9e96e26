// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";

describe("renderMarkdown", () => {
  it("renders ordinary Markdown", () => {
    const html = renderMarkdown("**Trust** grows.\n\n- one\n- two\n\n`code`");
    expect(html).toContain("<strong>Trust</strong>");
    expect(html).toContain("<li>one</li>");
    expect(html).toContain("<code>code</code>");
  });

  it("removes scripts, handlers, images and dangerous links", () => {
    const html = renderMarkdown(
      '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>\n\n' +
        '[ok](https://example.org) [bad](javascript:alert(4))\n\n<iframe src="https://evil"></iframe><p onclick="x()">p</p>',
    );
    expect(html).not.toMatch(/script|onerror|onclick|javascript:|iframe|<img/i);
    expect(html).toContain('href="https://example.org"');
  });
});
