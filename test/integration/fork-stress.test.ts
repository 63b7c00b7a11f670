import { test, expect, describe, afterEach } from "bun:test";
import { TSRUNC, ROOT, newId, bundle, cleanup } from "./helpers";

afterEach(cleanup);

describe("the fork recipe under load", () => {
  // Regression test for init children deadlocked on a lock an engine thread held at fork time
  // (see src/linux/engine.ts): ~0.5% of runs hung before the engine ran without JIT threads.
  test("120 runs, 4 at a time, none hangs", async () => {
    const b = bundle(["/bin/true"]);
    const ids = Array.from({ length: 120 }, () => newId("stress"));
    let hung = 0, failed = 0;
    const errors = new Set<string>();
    const worker = async (mine: string[]) => {
      for (const id of mine) {
        const p = Bun.spawn([TSRUNC, "--root", ROOT, "run", "-b", b, id], { stdio: ["ignore", "ignore", "pipe"] });
        const timer = setTimeout(() => { hung++; p.kill("SIGKILL"); }, 10_000);
        const code = await p.exited;
        clearTimeout(timer);
        if (code !== 0) { failed++; errors.add(await new Response(p.stderr).text()); }
      }
    };
    await Promise.all([0, 1, 2, 3].map((w) => worker(ids.filter((_, i) => i % 4 === w))));
    expect({ hung, failed, errors: [...errors] }).toEqual({ hung: 0, failed: 0, errors: [] });
  }, 120_000);
});
