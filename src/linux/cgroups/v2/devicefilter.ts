// The cgroup v2 device filter: cgroup v2 has no devices.allow/deny files; access to device nodes
// is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup (Linux 4.15). This
// builds that program from the spec's rules, as a pure function: the shape is crun's ebpf.c /
// runc's devicefilter.go (itself systemd's), the rule semantics the kernel's v1 devices cgroup.
import type { DeviceCgroup } from "../../../spec/types";
import { DEFAULT_ALLOWED } from "../devices";

/** include/uapi/linux/bpf.h */
export const BPF_DEVCG_ACC_MKNOD = 1, BPF_DEVCG_ACC_READ = 2, BPF_DEVCG_ACC_WRITE = 4;
export const BPF_DEVCG_DEV_BLOCK = 1, BPF_DEVCG_DEV_CHAR = 2;
// opcode parts (Documentation/bpf/standardization/instruction-set.rst)
const LDX = 0x01, ALU = 0x04, JMP = 0x05, MEM = 0x60, W = 0x00, K = 0x00, X = 0x08;
const AND = 0x50, RSH = 0x70, MOV = 0xb0, JEQ = 0x10, JNE = 0x50, EXIT = 0x90;

export interface BpfInsn { code: number; dst: number; src: number; off: number; imm: number }

const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInsn => ({ code, dst, src, off, imm });
const ldxw = (dst: number, src: number, off: number) => insn(LDX | W | MEM, dst, src, off, 0);
const alu32Imm = (op: number, dst: number, imm: number) => insn(ALU | op | K, dst, 0, 0, imm);
const mov32Reg = (dst: number, src: number) => insn(ALU | MOV | X, dst, src, 0, 0);
const jmpImm = (op: number, dst: number, imm: number, off: number) => insn(JMP | op | K, dst, 0, off, imm);
const jmpReg = (op: number, dst: number, src: number, off: number) => insn(JMP | op | X, dst, src, off, 0);
const exit = () => insn(JMP | EXIT, 0, 0, 0, 0);
const ret = (v: 0 | 1) => [insn(ALU | MOV | K, 0, 0, 0, v), exit()];

function accessBits(access: string | undefined, i: number): number {
  let bits = 0;
  for (const ch of access ?? "rwm") {
    if (ch === "r") bits |= BPF_DEVCG_ACC_READ;
    else if (ch === "w") bits |= BPF_DEVCG_ACC_WRITE;
    else if (ch === "m") bits |= BPF_DEVCG_ACC_MKNOD;
    else throw new Error(`/linux/resources/devices/${i}/access: unknown access ${JSON.stringify(ch)} (one of r, w, m)`);
  }
  return bits;
}

const RWM = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

/**
 * One block per rule, the last rule first: the first block that matches returns its verdict,
 * so a later rule overrides an earlier one, as writes to devices.allow/deny do in v1. Matching
 * follows the v1 kernel (devcgroup_legacy_check_permission): an allow rule covers a request
 * whose access is a subset of the rule's; a deny rule hits a request sharing any access bit.
 * A type "a" rule matches everything, so the rules before it are never reached. Unmatched
 * requests are refused.
 *
 * ctx (struct bpf_cgroup_dev_ctx): u32 access_type (type low 16 bits, access high 16), major, minor.
 */
export function deviceFilter(configRules: DeviceCgroup[] | undefined): BpfInsn[] {
  // the config's rules, then the ones every container needs, as for v1 (devices.ts)
  const rules = [...(configRules ?? []), ...DEFAULT_ALLOWED];
  const prog: BpfInsn[] = [
    ldxw(2, 1, 0), alu32Imm(AND, 2, 0xffff), // r2 = device type
    ldxw(3, 1, 0), alu32Imm(RSH, 3, 16), //      r3 = requested access
    ldxw(4, 1, 4), //                            r4 = major
    ldxw(5, 1, 8), //                            r5 = minor
  ];
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i];
    const index = i < (configRules?.length ?? 0) ? i : -1;
    const verdict = r.allow ? 1 : 0;
    const type = r.type ?? "a";
    if (type === "a") return [...prog, ...ret(verdict)];
    if (type !== "b" && type !== "c") throw new Error(`/linux/resources/devices/${index}/type: unknown device type ${JSON.stringify(type)} (one of a, b, c)`);
    const access = accessBits(r.access, index);
    for (const [n, what] of [[r.major, "major"], [r.minor, "minor"]] as const) {
      if (n !== undefined && n !== null && (n > 0xffffffff || !Number.isInteger(n))) throw new Error(`/linux/resources/devices/${index}/${what}: ${n} is not a device number`);
    }
    // checks jump to the next block when they fail; offsets are filled in below
    const checks: ((next: number) => BpfInsn)[] = [(o) => jmpImm(JNE, 2, type === "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, o)];
    if (access !== RWM) {
      checks.push(() => mov32Reg(1, 3), () => alu32Imm(AND, 1, access));
      // allow: (req & acc) != req → skip; deny: (req & acc) == 0 → skip
      checks.push(r.allow ? (o) => jmpReg(JNE, 1, 3, o) : (o) => jmpImm(JEQ, 1, 0, o));
    }
    if (r.major !== undefined && r.major !== null && r.major >= 0) checks.push((o) => jmpImm(JNE, 4, r.major! | 0, o));
    if (r.minor !== undefined && r.minor !== null && r.minor >= 0) checks.push((o) => jmpImm(JNE, 5, r.minor! | 0, o));
    const blockLen = checks.length + 2;
    checks.forEach((mk, k) => prog.push(mk(blockLen - (k + 1))));
    prog.push(...ret(verdict));
  }
  return [...prog, ...ret(0)];
}

/** true when the rules end up allowing every device (a privileged container): no filter needed */
export function allowsEverything(configRules: DeviceCgroup[] | undefined): boolean {
  const rules = configRules ?? [];
  const lastA = rules.map((r) => r.type ?? "a").lastIndexOf("a");
  return lastA >= 0 && rules[lastA].allow && rules.slice(lastA + 1).every((r) => r.allow);
}

/** struct bpf_insn, little-endian: u8 code, u8 dst:4 src:4, s16 off, s32 imm */
export function encodeInsns(insns: BpfInsn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    b.writeUInt8(x.code, i * 8);
    b.writeUInt8((x.dst & 0xf) | ((x.src & 0xf) << 4), i * 8 + 1);
    b.writeInt16LE(x.off, i * 8 + 2);
    b.writeInt32LE(x.imm, i * 8 + 4);
  });
  return b;
}

/** A listing like cilium/ebpf's, for error messages and tests. */
export function describeInsn(x: BpfInsn): string {
  const names: Record<number, string> = {
    [LDX | W | MEM]: "LdXMemW", [ALU | AND | K]: "AndImm32", [ALU | RSH | K]: "RShImm32", [ALU | MOV | X]: "MovReg32",
    [ALU | MOV | K]: "MovImm32", [JMP | JNE | K]: "JNEImm", [JMP | JEQ | K]: "JEQImm", [JMP | JNE | X]: "JNEReg", [JMP | EXIT]: "Exit",
  };
  const n = names[x.code] ?? `op 0x${x.code.toString(16)}`;
  if (x.code === (JMP | EXIT)) return n;
  if (x.code === (LDX | W | MEM)) return `${n} dst: r${x.dst} src: r${x.src} off: ${x.off} imm: ${x.imm}`;
  if (x.code === (ALU | MOV | X)) return `${n} dst: r${x.dst} src: r${x.src}`;
  if (x.code === (JMP | JNE | X)) return `${n} dst: r${x.dst} off: ${x.off} src: r${x.src}`;
  if ((x.code & 0x07) === JMP) return `${n} dst: r${x.dst} off: ${x.off} imm: ${x.imm}`;
  return `${n} dst: r${x.dst} imm: ${x.imm}`;
}
