import { initEngineFds } from "./linux/init-fds";
import { commandOf, isFastVerb, wantsVersion } from "./cli/command";
import { primeCgroupMovesNow } from "./linux/cgroups/prime";

// `tsrunc init` is the engine that create, run and exec start for the container side
// (linux/engine.ts), like `runc init`; it is not a command for people. Its code is a chunk of
// its own: the other verbs do not load it.
const init = process.argv[2] === "init" ? initEngineFds() : null;
if (init) {
  const atMain = performance.now();
  void Promise.all([import("./container/init-engine"), import("./sys")]).then(([m, s]) => m.initEngineMain(s.realSys(true), init, atMain));
} else {
  // create, run and exec: the cgroup grace period before anything else (parent.ts says why)
  const command = commandOf(process.argv.slice(2));
  if (command === "run" || command === "create" || command === "exec") primeCgroupMovesNow(() => (require("./sys") as typeof import("./sys")).realSys());
  // the verbs engines call for every container load their own command module only (cli/fast.ts)
  if (isFastVerb(command, process.argv)) void import("./cli/fast").then((f) => f.fastMain(command!, process.argv.slice(2)));
  else if (wantsVersion(process.argv.slice(2))) void import("./cli/version").then((v) => v.printVersion());
  else void import("./parent").then((p) => p.parentMain(command));
}
