import { test, expect, describe } from "bun:test";
import { parseArgv, positionals } from "../../src/cli/argv";
import { globalOptions } from "../../src/cli/globals";
import { COMMANDS } from "../../src/cli/main";

const parse = (argv: string[]) => parseArgv(argv, globalOptions, COMMANDS);

describe("argv parsing (runc's command line)", () => {
  test("global flags before the command, command flags and positionals after", () => {
    const { command, args } = parse(["--root", "/run/x", "--log=/tmp/l", "--log-format", "json", "create", "-b", "/b", "--pid-file", "/p", "--preserve-fds", "2", "c1"]);
    expect(command.command).toBe("create <id>");
    expect(args).toMatchObject({ root: "/run/x", log: "/tmp/l", "log-format": "json", bundle: "/b", "pid-file": "/p", "preserve-fds": 2, id: "c1", "no-pivot": false, debug: false });
  });

  test("defaults apply: --root /run/tsrunc, bundle .", () => {
    expect(parse(["create", "c"]).args).toMatchObject({ root: "/run/tsrunc", bundle: ".", "log-format": "text" });
  });

  test("--no-pivot and --no-new-keyring are flags of their own, not negations", () => {
    expect(parse(["run", "--no-pivot", "--no-new-keyring", "-d", "c"]).args).toMatchObject({ "no-pivot": true, "no-new-keyring": true, detach: true });
  });

  test("optional positionals and aliases", () => {
    expect(parse(["kill", "--all", "c", "KILL"]).args).toMatchObject({ all: true, id: "c", signal: "KILL" });
    expect(parse(["kill", "c"]).args.signal).toBeUndefined();
    expect(parse(["delete", "-f", "c"]).args).toMatchObject({ force: true, id: "c" });
    expect(parse(["list", "-q", "--format", "json"]).args).toMatchObject({ quiet: true, format: "json" });
  });

  test("errors name the problem", () => {
    expect(() => parse(["--bogus", "list"])).toThrow("unknown flag --bogus");
    expect(() => parse(["state"])).toThrow('"state" requires the argument <id>');
    expect(() => parse(["nope"])).toThrow('unknown command "nope"');
    expect(() => parse([])).toThrow("a command is required");
    expect(() => parse(["create", "--preserve-fds", "x", "c"])).toThrow("--preserve-fds");
    expect(() => parse(["list", "--format", "yaml"])).toThrow("not one of table, json");
    expect(() => parse(["state", "a", "b"])).toThrow('unexpected argument "b"');
    expect(() => parse(["create", "--bundle"])).toThrow("needs a value");
  });

  test("positionals() reads the command string", () => {
    expect(positionals("kill <id> [signal]")).toEqual([{ name: "id", required: true, variadic: false }, { name: "signal", required: false, variadic: false }]);
    expect(positionals("ps <id> [ps-args...]")[1]).toEqual({ name: "ps-args", required: false, variadic: true });
  });

  test("ps passes what follows the id to ps(1) verbatim", () => {
    expect(parse(["ps", "--format", "json", "c"]).args).toMatchObject({ id: "c", format: "json", "ps-args": [] });
    expect(parse(["ps", "c", "-o", "pid,comm"]).args).toMatchObject({ id: "c", "ps-args": ["-o", "pid,comm"] });
    expect(positionals("list")).toEqual([]);
  });
});
