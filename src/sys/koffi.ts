// The libc functions (abi.ts) through koffi: for engines without the JIT, which Bun's own FFI
// needs (ffi.ts). The native addon is required by its file path (not through koffi's JS wrapper,
// which searches for it at run time and costs 30-40 ms), so `bun build --compile` embeds it.
import { LIBC, bindOnce, type Backend, type CFn, type CType } from "./abi";

const C: Record<CType, string> = {
  i32: "int", u32: "uint32", i64: "int64", u64: "uint64", str: "const char *", buf: "void *", strv: "const char **", ptr: "uint64", void: "void",
};

export function koffiBackend(): Backend {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require("../../node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node");
  const libc = koffi.load("libc.so.6");
  // memset(buf, 0, 0) returns buf: the address koffi passes for a buffer (it passes its memory)
  let memset: ((b: Uint8Array, c: number, n: number) => number) | undefined;
  return {
    name: "koffi",
    // declared on first use: the declarations cost ~10 us each without the JIT
    fn: bindOnce((name) => {
      const [ret, types] = LIBC[name] as readonly [CType, readonly CType[]];
      const raw = libc.func(`${C[ret]} ${name}(${types.map((t) => C[t]).join(", ")})`) as (...a: unknown[]) => number | bigint;
      return types.includes("strv") ? (...args) => raw(...args.map((v, i) => (types[i] === "strv" && v ? [...(v as string[]), null] : v))) : (raw as CFn);
    }),
    prepare(name, args) {
      const f = this.fn(name);
      return () => f(...args);
    },
    errno: () => koffi.errno() as number,
    address(b) {
      memset ??= libc.func("uint64 memset(void *, int, size_t)");
      return BigInt(memset!(b, 0, 0));
    },
  };
}
