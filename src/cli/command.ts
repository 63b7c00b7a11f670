// The subcommand word, found without parsing argv: main.ts needs it before it loads the CLI (the
// init engine starts first for create, run and exec), and `tsrunc init` loads no CLI at all.

/** the argv asks for the version (runc's -v and --version, before any command) */
export function wantsVersion(argv: string[]): boolean {
  return scanGlobals(argv) === "--version";
}

/** the subcommand word, or undefined for none and for --version */
export function commandOf(argv: string[]): string | undefined {
  const w = scanGlobals(argv);
  return w === "--version" ? undefined : w;
}

/** start, kill, delete and state without --help: main.ts runs them through cli/fast.ts */
export function isFastVerb(command: string | undefined, argv: string[]): boolean {
  if (command !== "start" && command !== "kill" && command !== "delete" && command !== "state") return false;
  for (const a of argv) if (a === "--help" || a === "-h") return false;
  return true;
}

/** the first word that is not a global flag (or "--version") */
export function scanGlobals(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--version" || a === "-v") return "--version";
    if (!a.startsWith("-")) return a;
    // no Array.prototype.includes: its first call compiles the builtin (sys/arrays.ts)
    if (a === "--root" || a === "--log" || a === "--log-format" || a === "--rootless") i++;
  }
  return undefined;
}

/**
 * The bundle directory of create or run, found without parsing argv (main.ts reads its config to
 * decide how to start the init engine; create checks that guess against the parsed config).
 */
export function bundleOf(argv: string[]): string {
  let bundle = ".";
  for (let i = argv.indexOf(scanGlobals(argv) ?? "") + 1; i > 0 && i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (a === "-b" || a === "--bundle") bundle = argv[++i] ?? bundle;
    else if (a.startsWith("--bundle=")) bundle = a.slice(9);
    else if (a.startsWith("-b=")) bundle = a.slice(3);
  }
  return bundle;
}
