// The cgroup v2 device filter: instruction bytes, the listing, what the program decides (run by a
// small interpreter of the opcodes it uses), and the bpf(2) call sequence that attaches it.
import { describe, expect, test } from "bun:test";
import { SysError } from "../../src/errors";
import {
  BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR,
  allowsEverything, describeInsn, deviceFilter, encodeInsns,
} from "../../src/linux/cgroups/v2/devicefilter";
import { applyDeviceFilter, progAttachAttr, progGetFdByIdAttr, progLoadAttr, progQueryAttr, type BpfSys } from "../../src/linux/cgroups/v2/devices";
import type { DeviceCgroup } from "../../src/spec/types";

/** executes the program's bytes for one request; returns r0 (1 allow, 0 deny) */
function run(code: Buffer, type: "b" | "c", access: string, major: number, minor: number): number {
  let acc = 0;
  for (const ch of access) acc |= ch === "r" ? BPF_DEVCG_ACC_READ : ch === "w" ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  const ctx = [(acc << 16) | (type === "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR), major, minor];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0, steps = 0; steps < 10000; pc++, steps++) {
    const op = code[pc * 8], dst = code[pc * 8 + 1] & 0xf, src = code[pc * 8 + 1] >> 4;
    const off = code.readInt16LE(pc * 8 + 2), imm = code.readInt32LE(pc * 8 + 4);
    switch (op) {
      case 0x61: r[dst] = ctx[off / 4] >>> 0; break; // ldxw from ctx (r1)
      case 0x54: r[dst] = (r[dst] & imm) >>> 0; break;
      case 0x74: r[dst] = r[dst] >>> imm; break;
      case 0xbc: r[dst] = r[src] >>> 0; break;
      case 0xb4: r[dst] = imm >>> 0; break;
      case 0x55: if (r[dst] !== imm >>> 0) pc += off; break;
      case 0x15: if (r[dst] === imm >>> 0) pc += off; break;
      case 0x5d: if (r[dst] !== r[src]) pc += off; break;
      case 0x95: return r[0];
      default: throw new Error(`opcode 0x${op.toString(16)} at ${pc}`);
    }
  }
  throw new Error("no exit");
}

const prog = (rules: DeviceCgroup[] | undefined) => encodeInsns(deviceFilter(rules));
// Docker's and podman's base: deny everything, then the config's allows (runc's defaults follow)
const DENY_ALL: DeviceCgroup = { allow: false, access: "rwm" };

describe("deviceFilter", () => {
  test("the prelude loads type, access, major, minor from struct bpf_cgroup_dev_ctx (exact bytes)", () => {
    expect(encodeInsns(deviceFilter(undefined).slice(0, 6)).toString("hex").match(/.{16}/g)).toEqual([
      "6112000000000000", // ldxw r2 = *(u32 *)(r1 + 0)
      "54020000ffff0000", // and32 r2, 0xffff
      "6113000000000000", // ldxw r3 = *(u32 *)(r1 + 0)
      "7403000010000000", // rsh32 r3, 16
      "6114040000000000", // ldxw r4 = *(u32 *)(r1 + 4)
      "6115080000000000", // ldxw r5 = *(u32 *)(r1 + 8)
    ]);
  });

  test("listing for Docker's rules: defaults checked first (they come last), a closing deny", () => {
    const listing = deviceFilter([DENY_ALL]).map(describeInsn);
    expect(listing.slice(6, 17)).toEqual([
      // c 5:2 rwm (ptmx, the last default)
      "JNEImm dst: r2 off: 4 imm: 2", "JNEImm dst: r4 off: 3 imm: 5", "JNEImm dst: r5 off: 2 imm: 2", "MovImm32 dst: r0 imm: 1", "Exit",
      // c 136:* rwm (pts)
      "JNEImm dst: r2 off: 3 imm: 2", "JNEImm dst: r4 off: 2 imm: 136", "MovImm32 dst: r0 imm: 1", "Exit",
      // c 5:1 ...
      "JNEImm dst: r2 off: 4 imm: 2", "JNEImm dst: r4 off: 3 imm: 5",
    ]);
    expect(listing.slice(-14)).toEqual([
      // b *:* m
      "JNEImm dst: r2 off: 5 imm: 1", "MovReg32 dst: r1 src: r3", "AndImm32 dst: r1 imm: 1", "JNEReg dst: r1 off: 2 src: r3", "MovImm32 dst: r0 imm: 1", "Exit",
      // c *:* m
      "JNEImm dst: r2 off: 5 imm: 2", "MovReg32 dst: r1 src: r3", "AndImm32 dst: r1 imm: 1", "JNEReg dst: r1 off: 2 src: r3", "MovImm32 dst: r0 imm: 1", "Exit",
      // the config's "deny a": everything else
      "MovImm32 dst: r0 imm: 0", "Exit",
    ]);
    expect(listing.length).toBe(64);
  });

  test("Docker's rules decide like the v1 devices cgroup would", () => {
    const p = prog([DENY_ALL, { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }]);
    expect(run(p, "c", "rw", 1, 3)).toBe(1); // /dev/null
    expect(run(p, "c", "rwm", 5, 2)).toBe(1); // /dev/ptmx
    expect(run(p, "c", "rw", 136, 7)).toBe(1); // a pts
    expect(run(p, "c", "rw", 10, 200)).toBe(1); // tun, from the config
    expect(run(p, "c", "r", 4, 0)).toBe(0); // tty0
    expect(run(p, "b", "r", 8, 0)).toBe(0); // a disk
    expect(run(p, "b", "m", 8, 0)).toBe(1); // mknod of any block device (b *:* m)
    expect(run(p, "b", "rm", 8, 0)).toBe(0);
  });

  test("allow: the request must be within the rule's access; deny: any shared bit denies", () => {
    const allowR = prog([DENY_ALL, { allow: true, type: "c", major: 4, minor: 0, access: "r" }]);
    expect(run(allowR, "c", "r", 4, 0)).toBe(1);
    expect(run(allowR, "c", "rw", 4, 0)).toBe(0);
    const denyW = prog([{ allow: true, access: "rwm" }, { allow: false, type: "b", major: 8, minor: 0, access: "w" }]);
    expect(run(denyW, "b", "r", 8, 0)).toBe(1);
    expect(run(denyW, "b", "rw", 8, 0)).toBe(0);
    expect(run(denyW, "b", "w", 8, 0)).toBe(0);
    expect(run(denyW, "b", "rw", 8, 1)).toBe(1);
  });

  test("a later rule overrides an earlier one; rules before an 'a' rule are never reached", () => {
    const disk: DeviceCgroup = { allow: true, type: "b", major: 8, minor: 0, access: "rwm" };
    expect(run(prog([DENY_ALL, disk, { ...disk, allow: false }]), "b", "rw", 8, 0)).toBe(0);
    expect(run(prog([DENY_ALL, { ...disk, allow: false }, disk]), "b", "rw", 8, 0)).toBe(1);
    const p = prog([disk, DENY_ALL]);
    expect(run(p, "b", "r", 8, 0)).toBe(0);
    expect(run(p, "c", "rw", 1, 3)).toBe(1); // the defaults still apply after it
    expect(deviceFilter([{ allow: true, type: "a" }]).map(describeInsn).slice(-2)).toEqual(["MovImm32 dst: r0 imm: 1", "Exit"]);
  });

  test("wildcard major or minor", () => {
    const p = prog([DENY_ALL, { allow: true, type: "b", major: 8, access: "r" }, { allow: true, type: "c", minor: 42, access: "rw" }]);
    expect(run(p, "b", "r", 8, 17)).toBe(1);
    expect(run(p, "b", "r", 9, 17)).toBe(0);
    expect(run(p, "c", "w", 99, 42)).toBe(1);
    expect(run(p, "c", "w", 99, 43)).toBe(0);
  });

  test("allowsEverything: a final allow-all with no deny after it (privileged containers)", () => {
    expect(allowsEverything([{ allow: true, access: "rwm" }])).toBe(true);
    expect(allowsEverything([DENY_ALL, { allow: true, type: "a" }, { allow: true, type: "c", major: 1, minor: 3 }])).toBe(true);
    expect(allowsEverything([{ allow: true, type: "a" }, { allow: false, type: "b", major: 8, minor: 0, access: "w" }])).toBe(false);
    expect(allowsEverything([DENY_ALL])).toBe(false);
    expect(allowsEverything(undefined)).toBe(false);
  });

  test("bad rules name their index", () => {
    expect(() => deviceFilter([{ allow: true, type: "x", access: "r" }])).toThrow('/linux/resources/devices/0/type: unknown device type "x" (one of a, b, c)');
    expect(() => deviceFilter([DENY_ALL, { allow: true, type: "c", major: 1, access: "rx" }])).toThrow('/linux/resources/devices/1/access: unknown access "x" (one of r, w, m)');
  });
});

describe("applyDeviceFilter (bpf(2) sequence)", () => {
  function fakeBpf(opts: { old?: number[]; replaceErrno?: number; loadFails?: number; goneIds?: number[] } = {}) {
    const calls: string[] = [];
    let nextFd = 100, loads = 0;
    const sys: BpfSys = {
      bpfProgLoad(type, insns, license, log) {
        calls.push(`load ${type} ${insns.length / 8} ${license}${log ? " +log" : ""}`);
        if (loads++ < (opts.loadFails ?? 0)) {
          if (log) log.write("0: (61) r2 = *(u32 *)(r1 +0)\ninvalid bpf_context access\n\0");
          throw new SysError("bpf(BPF_PROG_LOAD)", 13);
        }
        return nextFd++;
      },
      bpfProgQuery: (fd, type) => (calls.push(`query ${fd} ${type}`), opts.old ?? []),
      bpfProgGetFdById(id) {
        calls.push(`getfd ${id}`);
        if (opts.goneIds?.includes(id)) throw new SysError("bpf(BPF_PROG_GET_FD_BY_ID)", 2);
        return nextFd++;
      },
      bpfProgAttach(target, prog, type, flags, replace) {
        calls.push(`attach ${target} ${prog} ${type} ${flags}${replace !== undefined ? ` replace ${replace}` : ""}`);
        if (replace !== undefined && opts.replaceErrno) throw new SysError("bpf(BPF_PROG_ATTACH)", opts.replaceErrno);
      },
      bpfProgDetach: (target, prog, type) => void calls.push(`detach ${target} ${prog} ${type}`),
      open: (p, flags) => (calls.push(`open ${p} 0x${flags.toString(16)}`), 3),
      close: (fd) => void calls.push(`close ${fd}`),
    };
    return { sys, calls };
  }

  test("first filter: attach with BPF_F_ALLOW_MULTI", () => {
    const { sys, calls } = fakeBpf();
    applyDeviceFilter(sys, "/sys/fs/cgroup/c1", [DENY_ALL]);
    expect(calls).toEqual(["open /sys/fs/cgroup/c1 0x90000", "load 15 64 Apache", "query 3 6", "attach 3 100 6 2", "close 100", "close 3"]);
  });

  test("one filter already there: replaced atomically (BPF_F_REPLACE)", () => {
    const { sys, calls } = fakeBpf({ old: [7] });
    applyDeviceFilter(sys, "/c", [DENY_ALL]);
    expect(calls).toEqual(["open /c 0x90000", "load 15 64 Apache", "query 3 6", "getfd 7", "attach 3 100 6 6 replace 101", "close 101", "close 100", "close 3"]);
  });

  test("a kernel without BPF_F_REPLACE (EINVAL): attach, then detach the old one", () => {
    const { sys, calls } = fakeBpf({ old: [7], replaceErrno: 22 });
    applyDeviceFilter(sys, "/c", undefined);
    expect(calls.slice(3)).toEqual(["getfd 7", "attach 3 100 6 6 replace 101", "close 101", "attach 3 100 6 2", "getfd 7", "detach 3 102 6", "close 102", "close 100", "close 3"]);
  });

  test("several old filters: each detached after the new one is in; vanished ones skipped", () => {
    const { sys, calls } = fakeBpf({ old: [7, 8], goneIds: [7] });
    applyDeviceFilter(sys, "/c", undefined);
    expect(calls.slice(3)).toEqual(["attach 3 100 6 2", "getfd 7", "getfd 8", "detach 3 101 6", "close 101", "close 100", "close 3"]);
  });

  test("a refused load is retried with the verifier log, which the error carries", () => {
    const { sys, calls } = fakeBpf({ loadFails: 2 });
    expect(() => applyDeviceFilter(sys, "/c", undefined)).toThrow(
      "load the device filter (64 instructions): bpf(BPF_PROG_LOAD): EACCES (Permission denied)\nverifier log:\n0: (61) r2 = *(u32 *)(r1 +0)\ninvalid bpf_context access");
    expect(calls).toEqual(["open /c 0x90000", "load 15 64 Apache", "load 15 64 Apache +log", "close 3"]);
  });

  test("bpf_attr images", () => {
    const load = progLoadAttr({ progType: 15, insnCnt: 64, insns: 0x1000n, license: 0x2000n, logLevel: 1, logSize: 65536, logBuf: 0x3000n });
    expect(load.subarray(0, 40).toString("hex")).toBe("0f00000040000000" + "0010000000000000" + "0020000000000000" + "0100000000000100" + "0030000000000000");
    expect(progAttachAttr(3, 100, 6, 6, 101).toString("hex")).toBe("03000000" + "64000000" + "06000000" + "06000000" + "65000000");
    expect(progQueryAttr(3, 6, 0x4000n, 64).subarray(0, 28).toString("hex")).toBe("03000000" + "06000000" + "00000000" + "00000000" + "0040000000000000" + "40000000");
    expect(progGetFdByIdAttr(7).toString("hex")).toBe("070000000000000000000000");
  });
});
