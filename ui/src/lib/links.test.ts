// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { externalHref } from "./links";

describe("externalHref", () => {
  it("accepts web and mail links inside the clicked link", () => {
    document.body.innerHTML = '<a href="https://example.org/x"><b id="t">bold link</b></a><a id="m" href="mailto:a@b.c">m</a>';
    expect(externalHref(document.getElementById("t"))).toBe("https://example.org/x");
    expect(externalHref(document.getElementById("m"))).toBe("mailto:a@b.c");
  });

  it("refuses everything else", () => {
    document.body.innerHTML = '<a id="j" href="javascript:alert(1)">j</a><a id="f" href="file:///etc/passwd">f</a><span id="s">s</span>';
    expect(externalHref(document.getElementById("j"))).toBeNull();
    expect(externalHref(document.getElementById("f"))).toBeNull();
    expect(externalHref(document.getElementById("s"))).toBeNull();
  });
});
