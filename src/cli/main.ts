// tsrunc's entry point: runc-compatible argv (global flags, then a subcommand), exit code 1 and
// one logged error on failure.
import yargs from "yargs";
import { log, configureLog } from "../log";
import { globalOptions, checkGlobals, type GlobalArgs } from "./globals";
import * as create from "./create";
import * as run from "./run";
import * as start from "./start";
import * as kill from "./kill";
import * as del from "./delete";
import * as state from "./state";
import * as list from "./list";
import * as spec from "./spec";
import * as features from "./features";

declare const TSRUNC_VERSION: string, TSRUNC_COMMIT: string;
const VERSION = typeof TSRUNC_VERSION === "string" ? TSRUNC_VERSION : "dev";
const COMMIT = typeof TSRUNC_COMMIT === "string" ? TSRUNC_COMMIT : "unknown";

export function versionText(): string {
  return `tsrunc version ${VERSION}\ncommit: ${COMMIT}\nspec: 1.3.0\n`;
}

export async function main(argv: string[]): Promise<void> {
  if (wantsVersion(argv)) {
    process.stdout.write(versionText());
    return;
  }
  try {
    await yargs(argv)
      .scriptName("tsrunc")
      .parserConfiguration({ "boolean-negation": false })
      .usage("tsrunc: an OCI runtime-spec container runtime (a drop-in for runc)\n\nUsage: tsrunc [global options] <command> [options] <container-id>")
      .options(globalOptions)
      .middleware((a) => {
        const g = a as unknown as GlobalArgs;
        configureLog({ file: g.log, format: g["log-format"], debug: g.debug });
        checkGlobals(g);
      })
      .command(create as never).command(run as never).command(start as never).command(state as never)
      .command(kill as never).command(del as never).command(list as never).command(spec as never).command(features as never)
      .demandCommand(1, "tsrunc: a command is required; see --help")
      .version(false)
      .option("version", { alias: "v", type: "boolean", describe: "print the version" })
      .strict()
      .help()
      .fail((msg, err) => { throw err ?? new UsageCliError(msg); })
      .parseAsync();
  } catch (e) {
    log.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}

class UsageCliError extends Error {}

/** `--version`/`-v` among the global flags (before any command), as runc accepts it */
function wantsVersion(argv: string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--version" || a === "-v") return true;
    if (!a.startsWith("-")) return false;
    if (!a.includes("=") && ["--root", "--log", "--log-format", "--rootless"].includes(a)) i++;
  }
  return false;
}
