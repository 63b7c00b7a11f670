import { bundleOf, commandOf } from "./cli/command";
import { exitNow, realSys } from "./sys";
import { initEngineFds, startInitEngineEarly } from "./linux/engine";
import { primeCgroupMovesNow } from "./linux/cgroups/prime";
import { readFile } from "./linux/file";

// `tsrunc init` is the engine that create, run and exec start for the container side
// (linux/engine.ts), like `runc init`; it is not a command for people. Its code is a chunk of
// its own: the other verbs do not load it.
const init = process.argv[2] === "init" ? initEngineFds() : null;
if (init) {
  const atMain = performance.now();
  void Promise.all([import("./container/init-engine"), import("./sys")]).then(([m, s]) => m.initEngineMain(s.realSys(true), init, atMain));
} else {
  // create, run and exec: the init engine and the cgroup grace period get going before the rest.
  // The init engine first: its start is the longest path of a create; the grace period the
  // priming starts still ends before the cgroups are made (create.ts). Measured both ways, paired:
  // priming first won while the init engine's start was slower (before it became PID 1 itself and
  // create stopped loading node:fs early); now the spawn first wins (N=150: 21.4 -> 20.7 ms)
  const command = commandOf(process.argv.slice(2));
  if (command === "run" || command === "create" || command === "exec") {
    startInitEngineEarly(command === "exec" ? undefined : peekConfig(bundleOf(process.argv.slice(2))));
    primeCgroupMovesNow(realSys);
  }
  // Exit as soon as the work is done. The engine's orderly teardown costs ~12 ms here (measured:
  // an empty compiled program takes 15 ms, 3.3 ms when it ends with reallyExit), and container
  // engines call the runtime 4-6 times per container. Output and logs are written synchronously.
  void import("./cli/main").then((m) => m.main(process.argv.slice(2))).then(() => exitNow(Number(process.exitCode ?? 0)));
}

/** linux.namespaces and mounts of the bundle's config, if it can be read (a guess: create checks it) */
function peekConfig(bundle: string): { namespaces: { type: string; path?: string }[]; mounts: { options?: string[] }[] } | undefined {
  try {
    const c = JSON.parse(readFile(`${bundle}/config.json`)) as { linux?: { namespaces?: { type: string; path?: string }[] }; mounts?: { options?: string[] }[] };
    return { namespaces: c.linux?.namespaces ?? [], mounts: c.mounts ?? [] };
  } catch {
    return undefined;
  }
}
