// Strings to bytes for the FFIs and write(2). Not Buffer.from: Bun compiles that builtin from its
// JS source at its first call, ~0.2 ms here, and every process (each verb, the init engine) paid
// it on its critical path; Buffer.allocUnsafe and write are native.

/** the UTF-8 bytes of s */
export function bytes(s: string): Buffer {
  const b = Buffer.allocUnsafe(s.length * 3);
  return b.subarray(0, b.write(s, 0, "utf8"));
}

/** the UTF-8 bytes of s and a NUL: a C string */
export function cBytes(s: string): Buffer {
  const b = Buffer.allocUnsafe(s.length * 3 + 1);
  const n = b.write(s, 0, "utf8");
  b[n] = 0;
  return b.subarray(0, n + 1);
}
