// start, kill, delete and state, which container engines call for every container: main.ts
// sends them here, to load their own command module only, not the CLI's table of every command
// and its flags (cli/main.ts) or the create path's parent code (parent.ts): ~0.5 ms a call.
import type { CommandModule } from "./argv";
import { dispatch } from "./dispatch";
import { exitNow } from "../sys";

const FAST: Record<string, () => Promise<CommandModule>> = {
  start: () => import("./start"),
  kill: () => import("./kill"),
  delete: () => import("./delete"),
  state: () => import("./state"),
};

export function fastMain(command: string, argv: string[]): void {
  const atMain = performance.now();
  void FAST[command]().then((m) => dispatch(argv, [m], atMain)).then(() => exitNow(Number(process.exitCode ?? 0)));
}
