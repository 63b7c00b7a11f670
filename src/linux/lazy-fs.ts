// node:fs for the modules the init engine and the small verbs load. Loading node:fs costs ~1 ms
// (more in the init engine, whose code runs in the interpreter), on the longest path of a create
// and of every kill, start and delete, so it is loaded at the first call, which a plain container
// never makes: what they read and write goes through Sys (linux/file.ts). cgroups/fsio.ts uses it
// too: kill loads the cgroup tree's module for `kill --all` only.
type NodeFs = typeof import("node:fs");
let loaded: NodeFs | undefined;

export const fs: NodeFs = new Proxy({} as NodeFs, {
  get: (_t, k) => (loaded ??= require("node:fs") as NodeFs)[k as keyof NodeFs],
});
