// linux.seccomp → a libseccomp filter. Translation is pure (unit-tested); loading happens in the
// init at the latest point the kernel allows: without no_new_privs loading needs CAP_SYS_ADMIN,
// so before the capabilities are dropped; with it, right before execve (runc does the same).
import type { Seccomp, ArgCmp } from "../sys/seccomp";

export interface SeccompSpec {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number; valueTwo?: number; op: string }[] }[];
}

const EPERM = 1;
const OPS: Record<string, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};
const ATTR = { CTL_NNP: 3, CTL_LOG: 6, CTL_SSB: 7 } as const;
/** seccomp(2) filter flags, for the filters tsrunc loads itself */
const KERNEL_FLAG = { LOG: 1 << 1, SPEC_ALLOW: 1 << 2, NEW_LISTENER: 1 << 3, WAIT_KILLABLE_RECV: 1 << 5 } as const;

/** The SCMP_ACT_* value; errno and trace actions carry their number in the low 16 bits. */
export function actionValue(action: string, errnoRet: number | undefined, where: string): number {
  switch (action) {
    case "SCMP_ACT_KILL": case "SCMP_ACT_KILL_THREAD": return 0x00000000;
    case "SCMP_ACT_KILL_PROCESS": return 0x80000000;
    case "SCMP_ACT_TRAP": return 0x00030000;
    case "SCMP_ACT_ERRNO": return (0x00050000 | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case "SCMP_ACT_TRACE": return (0x7ff00000 | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case "SCMP_ACT_LOG": return 0x7ffc0000;
    case "SCMP_ACT_ALLOW": return 0x7fff0000;
    case "SCMP_ACT_NOTIFY": return 0x7fc00000;
    default: throw new Error(`${where}: unknown action ${JSON.stringify(action)}`);
  }
}

/** "SCMP_ARCH_X86_64" → libseccomp's name "x86_64" */
export function archName(a: string): string {
  return a.replace(/^SCMP_ARCH_/, "").toLowerCase();
}

/**
 * A rule's conditions. libseccomp refuses two comparisons of the same argument in one rule, so
 * like runc such a rule becomes one rule per condition (any of them matching triggers it).
 */
export function ruleArgSets(args: NonNullable<SeccompSpec["syscalls"]>[number]["args"], where: string): ArgCmp[][] {
  const cmps = (args ?? []).map((a, j) => {
    const op = OPS[a.op];
    if (op === undefined) throw new Error(`${where}/args/${j}/op: unknown operator ${JSON.stringify(a.op)}`);
    return { arg: a.index, op, datumA: BigInt(a.value), datumB: BigInt(a.valueTwo ?? 0) };
  });
  const indexes = new Set(cmps.map((c) => c.arg));
  return indexes.size === cmps.length ? [cmps] : cmps.map((c) => [c]);
}

export interface BuildResult {
  ctx: bigint;
  skipped: string[];
  /** seccomp(2) flags for what libseccomp cannot load itself (WAIT_KILLABLE_RECV); 0 when it can */
  kernelFlags: number;
}

export function usesNotify(spec: SeccompSpec | undefined): boolean {
  return !!spec?.syscalls?.some((r) => r.action === "SCMP_ACT_NOTIFY");
}

/**
 * Builds and loads the filter into the calling thread; returns the skipped syscall names and,
 * with SCMP_ACT_NOTIFY rules, the notification fd for the listener.
 */
export function loadFilter(sc: Seccomp, spec: SeccompSpec): { skipped: string[]; notifyFd: number } {
  if (usesNotify(spec) && !spec.listenerPath) throw new Error("/linux/seccomp/listenerPath: is required when a rule uses SCMP_ACT_NOTIFY");
  const { ctx, skipped, kernelFlags } = buildFilter(sc, spec);
  try {
    // libseccomp 2.5 knows no WAIT_KILLABLE_RECV: the program it built is loaded with seccomp(2)
    if (kernelFlags) return { skipped, notifyFd: sc.loadBpf(sc.exportBpf(ctx), kernelFlags) };
    sc.load(ctx);
    return { skipped, notifyFd: usesNotify(spec) ? sc.notifyFd(ctx) : -1 };
  } finally {
    sc.release(ctx);
  }
}

/** Builds the filter in libseccomp; unknown syscall names are skipped (runc logs them). */
export function buildFilter(sc: Seccomp, spec: SeccompSpec): BuildResult {
  const defaultAction = actionValue(spec.defaultAction, spec.defaultErrnoRet, "/linux/seccomp/defaultAction");
  const ctx = sc.init(defaultAction);
  const skipped: string[] = [];
  const flags = new Set(spec.flags ?? []);
  let kernelFlags = 0;
  try {
    // libseccomp sets no_new_privs on load by default; the spec's noNewPrivileges decides it
    sc.attrSet(ctx, ATTR.CTL_NNP, 0);
    for (const flag of flags) {
      if (flag === "SECCOMP_FILTER_FLAG_LOG") sc.attrSet(ctx, ATTR.CTL_LOG, 1);
      else if (flag === "SECCOMP_FILTER_FLAG_SPEC_ALLOW") sc.attrSet(ctx, ATTR.CTL_SSB, 1);
      else if (flag === "SECCOMP_FILTER_FLAG_TSYNC") continue; // the init is single-threaded where it matters
      else if (flag !== "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") throw new Error(`/linux/seccomp/flags: unknown flag ${JSON.stringify(flag)}`);
    }
    // the kernel takes WAIT_KILLABLE_RECV only with a listener (EINVAL otherwise); it changes only
    // how a notified process waits, so without SCMP_ACT_NOTIFY rules it is left out, as runc does
    if (flags.has("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") && usesNotify(spec)) {
      kernelFlags = KERNEL_FLAG.NEW_LISTENER | KERNEL_FLAG.WAIT_KILLABLE_RECV |
        (flags.has("SECCOMP_FILTER_FLAG_LOG") ? KERNEL_FLAG.LOG : 0) | (flags.has("SECCOMP_FILTER_FLAG_SPEC_ALLOW") ? KERNEL_FLAG.SPEC_ALLOW : 0);
    }
    for (const a of spec.architectures ?? []) {
      const arch = sc.archResolve(archName(a));
      if (!arch) throw new Error(`/linux/seccomp/architectures: unknown architecture ${JSON.stringify(a)}`);
      sc.archAdd(ctx, arch);
    }
    (spec.syscalls ?? []).forEach((rule, i) => {
      const where = `/linux/seccomp/syscalls/${i}`;
      const action = actionValue(rule.action, rule.errnoRet, where);
      // libseccomp refuses a rule that repeats the default action; it would change nothing
      if (action === defaultAction) return;
      for (const name of rule.names) {
        const nr = sc.syscallResolve(name);
        if (nr < 0) { skipped.push(name); continue; }
        for (const args of ruleArgSets(rule.args, where)) sc.ruleAdd(ctx, action, nr, args);
      }
    });
    return { ctx, skipped, kernelFlags };
  } catch (e) {
    sc.release(ctx);
    throw e;
  }
}
