// How an init engine knows it is one (engine.ts starts it): the one thing main.ts imports, so
// the init engine loads nothing of the parent's before its own code.

/** the environment variable that marks an init engine: "<sync fd>,<console fd>" */
export const INIT_ENV = "_TSRUNC_INIT";

/** the init engine's two inherited sockets, or null when this process is not one */
export function initEngineFds(): { sync: number; console: number } | null {
  const v = process.env[INIT_ENV];
  if (!v) return null;
  // no regular expression: the first one costs ~0.2 ms, and this is the init engine's first step
  const [a, b, ...rest] = v.split(",");
  const sync = Number(a), console = Number(b);
  if (rest.length || a === "" || b === "" || !Number.isInteger(sync) || !Number.isInteger(console) || sync < 0 || console < 0) return null;
  return { sync, console };
}
