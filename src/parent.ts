// The parent's start (create, run, exec and every other verb): main.ts imports it only when
// this process is not an init engine.
import { bundleOf } from "./cli/command";
import { exitNow } from "./sys";
import { startInitEngineEarly } from "./linux/engine";
import { readFile } from "./linux/file";

export function parentMain(command: string | undefined): void {
  // create, run and exec: the init engine gets going before the rest. main.ts has primed the
  // cgroup grace period already (with its own eight libc functions, sys/primer.ts): after a call
  // that moved no task between cgroups (runc's run, or none), the grace period is the longest
  // path, and priming first measured 21.5 ms against 24.0 ms with the spawn first. Rotated pairs
  // of tsrunc runs favoured the spawn first (20.7 against 21.4 ms), because each run found the
  // previous one's fast window still open: not the usual case.
  if (command === "run" || command === "create" || command === "exec") {
    startInitEngineEarly(command === "exec" ? undefined : peekConfig(bundleOf(process.argv.slice(2))));
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
