// The parent's start (create, run, exec and every other verb): main.ts imports it only when
// this process is not an init engine.
import { bundleOf, commandOf } from "./cli/command";
import { exitNow, realSys } from "./sys";
import { startInitEngineEarly } from "./linux/engine";
import { primeCgroupMovesNow } from "./linux/cgroups/prime";
import { readFile } from "./linux/file";

export function parentMain(): void {
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
