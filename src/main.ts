import { main } from "./cli/main";
import { exitNow, realSys } from "./sys";
import { initEngineMain } from "./container/init-engine";
import { initEngineFds } from "./linux/engine";

// `tsrunc init` is the engine that create, run and exec start for the container side
// (linux/engine.ts), like `runc init`; it is not a command for people.
const init = process.argv[2] === "init" ? initEngineFds() : null;
if (init) initEngineMain(realSys(), init);
// Exit as soon as the work is done. The engine's orderly teardown costs ~12 ms here (measured: an
// empty compiled program takes 15 ms, 3.3 ms when it ends with reallyExit), and container engines
// call the runtime 4-6 times per container. Output and logs are written synchronously.
else void main(process.argv.slice(2)).then(() => exitNow(Number(process.exitCode ?? 0)));
