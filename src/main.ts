import { main, commandOf } from "./cli/main";
import { exitNow } from "./sys";
import { forkSafeEngine } from "./linux/engine";

// Verbs that fork the engine need JavaScriptCore without background threads that could hold a
// lock at fork time (linux/engine.ts); those options are read only at start, hence a re-exec.
forkSafeEngine(commandOf(process.argv.slice(2)));

// Exit as soon as the work is done. The engine's orderly teardown costs ~12 ms here (measured: an
// empty compiled program takes 15 ms, 3.3 ms when it ends with reallyExit), and container engines
// call the runtime 4-6 times per container. Output and logs are written synchronously.
void main(process.argv.slice(2)).then(() => exitNow(Number(process.exitCode ?? 0)));
