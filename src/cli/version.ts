// `tsrunc --version` (runc's three lines): a module of its own, so main.ts prints it without
// loading the table of every command (cli/main.ts), ~2 ms.
import { print } from "./output";
import { exitNow } from "../sys";

declare const TSRUNC_VERSION: string, TSRUNC_COMMIT: string;
const VERSION = typeof TSRUNC_VERSION === "string" ? TSRUNC_VERSION : "dev";
const COMMIT = typeof TSRUNC_COMMIT === "string" ? TSRUNC_COMMIT : "unknown";

export function versionText(): string {
  return `tsrunc version ${VERSION}\ncommit: ${COMMIT}\nspec: 1.3.0\n`;
}

export function printVersion(): void {
  print(versionText());
  exitNow(0);
}
