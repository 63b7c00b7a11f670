// Output is written synchronously: tsrunc ends with an immediate exit (see src/main.ts), which
// would drop anything still queued in an asynchronous stdout stream.
import { writeAll } from "../linux/file";

export function print(text: string): void {
  writeAll(1, text);
}
