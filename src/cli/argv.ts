// runc-style argv parsing without yargs on the hot path: every verb a client runs (create, start,
// state, kill, delete) pays for argv parsing, and loading yargs alone cost ~12 ms here. The flag
// tables are the same objects yargs renders for --help, so the two cannot drift apart.
import { UsageError } from "../errors";
import { map, find } from "../sys/arrays";

export interface FlagSpec {
  type: "boolean" | "string" | "number";
  alias?: string;
  default?: unknown;
  describe: string;
  choices?: readonly string[];
  global?: boolean;
  /** repeatable: every occurrence is collected */
  array?: boolean;
}
export type Flags = Readonly<Record<string, FlagSpec>>;

export interface CommandModule {
  command: string;
  describe: string;
  flags?: Flags;
  handler(args: any): Promise<void> | void;
}

export interface Parsed {
  command: CommandModule;
  args: Record<string, unknown>;
}

/** "kill <id> [signal]" → [{name:"id",required:true},{name:"signal",required:false}] */
export function positionals(command: string): { name: string; required: boolean; variadic: boolean }[] {
  return map(command.split(" ").slice(1), (p) => {
    const name = p.slice(1, -1);
    // no regular expression: the process's first one costs ~0.1 ms, and every verb parses argv
    const variadic = name.endsWith("...");
    return { name: variadic ? name.slice(0, -3) : name, required: p.startsWith("<"), variadic };
  });
}

/** the index of the command's variadic positional, or -1 */
function variadicAt(command: string): number {
  const pos = positionals(command);
  for (let i = 0; i < pos.length; i++) if (pos[i].variadic) return i;
  return -1;
}

function lookup(flags: Flags, name: string): [string, FlagSpec] | undefined {
  if (name in flags) return [name, flags[name]];
  for (const [k, f] of Object.entries(flags)) if (f.alias === name) return [k, f];
  return undefined;
}

function coerce(name: string, f: FlagSpec, raw: string): unknown {
  if (f.type === "number") {
    const n = Number(raw);
    if (raw === "" || !Number.isFinite(n)) throw new UsageError(`--${name}: ${JSON.stringify(raw)} is not a number`);
    return n;
  }
  if (f.type === "boolean") {
    if (raw !== "true" && raw !== "false") throw new UsageError(`--${name}: ${JSON.stringify(raw)} is not true or false`);
    return raw === "true";
  }
  if (f.choices && !f.choices.includes(raw)) throw new UsageError(`--${name}: ${JSON.stringify(raw)} is not one of ${f.choices.join(", ")}`);
  return raw;
}

/** Global flags may come before or after the command; `--` ends the flags. */
export function parseArgv(argv: string[], globals: Flags, commands: CommandModule[]): Parsed {
  const args: Record<string, unknown> = {};
  const rest: string[] = [];
  let command: CommandModule | undefined;
  // the index of the command's variadic positional, once the command is known (-1: none)
  let tail = -1;
  const defaults = (flags: Flags) => { for (const [k, f] of Object.entries(flags)) if (f.default !== undefined && !(k in args)) args[k] = f.default; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") { rest.push(...argv.slice(i + 1)); break; }
    // like runc (urfave/cli), what follows a command's fixed arguments is passed on verbatim
    // when the command takes a variadic tail (`ps <id> -o pid,comm`)
    if (tail >= 0 && rest.length >= tail) { rest.push(...argv.slice(i)); break; }
    if (a.startsWith("-") && a.length > 1) {
      const body = a.startsWith("--") ? a.slice(2) : a.slice(1);
      const eq = body.indexOf("=");
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const found = (command?.flags && lookup(command.flags, name)) || lookup(globals, name);
      if (!found) throw new UsageError(`unknown flag ${a.split("=")[0]}${command ? `; see tsrunc ${command.command.split(" ")[0]} --help` : "; see tsrunc --help"}`);
      const [key, f] = found;
      let v: unknown;
      if (eq >= 0) v = coerce(key, f, body.slice(eq + 1));
      else if (f.type === "boolean") v = true;
      else if (i + 1 < argv.length) v = coerce(key, f, argv[++i]);
      else throw new UsageError(`flag ${a} needs a value`);
      args[key] = f.array ? [...((args[key] as unknown[]) ?? []), v] : v;
      continue;
    }
    if (!command) {
      command = find(commands, (c) => c.command.split(" ")[0] === a);
      if (!command) throw new UsageError(`unknown command ${JSON.stringify(a)}; see tsrunc --help`);
      tail = variadicAt(command.command);
      continue;
    }
    rest.push(a);
  }
  if (!command) throw new UsageError("a command is required; see tsrunc --help");
  defaults(globals);
  defaults(command.flags ?? {});
  const pos = positionals(command.command);
  const name = command.command.split(" ")[0];
  for (let i = 0; i < pos.length; i++) {
    const p = pos[i];
    if (p.variadic) args[p.name] = rest.slice(i);
    else if (i < rest.length) args[p.name] = rest[i];
    else if (p.required) throw new UsageError(`"${name}" requires the argument <${p.name}>; see tsrunc ${name} --help`);
  }
  if (tail < 0 && rest.length > pos.length) throw new UsageError(`"${name}": unexpected argument ${JSON.stringify(rest[pos.length])}`);
  return { command, args };
}
