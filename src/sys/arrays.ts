// Array helpers for the init engine's path (and create's). JavaScriptCore keeps map, filter,
// some, every, find, forEach, flatMap and reduce as JS source and compiles each at its first
// call: ~0.1 ms apiece in the init engine, which runs in the interpreter, on the longest path of
// every create (measured 0.75 ms for the eight). These plain loops come precompiled with our code.

export function map<T, U>(xs: readonly T[], f: (x: T, i: number) => U): U[] {
  const out: U[] = new Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = f(xs[i], i);
  return out;
}

export function filter<T>(xs: readonly T[], f: (x: T) => unknown): T[] {
  const out: T[] = [];
  for (const x of xs) if (f(x)) out.push(x);
  return out;
}

export function some<T>(xs: readonly T[] | undefined, f: (x: T) => unknown): boolean {
  if (xs) for (const x of xs) if (f(x)) return true;
  return false;
}

export function find<T>(xs: readonly T[], f: (x: T) => unknown): T | undefined {
  for (const x of xs) if (f(x)) return x;
  return undefined;
}

/** the indices i where f(xs[i]) holds */
export function indicesOf<T>(xs: readonly T[], f: (x: T) => unknown): number[] {
  const out: number[] = [];
  for (let i = 0; i < xs.length; i++) if (f(xs[i])) out.push(i);
  return out;
}
