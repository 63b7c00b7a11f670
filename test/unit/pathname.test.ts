import { describe, expect, test } from "bun:test";
import * as node from "node:path";
import { join, resolve, dirname, basename, isAbsolute, normalize } from "../../src/pathname";

// src/pathname.ts stands in for node:path on the hot paths: it must give node's answers
const samples = ["", ".", "..", "/", "//", "a", "/a", "a/", "/a/", "a/b", "/a/b/c", "a/./b", "a/../b", "../a", "/../a", "/a/..", "a/..", "a/../..",
  "/run/tsrunc/x/state.json", "x/../../y", "./a/b/../c/", "/sys/fs/cgroup/memory/", "a//b", "/a//b//", "...", "a/.../b", ".a/.b"];

describe("pathname gives node:path's answers", () => {
  test("normalize, dirname, basename, isAbsolute", () => {
    for (const s of samples) {
      expect([s, normalize(s)]).toEqual([s, node.posix.normalize(s)]);
      if (!s.includes("//")) expect([s, dirname(s)]).toEqual([s, node.posix.dirname(s)]); // node keeps one slash of "a//b"'s pair
      expect([s, basename(s)]).toEqual([s, node.posix.basename(s)]);
      expect(isAbsolute(s)).toBe(node.posix.isAbsolute(s));
    }
  });
  test("join and resolve of pairs and triples", () => {
    for (const a of samples) {
      for (const b of samples) {
        expect([a, b, join(a, b)]).toEqual([a, b, node.posix.join(a, b)]);
        expect([a, b, resolve(a, b)]).toEqual([a, b, node.posix.resolve(a, b)]);
      }
      expect(join(a, "x", "..", "y")).toBe(node.posix.join(a, "x", "..", "y"));
    }
    expect(join()).toBe(".");
    expect(resolve()).toBe(process.cwd());
  });
});
