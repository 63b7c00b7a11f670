// Small CLI-facing pure functions: kill's signal argument and list's table layout.
import { describe, expect, test } from "bun:test";
import { table } from "../../src/cli/list";
import { parseSignal } from "../../src/container/lifecycle";
import { UsageError } from "../../src/errors";

describe("parseSignal", () => {
  test("names with or without SIG, any case", () => {
    expect(parseSignal("KILL")).toBe(9);
    expect(parseSignal("SIGKILL")).toBe(9);
    expect(parseSignal("sigterm")).toBe(15);
    expect(parseSignal("hup")).toBe(1);
    expect(parseSignal("SigUsr1")).toBe(10);
    expect(parseSignal("WINCH")).toBe(28);
  });

  test("numbers", () => {
    expect(parseSignal("9")).toBe(9);
    expect(parseSignal("64")).toBe(64);
    expect(parseSignal("0")).toBe(0);
  });

  test("default is SIGTERM", () => {
    expect(parseSignal(undefined)).toBe(15);
    expect(parseSignal("")).toBe(15);
  });

  test("invalid names and out-of-range numbers are usage errors", () => {
    for (const bad of ["SIGFOO", "BOGUS", "-9", "65", "9x", "SIG"]) {
      expect(() => parseSignal(bad)).toThrow(UsageError);
    }
    expect(() => parseSignal("SIGFOO")).toThrow('unknown signal "SIGFOO"');
    expect(() => parseSignal("65")).toThrow('invalid signal "65"');
  });
});

describe("list table", () => {
  test("runc's tabwriter layout: each column min 12 wide, else longest cell + 1; the last column unpadded", () => {
    const rows = [
      ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"],
      ["web", "4242", "running", "/run/containers/web/bundle", "2024-05-01T10:00:00.123456789Z", "root"],
      ["a-much-longer-id", "0", "stopped", "/b", "2024-05-01T10:00:01Z", "someone-else"],
    ];
    expect(table(rows)).toBe([
      "ID               PID         STATUS      BUNDLE                     CREATED                        OWNER",
      "web              4242        running     /run/containers/web/bundle 2024-05-01T10:00:00.123456789Z root",
      "a-much-longer-id 0           stopped     /b                         2024-05-01T10:00:01Z           someone-else",
      "",
    ].join("\n"));
  });

  test("only the header: every column at the minimum width", () => {
    expect(table([["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]))
      .toBe("ID          PID         STATUS      BUNDLE      CREATED     OWNER\n");
  });

  test("a cell of exactly 11 characters still fits the minimum; 12 needs 13", () => {
    expect(table([["a".repeat(11), "x"]])).toBe("a".repeat(11) + " x\n");
    expect(table([["a".repeat(12), "x"]])).toBe("a".repeat(12) + " x\n");
    expect(table([["a".repeat(12), "x"], ["b", "y"]])).toBe(`${"a".repeat(12)} x\nb${" ".repeat(12)}y\n`);
  });
});
