// capabilities(7): the five sets, applied in the order the kernel rules force:
// bounding set drops need CAP_SETPCAP (before the uid change), PR_SET_KEEPCAPS keeps the permitted
// set across setresuid, then capset, then ambient (which must be a subset of permitted ∩ inheritable).
import { readFile } from "./file";
import { PR, type Sys } from "../sys";
import type { Capabilities } from "../spec/types";
import { step } from "../errors";

export const CAP_NAMES = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
  "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
  "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
  "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

export type CapSetName = keyof Capabilities;
export const CAP_SETS: CapSetName[] = ["bounding", "effective", "inheritable", "permitted", "ambient"];

/** Unknown names, reported per set and index as JSON pointers. */
export function unknownCapabilities(caps: Capabilities | undefined): string[] {
  const out: string[] = [];
  for (const set of CAP_SETS) {
    const names = caps?.[set] ?? [];
    for (let i = 0; i < names.length; i++) {
      if (!CAP_NAMES.includes(names[i])) out.push(`/process/capabilities/${set}/${i}: unknown capability ${JSON.stringify(names[i])}`);
    }
  }
  return out;
}

export function capMask(names: string[] | undefined, lastCap: number): bigint {
  let m = 0n;
  for (const n of names ?? []) {
    const bit = CAP_NAMES.indexOf(n);
    if (bit >= 0 && bit <= lastCap) m |= 1n << BigInt(bit);
  }
  return m;
}

export function lastCap(): number {
  try {
    return Number(readFile("/proc/sys/kernel/cap_last_cap").trim());
  } catch {
    return CAP_NAMES.length - 1;
  }
}

export function dropBoundingSet(sys: Sys, caps: Capabilities, last: number): void {
  const keep = capMask(caps.bounding, last);
  step("drop bounding capabilities", () => {
    for (let cap = 0; cap <= last; cap++) {
      if (!(keep & (1n << BigInt(cap)))) sys.prctl(PR.CAPBSET_DROP, cap);
    }
  });
}

/** Returns warnings: like runc, an ambient capability the kernel refuses to raise (it must be
 *  permitted and inheritable) is reported, not fatal. */
export function applyCapabilities(sys: Sys, caps: Capabilities, last: number): string[] {
  const warnings: string[] = [];
  step("set capabilities", () =>
    sys.capset({
      effective: capMask(caps.effective, last),
      permitted: capMask(caps.permitted, last),
      inheritable: capMask(caps.inheritable, last),
    }),
  );
  step("set ambient capabilities", () => {
    sys.prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL);
    for (const name of caps.ambient ?? []) {
      const bit = CAP_NAMES.indexOf(name);
      if (bit < 0 || bit > last) continue;
      try {
        sys.prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, bit);
      } catch (e) {
        warnings.push(`cannot raise ambient capability ${name}: ${e instanceof Error ? e.message : e}`);
      }
    }
  });
  return warnings;
}
