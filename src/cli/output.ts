// Output is written synchronously: tsrunc ends with an immediate exit (see src/main.ts), which
// would drop anything still queued in an asynchronous stdout stream.
import { fs } from "../linux/lazy-fs";

export function print(text: string): void {
  const b = Buffer.from(text);
  for (let off = 0; off < b.length; ) off += fs.writeSync(1, b, off);
}
