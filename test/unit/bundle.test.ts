// What each process loads before its work starts (sys/, linux/lazy-fs.ts, pathname.ts): the
// parent's first chunk, the CLI's, the small verbs' and the init engine's chunks load no node:
// builtin (node:fs ~1 ms, node:path ~0.35 ms each time, on every verb's and create's longest path).
import { expect, test } from "bun:test";
import * as path from "node:path";

test("neither main.ts's static imports, the CLI's, create's, run's, exec's, the small verbs' nor the init engine's load node:fs or node:path", async () => {
  const out = await Bun.build({
    entrypoints: [path.join(import.meta.dir, "../../src/main.ts")],
    splitting: true, target: "bun", format: "esm", naming: { entry: "[name].[ext]", chunk: "[name]-[hash].[ext]" },
    define: { TSRUNC_VERSION: '"test"', TSRUNC_COMMIT: '"test"' },
  });
  expect(out.success).toBe(true);
  const files = new Map<string, string>();
  for (const o of out.outputs) if (o.kind !== "asset") files.set(path.basename(o.path), await o.text());
  const closure = (start: string) => {
    const seen = new Set<string>();
    const todo = [start];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const m of files.get(f)!.matchAll(/^import\s[^;]*?from\s*"\.\/([^"]+)"|^import\s*"\.\/([^"]+)"/gm)) todo.push(m[1] ?? m[2]);
    }
    return [...seen];
  };
  const nodeImports = (chunks: string[]) => chunks.flatMap((f) => [...files.get(f)!.matchAll(/^import\s[^;]*?from\s*"(node:[a-z_/]+|fs|path)"/gm)].map((m) => m[1]));
  const initChunk = [...files.keys()].find((f) => f.startsWith("init-engine"))!;
  expect(initChunk).toBeDefined();
  const mainClosure = closure("main.js");
  const initClosure = closure(initChunk);
  expect(initClosure.length).toBeGreaterThan(3);
  expect(nodeImports(mainClosure)).toEqual([]);
  expect(nodeImports(initClosure)).toEqual([]);
  // nor the CLI's
  const cliChunk = [...files.keys()].find((f) => f.startsWith("main-") && files.get(f)!.includes("a drop-in for runc"))!;
  expect(cliChunk).toBeDefined();
  expect(nodeImports(closure(cliChunk))).toEqual([]);
  // nor --version's (cli/version.ts, which main.ts loads without the CLI)
  const versionChunk = [...files.keys()].find((f) => files.get(f)!.includes("tsrunc version"))!;
  expect(versionChunk).toBeDefined();
  expect(nodeImports(closure(versionChunk))).toEqual([]);
  // nor create's, run's or exec's (cgroups through Sys: cgroups/fsio.ts; a terminal proxy loads
  // node:fs when there is one): 20 parallel creates would pay node:fs's ~1 ms of CPU twenty times
  for (const text of ["cannot allocate tty if tsrunc will detach", "cannot exec in a stopped container", "startRightAway: true"]) {
    const chunk = [...files.keys()].find((f) => files.get(f)!.includes(text))!;
    expect(chunk).toBeDefined();
    expect(nodeImports(closure(chunk))).toEqual([]);
  }
  // start, kill, delete and state (container/lifecycle.ts, state/state.ts)
  const lifecycleChunk = [...files.keys()].find((f) => files.get(f)!.includes("container not running"))!;
  expect(lifecycleChunk).toBeDefined();
  expect(nodeImports(closure(lifecycleChunk))).toEqual([]);
}, 30000);
