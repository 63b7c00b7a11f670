import { test, expect, describe } from "bun:test";
import { schedAttr, ioprioValue } from "../../src/linux/sched";
import { mempolicyArgs, parseNodes } from "../../src/linux/mempolicy";
import { personalityValue } from "../../src/linux/personality";

describe("scheduler, I/O priority, memory policy, personality", () => {
  test("struct sched_attr layout", () => {
    const b = schedAttr({ policy: "SCHED_DEADLINE", flags: ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM"], runtime: 10, deadline: 20, period: 30 });
    expect([b.readUInt32LE(0), b.readUInt32LE(4), Number(b.readBigUInt64LE(8))]).toEqual([56, 6, 3]);
    expect([b.readBigUInt64LE(24), b.readBigUInt64LE(32), b.readBigUInt64LE(40)]).toEqual([10n, 20n, 30n]);
    const o = schedAttr({ policy: "SCHED_OTHER", nice: -5 });
    expect([o.readUInt32LE(4), o.readInt32LE(16)]).toEqual([0, -5]);
    expect(() => schedAttr({ policy: "SCHED_NOPE" })).toThrow("/process/scheduler/policy");
    expect(() => schedAttr({ policy: "SCHED_RR", flags: ["X"] })).toThrow("/process/scheduler/flags");
  });

  test("ioprio values: class << 13 | level", () => {
    expect(ioprioValue({ class: "IOPRIO_CLASS_RT", priority: 0 })).toBe(0x2000);
    expect(ioprioValue({ class: "IOPRIO_CLASS_BE", priority: 6 })).toBe(0x4006);
    expect(ioprioValue({ class: "IOPRIO_CLASS_IDLE" })).toBe(0x6000);
    expect(() => ioprioValue({ class: "IOPRIO_CLASS_BE", priority: 8 })).toThrow("0-7");
  });

  test("memory policy: node lists to a bitmask, flags or'ed into the mode", () => {
    expect(parseNodes("0-2,5")).toEqual([0, 1, 2, 5]);
    const a = mempolicyArgs({ mode: "MPOL_INTERLEAVE", nodes: "0-2,5", flags: ["MPOL_F_STATIC_NODES"] });
    expect(a.mode).toBe(3 | (1 << 15));
    expect([...a.mask!]).toEqual([0b100111, 0, 0, 0, 0, 0, 0, 0]);
    expect(a.maxnode).toBe(7);
    expect(mempolicyArgs({ mode: "MPOL_LOCAL" })).toEqual({ mode: 4, mask: null, maxnode: 0 });
    expect(() => parseNodes("2-1")).toThrow("bad range");
  });

  test("personality domains", () => {
    expect(personalityValue({ domain: "LINUX32" })).toBe(8);
    expect(personalityValue({ domain: "LINUX" })).toBe(0);
    expect(() => personalityValue({ domain: "BSD" })).toThrow("/linux/personality/domain");
  });
});
