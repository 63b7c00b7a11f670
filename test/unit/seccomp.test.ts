import { test, expect, describe } from "bun:test";
import { actionValue, archName, ruleArgSets, buildFilter, loadFilter } from "../../src/linux/seccomp";
import type { Seccomp, ArgCmp } from "../../src/sys/seccomp";

class FakeSeccomp implements Seccomp {
  calls: [string, ...unknown[]][] = [];
  version() { return "2.5.4"; }
  init(a: number) { this.calls.push(["init", a]); return 42n; }
  release(ctx: bigint) { this.calls.push(["release", ctx]); }
  archResolve(n: string) { return ({ x86_64: 0xc000003e, x86: 0x40000003 } as Record<string, number>)[n] ?? 0; }
  archAdd(ctx: bigint, a: number) { this.calls.push(["archAdd", a]); }
  syscallResolve(n: string) { return ({ mkdir: 83, mkdirat: 258, chmod: 90, kill: 62 } as Record<string, number>)[n] ?? -1; }
  ruleAdd(ctx: bigint, action: number, nr: number, args: ArgCmp[]) { this.calls.push(["rule", action, nr, args]); }
  attrSet(ctx: bigint, attr: number, v: number) { this.calls.push(["attr", attr, v]); }
  load(ctx: bigint) { this.calls.push(["load", ctx]); }
  notifyFd(ctx: bigint) { this.calls.push(["notifyFd", ctx]); return 9; }
  exportBpf(ctx: bigint) { this.calls.push(["exportBpf", ctx]); return Buffer.alloc(16); }
  loadBpf(prog: Buffer, flags: number) { this.calls.push(["loadBpf", prog.length, flags]); return 11; }
}

describe("seccomp translation", () => {
  test("every action maps to libseccomp's value; errno and trace carry their number", () => {
    expect(actionValue("SCMP_ACT_ALLOW", undefined, "x")).toBe(0x7fff0000);
    expect(actionValue("SCMP_ACT_KILL", undefined, "x")).toBe(0);
    expect(actionValue("SCMP_ACT_KILL_THREAD", undefined, "x")).toBe(0);
    expect(actionValue("SCMP_ACT_KILL_PROCESS", undefined, "x")).toBe(0x80000000);
    expect(actionValue("SCMP_ACT_TRAP", undefined, "x")).toBe(0x30000);
    expect(actionValue("SCMP_ACT_ERRNO", undefined, "x")).toBe(0x50001); // EPERM by default
    expect(actionValue("SCMP_ACT_ERRNO", 38, "x")).toBe(0x50026);
    expect(actionValue("SCMP_ACT_TRACE", 7, "x")).toBe(0x7ff00007);
    expect(actionValue("SCMP_ACT_LOG", undefined, "x")).toBe(0x7ffc0000);
    expect(actionValue("SCMP_ACT_NOTIFY", undefined, "x")).toBe(0x7fc00000);
    expect(() => actionValue("SCMP_ACT_BOGUS", undefined, "/x")).toThrow('unknown action "SCMP_ACT_BOGUS"');
  });

  test("architecture names, and conditions on one argument split into separate rules", () => {
    expect(archName("SCMP_ARCH_X86_64")).toBe("x86_64");
    const two = ruleArgSets([{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 1, value: 2, valueTwo: 3, op: "SCMP_CMP_MASKED_EQ" }], "w");
    expect(two).toEqual([[{ arg: 0, op: 4, datumA: 1n, datumB: 0n }, { arg: 1, op: 7, datumA: 2n, datumB: 3n }]]);
    const same = ruleArgSets([{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, { index: 0, value: 5, op: "SCMP_CMP_GT" }], "w");
    expect(same.length).toBe(2);
    expect(() => ruleArgSets([{ index: 0, value: 1, op: "SCMP_CMP_XX" }], "/linux/seccomp/syscalls/0")).toThrow("/linux/seccomp/syscalls/0/args/0/op");
  });

  test("buildFilter: NNP left to the spec, flags, arches, rules; unknown names skipped; default-action rules dropped", () => {
    const sc = new FakeSeccomp();
    const r = buildFilter(sc, {
      defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
      syscalls: [
        { names: ["mkdir", "mkdirat", "no_such_syscall"], action: "SCMP_ACT_ALLOW" },
        { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }, // same as the default: dropped
        { names: ["chmod"], action: "SCMP_ACT_KILL_PROCESS", args: [{ index: 1, value: 511, op: "SCMP_CMP_EQ" }] },
      ],
    });
    expect(r.skipped).toEqual(["no_such_syscall"]);
    expect(sc.calls).toEqual([
      ["init", 0x50026], ["attr", 3, 0], ["attr", 6, 1], ["attr", 7, 1], ["archAdd", 0xc000003e], ["archAdd", 0x40000003],
      ["rule", 0x7fff0000, 83, []], ["rule", 0x7fff0000, 258, []],
      ["rule", 0x80000000, 90, [{ arg: 1, op: 4, datumA: 511n, datumB: 0n }]],
    ]);
  });

  test("WAIT_KILLABLE_RECV, unknown to libseccomp 2.5: the exported program goes to seccomp(2) with the kernel's flags", () => {
    const sc = new FakeSeccomp();
    const spec = {
      defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/x.sock", flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_LOG"],
      syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }],
    };
    expect(loadFilter(sc, spec)).toEqual({ skipped: [], notifyFd: 11 });
    // NEW_LISTENER | WAIT_KILLABLE_RECV | LOG; seccomp_load is not used
    expect(sc.calls.slice(-3)).toEqual([["exportBpf", 42n], ["loadBpf", 16, 0x2a], ["release", 42n]]);
    expect(sc.calls.some((c) => c[0] === "load")).toBe(false);
    // without a listener the flag would be EINVAL and changes nothing: libseccomp loads as usual
    const plain = new FakeSeccomp();
    loadFilter(plain, { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"] });
    expect(plain.calls.some((c) => c[0] === "load")).toBe(true);
  });

  test("an unknown flag or architecture is an error naming the field, and the context is released", () => {
    const sc = new FakeSeccomp();
    expect(() => buildFilter(sc, { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_BOGUS"] })).toThrow('/linux/seccomp/flags: unknown flag "SECCOMP_FILTER_FLAG_BOGUS"');
    expect(sc.calls.at(-1)).toEqual(["release", 42n]);
    expect(() => buildFilter(new FakeSeccomp(), { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_VAX"] })).toThrow("/linux/seccomp/architectures");
  });
});
