// The first priming of the cgroup grace period (linux/cgroups/prime.ts), as early as an engine
// can make it: the grace period is on create's longest path, so this loads bun:ffi with the eight
// functions it needs and nothing else of sys/ (libc.ts and the shared tables load after it,
// ~0.6 ms). Throws where bun:ffi cannot load (no JIT): the caller then primes through Sys.
import * as BunFFI from "bun:ffi";
import { cBytes } from "./bytes";

/**
 * Reads /proc/self/cgroup, and for the first of `candidates(it)` that opens, writes `data` to it
 * from a libc thread of its own (see writeInBackground in libc.ts): returns that file.
 */
export function primeFromProcSelfCgroup(candidates: (procSelfCgroup: string) => string[], data: string): string | undefined {
  const { dlopen, FFIType: T, ptr } = BunFFI;
  const { symbols: c } = dlopen("libc.so.6", {
    open: { args: [T.ptr, T.i32], returns: T.i32 },
    read: { args: [T.i32, T.ptr, T.u64], returns: T.i64 },
    close: { args: [T.i32], returns: T.i32 },
    fopen: { args: [T.ptr, T.ptr], returns: T.ptr },
    fputs: { args: [T.ptr, T.ptr], returns: T.i32 },
    dlsym: { args: [T.ptr, T.ptr], returns: T.ptr },
    pthread_create: { args: [T.ptr, T.ptr, T.ptr, T.ptr], returns: T.i32 },
    pthread_detach: { args: [T.u64], returns: T.i32 },
  });
  const cstr = (s: string) => ptr(cBytes(s));
  const fd = c.open(cstr("/proc/self/cgroup"), 0o2000000 /* O_RDONLY|O_CLOEXEC */);
  if (fd < 0) return undefined;
  const buf = Buffer.alloc(8192);
  const n = Number(c.read(fd, ptr(buf), 8192n));
  c.close(fd);
  for (const file of candidates(buf.toString("latin1", 0, Math.max(n, 0)))) {
    const fp = c.fopen(cstr(file), cstr("r+e")); // an existing file only
    if (!fp) continue;
    c.fputs(cstr(data), fp);
    const tid = new BigUint64Array(1);
    if (c.pthread_create(ptr(tid), null, c.dlsym(null, cstr("fclose")), fp) === 0) c.pthread_detach(tid[0]);
    return file;
  }
  return undefined;
}
