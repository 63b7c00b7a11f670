import { initEngineFds } from "./linux/init-fds";

// `tsrunc init` is the engine that create, run and exec start for the container side
// (linux/engine.ts), like `runc init`; it is not a command for people. Its code is a chunk of
// its own: the other verbs do not load it.
const init = process.argv[2] === "init" ? initEngineFds() : null;
if (init) {
  const atMain = performance.now();
  void Promise.all([import("./container/init-engine"), import("./sys")]).then(([m, s]) => m.initEngineMain(s.realSys(true), init, atMain));
} else {
  void import("./parent").then((p) => p.parentMain());
}
