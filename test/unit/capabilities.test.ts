// capabilities(7) as calls: bounding-set drops, capset of the three sets, ambient raises.
import { describe, expect, test } from "bun:test";
import { applyCapabilities, CAP_NAMES, capMask, dropBoundingSet, unknownCapabilities } from "../../src/linux/capabilities";
import { EPERM, PR } from "../../src/sys";
import { FakeSys, type Call } from "../fake-sys";

const LAST = 40; // CAP_CHECKPOINT_RESTORE
const bit = (name: string) => 1n << BigInt(CAP_NAMES.indexOf(name));
const prctl = (...args: number[]): Call => ({ op: "prctl", args });

describe("names and masks", () => {
  test("capability numbers follow the kernel's", () => {
    expect(CAP_NAMES.indexOf("CAP_CHOWN")).toBe(0);
    expect(CAP_NAMES.indexOf("CAP_KILL")).toBe(5);
    expect(CAP_NAMES.indexOf("CAP_NET_RAW")).toBe(13);
    expect(CAP_NAMES.indexOf("CAP_SYS_ADMIN")).toBe(21);
    expect(CAP_NAMES.indexOf("CAP_AUDIT_READ")).toBe(37);
    expect(CAP_NAMES.indexOf("CAP_CHECKPOINT_RESTORE")).toBe(40);
  });

  test("capMask sets one bit per known name; unknown names and caps above lastCap are ignored", () => {
    expect(capMask(undefined, LAST)).toBe(0n);
    expect(capMask(["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_BOGUS", "CAP_CHOWN"], LAST)).toBe(0x200001n);
    expect(capMask(["CAP_CHECKPOINT_RESTORE"], LAST)).toBe(1n << 40n);
    expect(capMask(["CAP_CHECKPOINT_RESTORE", "CAP_BPF", "CAP_KILL"], 38)).toBe(1n << 5n);
  });

  test("unknownCapabilities points at each bad entry by set and index", () => {
    expect(unknownCapabilities(undefined)).toEqual([]);
    expect(unknownCapabilities({
      ambient: ["NET_RAW"],
      bounding: ["CAP_CHOWN", "CAP_FOO"],
      permitted: ["CAP_KILL", "CAP_KILL", "cap_kill"],
    })).toEqual([
      '/process/capabilities/bounding/1: unknown capability "CAP_FOO"',
      '/process/capabilities/permitted/2: unknown capability "cap_kill"',
      '/process/capabilities/ambient/0: unknown capability "NET_RAW"',
    ]);
  });
});

describe("dropBoundingSet", () => {
  test("PR_CAPBSET_DROP for exactly the caps not kept, 0..lastCap in order", () => {
    const s = new FakeSys();
    dropBoundingSet(s, { bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHECKPOINT_RESTORE"] }, LAST);
    const kept = new Set([0, 5, 10, 40]);
    const want: Call[] = [];
    for (let c = 0; c <= LAST; c++) if (!kept.has(c)) want.push(prctl(PR.CAPBSET_DROP, c));
    expect(s.calls).toEqual(want);
    expect(want.length).toBe(37);
    expect(PR.CAPBSET_DROP).toBe(24);
  });

  test("stops at the kernel's last cap; an empty bounding list drops everything", () => {
    const s = new FakeSys();
    dropBoundingSet(s, {}, 37);
    expect(s.calls).toEqual(Array.from({ length: 38 }, (_, c) => prctl(24, c)));
  });

  test("a refused drop names the step", () => {
    const s = new FakeSys().failNext("prctl", EPERM);
    expect(() => dropBoundingSet(s, {}, LAST)).toThrow("drop bounding capabilities: prctl: EPERM (Operation not permitted)");
    expect(s.calls).toEqual([prctl(24, 0)]);
  });
});

describe("applyCapabilities", () => {
  const caps = {
    effective: ["CAP_CHOWN", "CAP_KILL"],
    permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
    inheritable: ["CAP_NET_RAW"],
    ambient: ["CAP_NET_RAW", "CAP_BOGUS", "CAP_KILL"],
  };

  test("capset of effective/permitted/inheritable, then ambient cleared and each known one raised", () => {
    const s = new FakeSys();
    expect(applyCapabilities(s, caps, LAST)).toEqual([]);
    expect(s.calls).toEqual([
      { op: "capset", args: [{ effective: bit("CAP_CHOWN") | bit("CAP_KILL"), permitted: 0x2021n, inheritable: 0x2000n }] },
      prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL),
      prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, 13),
      prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, 5),
    ]);
    expect([PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL, PR.CAP_AMBIENT_RAISE]).toEqual([47, 4, 2]);
    expect(s.capget()).toEqual({ effective: 0x21n, permitted: 0x2021n, inheritable: 0x2000n });
  });

  test("an ambient raise refused with EPERM is a warning, and the rest are still raised", () => {
    const s = new FakeSys().failNext("prctl", EPERM, 1, (_o, sub, cap) => sub === PR.CAP_AMBIENT_RAISE && cap === 13);
    const warnings = applyCapabilities(s, caps, LAST);
    expect(warnings).toEqual(["cannot raise ambient capability CAP_NET_RAW: prctl: EPERM (Operation not permitted)"]);
    expect(s.callsOf("prctl")).toEqual([[47, 4], [47, 2, 13], [47, 2, 5]]);
  });

  test("a failing capset or ambient clear throws with the step's name", () => {
    const s = new FakeSys().failNext("capset", EPERM);
    expect(() => applyCapabilities(s, caps, LAST)).toThrow("set capabilities: capset: EPERM");
    expect(s.ops()).toEqual(["capset"]);
    const t = new FakeSys().failNext("prctl", 22);
    expect(() => applyCapabilities(t, caps, LAST)).toThrow("set ambient capabilities: prctl: EINVAL");
    expect(t.ops()).toEqual(["capset", "prctl"]);
  });

  test("ambient caps above lastCap are skipped", () => {
    const s = new FakeSys();
    applyCapabilities(s, { ambient: ["CAP_BPF", "CAP_CHOWN"] }, 38);
    expect(s.callsOf("prctl")).toEqual([[47, 4], [47, 2, 0]]);
  });
});
