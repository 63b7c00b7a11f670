// node:fs for the modules the init engine loads. Loading node:fs costs ~1 ms there (its module
// code runs in the interpreter) and the init engine's start is the longest path of a create, so
// it is loaded at the first call, which a plain container never makes: what every container
// reads and writes goes through Sys (linux/file.ts).
type NodeFs = typeof import("node:fs");
let loaded: NodeFs | undefined;

export const fs: NodeFs = new Proxy({} as NodeFs, {
  get: (_t, k) => (loaded ??= require("node:fs") as NodeFs)[k as keyof NodeFs],
});
