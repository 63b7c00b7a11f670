// The libc functions (abi.ts) through Bun's own FFI: binding all of them costs ~0.5 ms here,
// koffi's load (its addon and libstdc++) 2-3 ms, and that is on the critical path of every create.
// It needs the JIT (the init engine runs with it on and every tier off, linux/engine.ts); where
// the JIT is off, realSys() falls back to koffi.
// statically: a process's first require() costs ~0.2 ms more than the module; importing bun:ffi
// works without the JIT too (only dlopen then throws, and realSys() takes koffi)
import * as BunFFI from "bun:ffi";
import { LIBC, bindOnce, type Backend, type CArg, type CFn, type CName, type CType } from "./abi";
import { cBytes } from "./bytes";
import { map, indicesOf } from "./arrays";

// what create, run and exec call: a function bound at its first call costs ~0.05 ms, one more in
// the first batch ~2 us
const EARLY: CName[] = [
  "open", "read", "close", "fopen", "fputs", "dlsym", "pthread_create", "pthread_detach", "socketpair", "syscall", "fcntl", "prctl",
  "posix_spawn", "setenv", "unsetenv", "getenv", "memcpy", "unshare", "setns",
  "mkdirat", "flock", "write", "rename", "umask", "mknodat", "fchownat", "socket", "ioctl", "unlink", "waitpid", "rmdir", "_exit", "access",
];

// what the init engine calls for a usual container (a create of runc's default config)
const INIT: CName[] = [
  "_exit", "chdir", "close", "execve", "fchdir", "fchownat", "fcntl", "ioctl", "mkdirat", "mknodat", "mount", "open", "prctl", "prlimit",
  "read", "write", "setgroups", "sethostname", "setresgid", "setresuid", "sigaction", "socket", "symlinkat", "syscall", "umask", "umount2",
  "unshare", "setns", "dlsym", "getpid", "waitpid", "fork", "madvise", "access",
];

// what start, kill and delete call (binding one more function later costs ~0.05 ms)
const VERBS: CName[] = ["open", "read", "write", "close", "flock", "syscall", "rmdir", "unlink", "kill", "poll", "fcntl", "_exit", "access"];

/** first: whose functions the first batch binds (the init engine's, create's or the small verbs') */
export function ffiBackend(first: "init" | "early" | "verbs" = "early"): Backend {
  const { dlopen, FFIType, ptr, read } = BunFFI;
  const T: Record<CType, BunFFI.FFITypeOrString> = {
    i32: FFIType.i32, u32: FFIType.u32, i64: FFIType.i64, u64: FFIType.u64,
    str: FFIType.ptr, buf: FFIType.ptr, strv: FFIType.ptr, ptr: FFIType.ptr, void: FFIType.void,
  };
  // each batch is compiled at once (TinyCC): what create and run call before they spawn the init
  // engine (main.ts), or what the init engine calls, then each other function alone at its first
  // use (~0.05 ms; all of them at once cost kill ~0.4 ms more than the few it needs)
  const libs: Record<string, (...a: unknown[]) => unknown>[] = [];
  const batch = (names: string[]) => {
    const decl: Record<string, BunFFI.FFIFunction> = {};
    for (const name of names) {
      const [ret, args] = name === "__errno_location" ? ["ptr", []] as const : LIBC[name as CName];
      decl[name] = { args: map(args, (a) => T[a]), returns: T[ret] };
    }
    const lib = dlopen("libc.so.6", decl).symbols as unknown as Record<string, (...a: unknown[]) => unknown>;
    libs.push(lib);
    return lib;
  };
  batch(["__errno_location", ...(first === "init" ? INIT : first === "verbs" ? VERBS : EARLY)]);
  const symbol = (name: CName) => {
    for (const lib of libs) if (lib[name]) return lib[name];
    return batch([name])[name];
  };
  const errnoAt = libs[0].__errno_location() as BunFFI.Pointer;

  const cstr = cBytes;
  // a string argument is written into a buffer kept for its position (calls are synchronous, and
  // each position has its own): ~1 us less per string than a new Buffer, in the interpreter
  const scratch: Buffer[] = [];
  const scratchCstr = (i: number, s: string): Buffer => {
    let b = scratch[i] ?? (scratch[i] = Buffer.allocUnsafe(256));
    let n = b.write(s, 0, "utf8");
    if (n >= b.length - 4) {
      b = scratch[i] = Buffer.allocUnsafe(Buffer.byteLength(s) * 2 + 8);
      n = b.write(s, 0, "utf8");
    }
    b[n] = 0;
    return b;
  };
  const address = (b: Uint8Array) => (b.length ? ptr(b) : null);
  /** the call with its arguments converted now; the buffers made for them live as long as it */
  const prepare = (name: CName, args: CArg[]) => {
    const [ret, types] = LIBC[name] as readonly [CType, readonly CType[]];
    const raw = symbol(name);
    const keep: Uint8Array[] = [];
    const a = map(args, (v, i) => {
      if (v === null || v === undefined) return null;
      switch (types[i]) {
        case "str": { const b = cstr(v as string); keep.push(b); return ptr(b); }
        case "buf": return address(v as Uint8Array);
        case "strv": {
          const list = map(v as string[], (s) => cstr(s));
          const arr = new BigUint64Array(list.length + 1);
          for (let j = 0; j < list.length; j++) arr[j] = BigInt(ptr(list[j]));
          keep.push(...list, new Uint8Array(arr.buffer));
          return ptr(arr);
        }
        default: return v;
      }
    });
    return (): number | bigint => {
      const r = raw(...a);
      void keep;
      if (ret === "ptr") return r === null ? 0n : BigInt(r as number);
      return ret === "void" ? 0 : (r as number | bigint);
    };
  };
  return {
    name: "bun:ffi",
    fn: bindOnce((name) => {
      let f: CFn;
      // the init engine runs this in the interpreter, ~400 calls per container: per call, only
      // what the argument types need (buffers go as they are: bun:ffi passes a typed array's memory)
      const [ret, types] = LIBC[name] as readonly [CType, readonly CType[]];
      const raw = symbol(name) as (...a: unknown[]) => number | bigint | null;
      const strs = indicesOf(types, (t) => t === "str");
      const strvs = indicesOf(types, (t) => t === "strv");
      if (!strs.length && !strvs.length && ret !== "ptr" && ret !== "void") f = raw as (...a: CArg[]) => number | bigint;
      else if (!strvs.length) {
        f = (...args) => {
          for (let k = 0; k < strs.length; k++) { const i = strs[k]; if (args[i] != null) args[i] = scratchCstr(i, args[i] as string); }
          const r = raw(...args);
          return ret === "ptr" ? (r === null ? 0n : BigInt(r as number)) : ret === "void" ? 0 : (r as number | bigint);
        };
      } else {
        f = (...args) => prepare(name, args)();
      }
      return f;
    }),
    prepare,
    errno: () => read.i32(errnoAt, 0),
    address: (b) => BigInt(ptr(b)),
  };
}
