// process.rlimits through prlimit(2), and user namespace id maps.
import { describe, expect, test } from "bun:test";
import { formatIdMap, hostIdOf, parseIdMap } from "../../src/linux/idmap";
import { applyRlimits, rlimitResource } from "../../src/linux/rlimits";
import type { IdMapping } from "../../src/spec/types";
import { EPERM } from "../../src/sys";
import { FakeSys } from "../fake-sys";

const INF = 0xffffffffffffffffn;

describe("applyRlimits", () => {
  test("one prlimit(0, resource, soft, hard) per entry, in order", () => {
    const s = new FakeSys();
    applyRlimits(s, [
      { type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 },
      { type: "RLIMIT_CORE", soft: 0, hard: 0 },
      { type: "RLIMIT_STACK", soft: 8388608, hard: 8388608 },
    ]);
    expect(s.calls).toEqual([
      { op: "prlimit", args: [0, 7, 1024n, 4096n] },
      { op: "prlimit", args: [0, 4, 0n, 0n] },
      { op: "prlimit", args: [0, 3, 8388608n, 8388608n] },
    ]);
  });

  test("2^64-1 (which JSON turns into 2^64) is RLIM_INFINITY; large finite values stay exact", () => {
    const s = new FakeSys();
    const parsed = JSON.parse('{"type":"RLIMIT_MEMLOCK","soft":18446744073709551615,"hard":18446744073709551615}');
    applyRlimits(s, [parsed, { type: "RLIMIT_AS", soft: 2 ** 64 - 1, hard: 2 ** 40 }, { type: "RLIMIT_NPROC", soft: 2 ** 53, hard: 2 ** 63 }]);
    expect(s.calls).toEqual([
      { op: "prlimit", args: [0, 8, INF, INF] },
      { op: "prlimit", args: [0, 9, INF, 1099511627776n] },
      { op: "prlimit", args: [0, 6, 9007199254740992n, 9223372036854775808n] },
    ]);
  });

  test("an unknown type is an error naming it; earlier entries were applied", () => {
    const s = new FakeSys();
    expect(() => applyRlimits(s, [{ type: "RLIMIT_CPU", soft: 1, hard: 2 }, { type: "RLIMIT_FOO", soft: 1, hard: 1 }]))
      .toThrow('rlimit "RLIMIT_FOO": unknown resource');
    expect(s.calls).toEqual([{ op: "prlimit", args: [0, 0, 1n, 2n] }]);
    expect(rlimitResource("RLIMIT_RTTIME")).toBe(15);
    expect(rlimitResource("NOFILE")).toBeUndefined();
  });

  test("a refused prlimit names the resource and values", () => {
    const s = new FakeSys().failNext("prlimit", EPERM);
    expect(() => applyRlimits(s, [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 1048577 }]))
      .toThrow("set rlimit RLIMIT_NOFILE (soft 1024, hard 1048577): prlimit: EPERM (Operation not permitted)");
  });
});

describe("id maps", () => {
  const maps: IdMapping[] = [
    { containerID: 0, hostID: 1000, size: 1 },
    { containerID: 1, hostID: 100000, size: 65536 },
    { containerID: 70000, hostID: 200000, size: 10 },
  ];

  test("formatIdMap writes one 'inside outside count' line per range", () => {
    expect(formatIdMap(maps)).toBe("0 1000 1\n1 100000 65536\n70000 200000 10\n");
    expect(formatIdMap([])).toBe("");
  });

  test("parseIdMap inverts formatIdMap and reads the kernel's padded layout", () => {
    expect(parseIdMap(formatIdMap(maps))).toEqual(maps);
    expect(parseIdMap("         0       1000          1\n         1     100000      65536\n")).toEqual(maps.slice(0, 2));
    expect(parseIdMap("")).toEqual([]);
  });

  test("hostIdOf maps through the matching range, -1 outside every range, identity without maps", () => {
    expect(hostIdOf(maps, 0)).toBe(1000);
    expect(hostIdOf(maps, 1)).toBe(100000);
    expect(hostIdOf(maps, 65536)).toBe(165535);
    expect(hostIdOf(maps, 65537)).toBe(-1);
    expect(hostIdOf(maps, 70009)).toBe(200009);
    expect(hostIdOf(maps, 70010)).toBe(-1);
    expect(hostIdOf(undefined, 42)).toBe(42);
    expect(hostIdOf([], 42)).toBe(42);
  });
});
