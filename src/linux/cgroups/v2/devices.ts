// Loading the device filter (devicefilter.ts) and attaching it to the container's cgroup v2
// directory with bpf(2), the way crun's libcrun_ebpf_load / ebpf_attach_program and runc's
// LoadAttachCgroupDeviceFilter do: attach with BPF_F_ALLOW_MULTI (atomically replacing a single
// existing program with BPF_F_REPLACE where the kernel has it, Linux 5.6), then detach the old
// ones, so the cgroup is never left without a filter during an update.
import type { Sys } from "../../../sys";
import type { DeviceCgroup } from "../../../spec/types";
import { errnoOf } from "../../../errors";
import { deviceFilter, describeInsn, encodeInsns } from "./devicefilter";

/** include/uapi/linux/bpf.h */
export const BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15, BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_MULTI = 2, BPF_F_REPLACE = 4;
const O_RDONLY = 0, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;
const ENOENT = 2, EINVAL = 22;

/**
 * The bpf(2) calls this needs (to be implemented in src/sys with koffi: syscall(321, cmd,
 * &attr, sizeof attr) with the union bpf_attr layouts of the attr builders below). Each throws
 * SysError on failure, with the errno.
 */
/** the bpf(2) calls of Sys this needs (src/sys implements them) */
export type BpfSys = Pick<Sys, "bpfProgLoad" | "bpfProgQuery" | "bpfProgGetFdById" | "bpfProgAttach" | "bpfProgDetach" | "open" | "close">;

/** Builds, loads and attaches the filter for `rules` to the cgroup directory `dir`. */
export function applyDeviceFilter(sys: BpfSys, dir: string, rules: DeviceCgroup[] | undefined): void {
  const insns = deviceFilter(rules);
  const code = encodeInsns(insns);
  const dirFd = sys.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  try {
    const progFd = loadProgram(sys, code, insns.map(describeInsn));
    try {
      attach(sys, dirFd, progFd);
    } finally {
      // the cgroup holds its own reference to an attached program
      sys.close(progFd);
    }
  } finally {
    sys.close(dirFd);
  }
}

function loadProgram(sys: BpfSys, code: Buffer, listing: string[]): number {
  try {
    return sys.bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, code, "Apache");
  } catch (first) {
    // load again with the verifier's log so the error says why
    const log = Buffer.alloc(64 * 1024);
    try {
      return sys.bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, code, "Apache", log);
    } catch {
      const text = log.toString("utf8", 0, Math.max(0, log.indexOf(0))).trim();
      const detail = text ? `\nverifier log:\n${text}` : "";
      throw new Error(`load the device filter (${listing.length} instructions): ${(first as Error).message}${detail}`);
    }
  }
}

function attach(sys: BpfSys, dirFd: number, progFd: number): void {
  const old = sys.bpfProgQuery(dirFd, BPF_CGROUP_DEVICE);
  if (old.length === 1) {
    let replaceFd = -1;
    try {
      replaceFd = sys.bpfProgGetFdById(old[0]);
    } catch (e) {
      if (errnoOf(e) !== ENOENT) throw e; // gone meanwhile: attach without replacing
    }
    if (replaceFd >= 0) {
      try {
        sys.bpfProgAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI | BPF_F_REPLACE, replaceFd);
        return;
      } catch (e) {
        if (errnoOf(e) !== EINVAL) throw e; // a kernel before 5.6: no BPF_F_REPLACE
      } finally {
        sys.close(replaceFd);
      }
    }
  }
  sys.bpfProgAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
  for (const id of old) {
    let fd: number;
    try {
      fd = sys.bpfProgGetFdById(id);
    } catch (e) {
      if (errnoOf(e) === ENOENT) continue; // already detached
      throw e;
    }
    try {
      sys.bpfProgDetach(dirFd, fd, BPF_CGROUP_DEVICE);
    } catch (e) {
      if (errnoOf(e) !== ENOENT) throw e;
    } finally {
      sys.close(fd);
    }
  }
}

// union bpf_attr images for a raw `syscall(SYS_bpf, cmd, attr, size)` implementation of BpfSys;
// pointers are passed as the u64 addresses of the caller's buffers.

/** BPF_PROG_LOAD: prog_type@0 insn_cnt@4 insns@8 license@16 log_level@24 log_size@28 log_buf@32 */
export function progLoadAttr(a: { progType: number; insnCnt: number; insns: bigint; license: bigint; logLevel?: number; logSize?: number; logBuf?: bigint }): Buffer {
  const b = Buffer.alloc(128);
  b.writeUInt32LE(a.progType, 0);
  b.writeUInt32LE(a.insnCnt, 4);
  b.writeBigUInt64LE(a.insns, 8);
  b.writeBigUInt64LE(a.license, 16);
  b.writeUInt32LE(a.logLevel ?? 0, 24);
  b.writeUInt32LE(a.logSize ?? 0, 28);
  b.writeBigUInt64LE(a.logBuf ?? 0n, 32);
  return b;
}

/** BPF_PROG_ATTACH / BPF_PROG_DETACH: target_fd@0 attach_bpf_fd@4 attach_type@8 attach_flags@12 replace_bpf_fd@16 */
export function progAttachAttr(targetFd: number, progFd: number, attachType: number, flags = 0, replaceFd = 0): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(targetFd, 0);
  b.writeUInt32LE(progFd, 4);
  b.writeUInt32LE(attachType, 8);
  b.writeUInt32LE(flags, 12);
  b.writeUInt32LE(replaceFd, 16);
  return b;
}

/** BPF_PROG_QUERY: target_fd@0 attach_type@4 query_flags@8 attach_flags@12 prog_ids@16 prog_cnt@24 (in/out) */
export function progQueryAttr(targetFd: number, attachType: number, progIds: bigint, progCnt: number): Buffer {
  const b = Buffer.alloc(40);
  b.writeUInt32LE(targetFd, 0);
  b.writeUInt32LE(attachType, 4);
  b.writeBigUInt64LE(progIds, 16);
  b.writeUInt32LE(progCnt, 24);
  return b;
}

/** BPF_PROG_GET_FD_BY_ID: prog_id@0 next_id@4 open_flags@8 */
export function progGetFdByIdAttr(id: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(id, 0);
  return b;
}
