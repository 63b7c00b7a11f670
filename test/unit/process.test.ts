// Process helpers: the fork recipe's call sequence, PATH lookup, wait status → exit code, fd hygiene.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  assertSingleThreaded, clearCloexec, cloexecAllExcept, DEFAULT_PATH, exitCodeOf, findExecutable, forkSingleThreaded, threadCount, nonDefaultSignals, statusField,
} from "../../src/linux/process";
import { FakeSys } from "../fake-sys";

/** an `exists` that answers from a set and records every probe */
function probe(present: string[]): { exists: (p: string) => boolean; probed: string[] } {
  const probed: string[] = [];
  return { exists: (p) => (probed.push(p), present.includes(p)), probed };
}

describe("findExecutable", () => {
  test("PATH from the container's env, searched in order", () => {
    const { exists, probed } = probe(["/opt/bin/tool", "/usr/bin/tool"]);
    expect(findExecutable("tool", ["HOME=/root", "PATH=/usr/local/bin:/opt/bin:/usr/bin"], exists)).toBe("/opt/bin/tool");
    expect(probed).toEqual(["/usr/local/bin/tool", "/opt/bin/tool"]);
  });

  test("without PATH in env: the default PATH", () => {
    const { exists, probed } = probe(["/bin/sh"]);
    expect(findExecutable("sh", ["TERM=xterm"], exists)).toBe("/bin/sh");
    expect(probed).toEqual(DEFAULT_PATH.split(":").map((d) => `${d}/sh`));
    expect(DEFAULT_PATH).toBe("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  });

  test("an empty PATH entry means the current directory; only PATH= itself is read", () => {
    const { exists, probed } = probe(["./run"]);
    expect(findExecutable("run", ["MYPATH=/x", "PATH=/a::/b"], exists)).toBe("./run");
    expect(probed).toEqual(["/a/run", "./run"]);
  });

  test("a name with a slash is used as given, without a lookup", () => {
    const { exists, probed } = probe([]);
    expect(findExecutable("./bin/app", ["PATH=/bin"], exists)).toBe("./bin/app");
    expect(findExecutable("/bin/true", [], exists)).toBe("/bin/true");
    expect(probed).toEqual([]);
  });

  test("not found: runc's message", () => {
    expect(() => findExecutable("nope", ["PATH=/a:/b"], () => false)).toThrow('exec: "nope": executable file not found in $PATH');
  });
});

describe("exitCodeOf", () => {
  test("exited: the status's high byte", () => {
    expect(exitCodeOf(0x700)).toBe(7);
    expect(exitCodeOf(0)).toBe(0);
    expect(exitCodeOf(0xff00)).toBe(255);
  });

  test("killed by a signal: 128 + signal, with or without a core dump", () => {
    expect(exitCodeOf(9)).toBe(137);
    expect(exitCodeOf(15)).toBe(143);
    expect(exitCodeOf(0x80 | 6)).toBe(134);
  });
});

describe("fork recipe and fds", () => {
  test("forkSingleThreaded: MADV_DOFORK on every mapping except [vsyscall], then one fork", () => {
    const s = new FakeSys();
    s.forkPid = 31337;
    expect(forkSingleThreaded(s)).toBe(31337);
    const ops = s.ops();
    expect(ops[ops.length - 1]).toBe("fork");
    expect(ops.slice(0, -1).every((o) => o === "madvise")).toBe(true);
    const ranges = readFileSync("/proc/self/maps", "latin1").split("\n").filter((l) => l && !l.endsWith("[vsyscall]"));
    // mappings may come and go while the test runs; roughly one call per mapping
    expect(Math.abs(ops.length - 1 - ranges.length)).toBeLessThan(ranges.length / 4 + 8);
    for (const [addr, len, advice] of s.callsOf("madvise") as [bigint, bigint, number][]) {
      expect(advice).toBe(11);
      expect(len > 0n).toBe(true);
      expect(addr < 0xffffffffff600000n).toBe(true);
    }
  });

  test("assertSingleThreaded names the call and the thread count", () => {
    const n = threadCount();
    expect(n).toBeGreaterThan(1);
    expect(() => assertSingleThreaded("setns")).toThrow(`setns: the init process has ${n} threads; the kernel requires exactly one`);
  });

  test("cloexecAllExcept: CLOSE_RANGE_CLOEXEC on every range above 2 between the kept fds", () => {
    const s = new FakeSys();
    cloexecAllExcept(s, new Set([5, 3, 6, 9, 1]));
    expect(s.callsOf("closeRange")).toEqual([[4, 4, 4], [7, 8, 4], [10, 0xffffffff, 4]]);
    const none = new FakeSys();
    cloexecAllExcept(none, new Set());
    expect(none.callsOf("closeRange")).toEqual([[3, 0xffffffff, 4]]);
  });

  test("clearCloexec clears FD_CLOEXEC", () => {
    const s = new FakeSys();
    clearCloexec(s, 5);
    expect(s.calls).toEqual([{ op: "fcntl", args: [5, 2, 0] }]);
  });
});

describe("nonDefaultSignals", () => {
  test("reads ignored and caught signals from /proc/<pid>/status, glibc's 32 and 33 too", () => {
    const status = "Name:\tx\nSigPnd:\t0000000000000000\nSigBlk:\t0000000000000000\nSigIgn:\t0000000001001000\nSigCgt:\t0000000180000002\n";
    expect(nonDefaultSignals(status)).toEqual([2, 13, 25, 32, 33]);
  });
  test("none when every disposition is the default", () => {
    expect(nonDefaultSignals("SigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n")).toEqual([]);
  });
});

describe("statusField", () => {
  const status = "Name:\tsh\nThreads:\t3\nSigQ:\t0/1\nThreadsX:\t9";
  test("a field at the start, in the middle and at the end without a newline", () => {
    expect(statusField(status, "Name")).toBe("sh");
    expect(statusField(status, "Threads")).toBe("3");
    expect(statusField(status, "ThreadsX")).toBe("9");
  });
  test("a missing field, or a name that is only another field's prefix, is empty", () => {
    expect(statusField(status, "Thread")).toBe("");
    expect(statusField(status, "Tgid")).toBe("");
    expect(statusField("", "Name")).toBe("");
  });
  test("the live process: one of its fields", () => {
    expect(Number(statusField(readFileSync("/proc/self/status", "utf8"), "Pid"))).toBe(process.pid);
  });
});
