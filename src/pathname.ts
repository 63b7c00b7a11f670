// POSIX path strings (join, resolve, dirname, basename, isAbsolute), with node:path's results.
// Why not node:path: Bun compiles that builtin from source when a process first imports it,
// ~0.35 ms here (more in the init engine, which runs in the interpreter), and every verb and the
// init engine paid it on their critical path for five string functions (bench/results).

/** "." and ".." resolved, repeated slashes collapsed; a trailing slash is kept, like node:path */
export function normalize(p: string): string {
  if (p === "") return ".";
  const abs = p.charCodeAt(0) === 47;
  const trailing = p.charCodeAt(p.length - 1) === 47;
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(seg);
  }
  let s = out.join("/");
  if (abs) s = "/" + s;
  else if (s === "") s = ".";
  return trailing && s !== "/" ? s + "/" : s;
}

export function join(...parts: string[]): string {
  let s = "";
  for (const x of parts) if (x !== "") s = s ? `${s}/${x}` : x; // no Array builtin: sys/arrays.ts
  return s === "" ? "." : normalize(s);
}

export function isAbsolute(p: string): boolean {
  return p.charCodeAt(0) === 47;
}

/** an absolute path: the parts from the right up to the first absolute one, on top of the cwd */
export function resolve(...parts: string[]): string {
  let s = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(s); i--) if (parts[i] !== "") s = s ? `${parts[i]}/${s}` : parts[i];
  if (!isAbsolute(s)) s = s ? `${process.cwd()}/${s}` : process.cwd();
  const n = normalize(s);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

export function dirname(p: string): string {
  if (p === "") return ".";
  let end = p.length;
  while (end > 1 && p.charCodeAt(end - 1) === 47) end--; // trailing slashes
  const i = p.lastIndexOf("/", end - 1);
  if (i < 0) return ".";
  let d = i;
  while (d > 0 && p.charCodeAt(d - 1) === 47) d--;
  return d === 0 ? "/" : p.slice(0, d);
}

export function basename(p: string): string {
  let end = p.length;
  while (end > 1 && p.charCodeAt(end - 1) === 47) end--;
  return p.slice(p.lastIndexOf("/", end - 1) + 1, end);
}

/** the subset of node:path's posix object tsrunc uses, for `import * as path` call sites */
export const posix = { join, resolve, dirname, basename, isAbsolute, normalize };
