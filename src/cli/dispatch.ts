// Parse argv against the given commands and run the one named; errors are logged once and exit 1.
// main.ts calls it with one command module for the verbs clients call per container (fast.ts),
// cli/main.ts with all of them.
import { log, configureLog, timeline } from "../log";
import { globalOptions, checkGlobals, type GlobalArgs } from "./globals";
import { parseArgv, type CommandModule } from "./argv";

export async function dispatch(argv: string[], commands: CommandModule[], atMain: number): Promise<void> {
  try {
    const { command, args } = parseArgv(argv, globalOptions, commands);
    const g = args as unknown as GlobalArgs;
    configureLog({ file: g.log, format: g["log-format"], debug: g.debug });
    checkGlobals(g);
    timeline.mark("engine start to main", atMain);
    timeline.mark("argv parse");
    await command.handler(args);
  } catch (e) {
    log.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}
