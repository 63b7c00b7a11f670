// tsrunc's entry point: runc-compatible argv (global flags, then a subcommand), exit code 1 and
// one logged error on failure. argv.ts parses; yargs is loaded only to render --help.
import { globalOptions } from "./globals";
import type { CommandModule } from "./argv";
import { dispatch } from "./dispatch";
import * as create from "./create";
import * as run from "./run";
import * as start from "./start";
import * as kill from "./kill";
import * as del from "./delete";
import * as state from "./state";
import * as list from "./list";
import * as spec from "./spec";
import * as features from "./features";
import * as ps from "./ps";
import * as exec from "./exec";
import { pause, resume, update, events } from "./cgroups";
import * as check from "./check";
import * as bundleCmd from "./bundle";

export const COMMANDS: CommandModule[] = [create, run, start, state, kill, del, list, ps, exec, pause, resume, update, events, spec, features, check, bundleCmd];

export async function main(argv: string[]): Promise<void> {
  const atMain = performance.now();
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h") || argv[0] === "help") {
    await showHelp(argv.filter((a) => a !== "help"));
    return;
  }
  await dispatch(argv, COMMANDS, atMain);
}

/** yargs renders the help from the same flag tables argv.ts parses with */
async function showHelp(argv: string[]): Promise<void> {
  const { default: yargs } = await import("yargs");
  let y = yargs(argv.length ? argv : ["--help"])
    .scriptName("tsrunc")
    .usage("tsrunc: an OCI runtime-spec container runtime (a drop-in for runc)\n\nUsage: tsrunc [global options] <command> [options] <container-id>")
    .parserConfiguration({ "boolean-negation": false })
    .options(globalOptions as never)
    .version(false)
    .option("version", { alias: "v", type: "boolean", describe: "print the version" });
  for (const c of COMMANDS) y = y.command(c.command, c.describe, (b) => b.options((c.flags ?? {}) as never), () => {});
  await y.help().parseAsync();
}
