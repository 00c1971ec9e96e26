#!/usr/bin/env python3
"""The core's import graph: which file uses which, read from the source.

    python3 scripts/import-graph.py            # the summary
    python3 scripts/import-graph.py --edges    # every edge between parts, with a file that makes it
    python3 scripts/import-graph.py --cycle-edges  # the edges inside each cycle
    python3 scripts/import-graph.py --check    # exit 1 if ctx.rs names a capability or a cycle runs through > 2 files

A file uses another when it names a path into it (`use crate::a::b`, `crate::a::b::C`, `super::x`, `self::x`)
or calls a capability's handle on the context (`ctx.teams()`). A path lands on the deepest module file it
reaches. Parts are the capabilities (capabilities/<name>) and the top-level modules; a cycle is a strongly
connected set of files (or parts) of more than one member.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "crates" / "compilar-core" / "src"


def module_of(path: Path) -> tuple:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return tuple(parts)


def strip(src: str) -> str:
    """Source without comments, strings and #[cfg(test)] modules (tests may reach anywhere)."""
    src = re.sub(r"//[^\n]*", "", src)
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src = re.sub(r'r#*"(?:.|\n)*?"#*', '""', src)
    src = re.sub(r'"(?:\\.|[^"\\])*"', '""', src)
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", src):
        if m.start() < i:
            continue
        out.append(src[i : m.start()])
        depth, j = 1, m.end()
        while j < len(src) and depth:
            depth += {"{": 1, "}": -1}.get(src[j], 0)
            j += 1
        i = j
    out.append(src[i:])
    return "".join(out)


def use_paths(tree: str) -> list:
    """Flatten a use tree (`a::{b, c::{d}}`) into paths."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    paths = []

    def walk(prefix, s):
        # split s on top-level commas
        depth, start, items = 0, 0, []
        for k, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                items.append(s[start:k])
                start = k + 1
        items.append(s[start:])
        for it in items:
            if not it:
                continue
            b = it.find("{")
            if b >= 0:
                head = [p for p in it[:b].split("::") if p]
                walk(prefix + head, it[b + 1 : it.rfind("}")])
            else:
                paths.append(prefix + [p for p in it.split("::") if p and p != "*"])

    walk([], tree)
    return paths


def main():
    # Unit tests in their own files (`#[cfg(test)] mod tests;`) may reach anywhere, like inline ones.
    files = {module_of(p): p for p in sorted(ROOT.rglob("*.rs")) if p.name != "tests.rs"}
    caps = {m[1] for m in files if len(m) >= 2 and m[0] == "capabilities"}
    # The module a file's `super` and `self` refer to.
    sources = {mod: strip(path.read_text()) for mod, path in files.items()}

    def absolute(here, r):
        """A path written in module `here`, from the crate root (None for an outside crate)."""
        if r[0] == "crate":
            return r[1:]
        if r[0] == "super":
            base = here[:-1]
            r = r[1:]
            while r and r[0] == "super":
                base = base[:-1]
                r = r[1:]
            return base + r
        if r[0] == "self":
            return here + r[1:]
        if tuple(here + r[:1]) in files:  # a child module named without `self::`
            return here + r
        return None

    # What each module re-exports (`pub use x::Y;` makes `module::Y` mean `x::Y`).
    reexports = {}
    for mod, src in sources.items():
        for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", src):
            for r in use_paths(m.group(1)):
                full = absolute(list(mod), r)
                if full:
                    reexports.setdefault(mod, {})[full[-1]] = full

    def resolve(full, depth=0):
        for k in range(len(full), -1, -1):
            key = tuple(full[:k])
            if key in files:
                nxt = reexports.get(key, {}).get(full[k]) if k < len(full) else None
                if nxt and depth < 8 and nxt != full[: k + 1]:
                    return resolve(nxt + full[k + 1 :], depth + 1)
                return key
        return None

    edges = {}
    for mod, src in sources.items():
        refs = []
        for m in re.finditer(r"\buse\s+([^;]+);", src):
            refs.extend(use_paths(m.group(1)))
        for m in re.finditer(r"\b(crate|super|self)((?:::\w+)+)\b(?!::)", src):
            refs.append([m.group(1)] + m.group(2).split("::")[1:])
        targets = set()
        for r in refs:
            if not r:
                continue
            full = absolute(list(mod), r)
            if full is None:
                continue
            best = resolve(full)
            if best is not None and best != mod:
                targets.add(best)
        for m in re.finditer(r"\bctx(?:\(\))?\.(\w+)\(\)", src):
            if m.group(1) in caps:
                t = ("capabilities", m.group(1))
                if t != mod and t != tuple(mod[:2]):
                    targets.add(t)
        edges[mod] = targets

    def part(m):
        if not m:
            return "lib"
        if m[0] == "capabilities" and len(m) >= 2:
            return "capabilities/" + m[1]
        return m[0]

    def sccs(nodes, succ):
        index, low, stack, on, out = {}, {}, [], set(), []
        counter = [0]
        sys.setrecursionlimit(10000)

        def visit(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in succ.get(v, ()):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)

        for v in nodes:
            if v not in index:
                visit(v)
        return [c for c in out if len(c) > 1]

    file_cycles = sorted(sccs(list(files), edges), key=len, reverse=True)
    pedges, why = {}, {}
    for a, ts in edges.items():
        for b in ts:
            pa, pb = part(a), part(b)
            if pa != pb:
                pedges.setdefault(pa, set()).add(pb)
                why.setdefault((pa, pb), "/".join(a) or "lib")
    parts = sorted({part(m) for m in files})
    part_cycles = sorted(sccs(parts, pedges), key=len, reverse=True)
    ctx_caps = sorted(t for t in edges.get(("ctx",), ()) if t and t[0] == "capabilities")
    n_edges = sum(len(v) for v in pedges.values())

    print(f"files: {len(files)}; file edges: {sum(len(v) for v in edges.values())}")
    print(f"parts: {len(parts)}; part edges: {n_edges}")
    print(f"ctx.rs names {len(ctx_caps)} capability modules")
    def long_cycle(comp):
        """A cycle through three files or more inside a strongly connected set, or None: for an edge u -> v,
        the shortest way back from v to u that is not the edge v -> u."""
        members = set(comp)
        for u in sorted(comp):
            for v in sorted(edges[u] & members):
                prev, frontier = {v: None}, [v]
                while frontier and u not in prev:
                    nxt = []
                    for x in frontier:
                        for y in sorted(edges[x] & members):
                            if (x, y) == (v, u) or y in prev:
                                continue
                            prev[y] = x
                            nxt.append(y)
                    frontier = nxt
                if u in prev:
                    path, x = [], u
                    while x is not None:
                        path.append(x)
                        x = prev[x]
                    return [u] + path[::-1][:-1]
        return None

    name = lambda m: "/".join(m) or "lib"
    long_ones = [(c, long_cycle(c)) for c in file_cycles]
    long_ones = [(c, w) for c, w in long_ones if w]
    print(f"strongly connected sets of files: {len(file_cycles)}; largest: {len(file_cycles[0]) if file_cycles else 0} files")
    print(f"of them with a cycle through more than two files: {len(long_ones)}")
    for c, w in long_ones:
        print(f"  {len(c)} files, e.g. " + " -> ".join(name(m) for m in w + w[:1]))
    print(f"part cycles: {len(part_cycles)}")
    for c in part_cycles:
        print("  " + ", ".join(sorted(c)))
    if "--cycle-edges" in sys.argv:
        for c in file_cycles:
            members = set(c)
            print("--")
            for a in sorted(c):
                inside = sorted("/".join(b) or "lib" for b in edges[a] if b in members)
                print(f"{'/'.join(a) or 'lib'} -> {', '.join(inside)}")
    if "--edges" in sys.argv:
        for (a, b), f in sorted(why.items()):
            print(f"{a} -> {b}   ({f})")
    if "--check" in sys.argv:
        bad = ctx_caps or long_ones
        sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
