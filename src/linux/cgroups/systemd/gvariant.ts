// GVariant text format (GLib's "GVariant Text Format") → a D-Bus Variant: the value syntax of
// runc's org.systemd.property.* annotations (runc hands them to godbus' ParseVariant). The parts
// that map onto D-Bus: booleans, numbers with their type keywords, strings, byte strings,
// arrays, tuples, dictionaries, variants and "@type" annotations. Maybe types (just/nothing,
// "m") have no D-Bus equivalent and are refused.
//
// Two passes, as GLib does it: parse into a tree, then settle the types (an untyped integer is
// int32, an untyped float a double, an array's elements share one type, and an explicit type
// anywhere in an array wins) and build the value for that signature.
import { MAX_U64 } from "../fsio";
import { splitSignature, typeEnd, Variant, type DBusValue } from "./wire";

type Node =
  | { k: "bool"; v: boolean }
  | { k: "num"; text: string; float: boolean }
  | { k: "str"; v: string }
  | { k: "bytes"; v: number[] }
  | { k: "typed"; sig: string; node: Node }
  | { k: "array"; items: Node[] }
  | { k: "tuple"; items: Node[] }
  | { k: "dict"; entries: [Node, Node][] }
  | { k: "variant"; node: Node };

/** GLib's type keywords: `uint64 7`, `objectpath '/a'` */
const KEYWORDS: Record<string, string> = {
  boolean: "b", byte: "y", int16: "n", uint16: "q", int32: "i", uint32: "u", int64: "x", uint64: "t",
  double: "d", string: "s", objectpath: "o", signature: "g", handle: "h",
};

const INT_RANGE: Record<string, [bigint, bigint]> = {
  y: [0n, 255n], n: [-32768n, 32767n], q: [0n, 65535n], i: [-(2n ** 31n), 2n ** 31n - 1n], u: [0n, 2n ** 32n - 1n],
  x: [-(2n ** 63n), 2n ** 63n - 1n], t: [0n, MAX_U64], h: [0n, 2n ** 32n - 1n],
};

/** parses one GVariant text value; throws an Error saying what and where */
export function parseGVariant(text: string): Variant {
  const p = new Parser(text);
  const node = p.value();
  p.skip();
  if (p.i < text.length) throw p.fail(`unexpected ${JSON.stringify(text.slice(p.i, p.i + 10))} after the value`);
  const sig = infer(node);
  if (sig === undefined) throw new Error("cannot tell the type of an empty array: give it one, e.g. @as []");
  return new Variant(sig, build(node, sig));
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(msg: string): Error { return new Error(`${msg} (at offset ${this.i})`); }

  skip(): void { while (/\s/.test(this.s[this.i] ?? "")) this.i++; }

  eat(c: string): boolean {
    this.skip();
    if (this.s[this.i] !== c) return false;
    this.i++;
    return true;
  }

  expect(c: string): void { if (!this.eat(c)) throw this.fail(`expected "${c}"`); }

  /** "a, b, c" up to `close`; a trailing comma is not GVariant */
  list<T>(close: string, item: () => T): T[] {
    const out: T[] = [];
    if (this.eat(close)) return out;
    do out.push(item()); while (this.eat(","));
    this.expect(close);
    return out;
  }

  value(): Node {
    this.skip();
    const c = this.s[this.i];
    if (c === undefined) throw this.fail("a value is missing");
    if (c === "@") {
      this.i++;
      const end = (() => { try { return typeEnd(this.s, this.i); } catch (e) { throw this.fail(`bad type: ${(e as Error).message}`); } })();
      const sig = this.s.slice(this.i, end);
      this.i = end;
      return { k: "typed", sig, node: this.value() };
    }
    if (c === "[") { this.i++; return { k: "array", items: this.list("]", () => this.value()) }; }
    if (c === "<") { this.i++; const node = this.value(); this.expect(">"); return { k: "variant", node }; }
    if (c === "(") {
      this.i++;
      const items = this.list(")", () => this.value());
      if (!items.length) throw this.fail("an empty tuple has no D-Bus type");
      return { k: "tuple", items };
    }
    if (c === "{") { this.i++; return this.dict(); }
    if (c === "'" || c === '"') return { k: "str", v: this.string() };
    if (c === "b" && (this.s[this.i + 1] === "'" || this.s[this.i + 1] === '"')) {
      this.i++;
      return { k: "bytes", v: [...Buffer.from(this.string(), "utf8")] };
    }
    // a number ends at a non-word character: "infinity" unquoted is a bare word, not inf + "inity"
    const num = /^[+-]?(?:0x[0-9a-fA-F]+|inf|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?![\w.])/.exec(this.s.slice(this.i));
    if (num) {
      this.i += num[0].length;
      return { k: "num", text: num[0], float: !/^[+-]?0x/.test(num[0]) && /[.eEin]/.test(num[0]) };
    }
    const word = /^[a-z0-9]+/.exec(this.s.slice(this.i))?.[0];
    if (word === "true" || word === "false") { this.i += word.length; return { k: "bool", v: word === "true" }; }
    if (word && word in KEYWORDS) { this.i += word.length; return { k: "typed", sig: KEYWORDS[word], node: this.value() }; }
    if (word === "just" || word === "nothing") throw this.fail("maybe types (just/nothing) have no D-Bus equivalent");
    throw this.fail(`unexpected ${JSON.stringify(this.s.slice(this.i, this.i + 10))}; strings need quotes, e.g. 'inactive-or-failed'`);
  }

  /** {k: v, ...} is a dictionary (a{..}); {k, v} is one dict entry, which D-Bus only has inside an array */
  dict(): Node {
    if (this.eat("}")) return { k: "dict", entries: [] };
    const key = this.value();
    if (this.eat(",")) throw this.fail("a lone dict entry {k, v} has no D-Bus type outside an array; write {k: v}");
    this.expect(":");
    const entries: [Node, Node][] = [[key, this.value()]];
    while (this.eat(",")) {
      const k = this.value();
      this.expect(":");
      entries.push([k, this.value()]);
    }
    this.expect("}");
    return { k: "dict", entries };
  }

  /** '...' or "..." with C-like escapes and \uXXXX / \UXXXXXXXX */
  string(): string {
    const q = this.s[this.i++];
    let out = "";
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) throw this.fail("unterminated string");
      if (c === q) return out;
      if (c !== "\\") { out += c; continue; }
      const e = this.s[this.i++];
      const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", a: "\x07", "\\": "\\", "'": "'", '"': '"' };
      if (e in simple) out += simple[e];
      else if (e === "u" || e === "U") {
        const n = e === "u" ? 4 : 8, hex = this.s.slice(this.i, this.i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw this.fail(`\\${e} needs ${n} hex digits`);
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += n;
      } else throw this.fail(`unknown escape \\${e ?? ""}`);
    }
  }
}

const NUMERIC = "ynqiuxtdh";

/** the node's signature, or undefined while nothing fixes it (an empty untyped array) */
function infer(n: Node): string | undefined {
  switch (n.k) {
    case "bool": return "b";
    case "num": return n.float ? "d" : "i";
    case "str": return "s";
    case "bytes": return "ay";
    case "typed": return n.sig;
    case "variant": return "v";
    case "tuple": {
      const sigs = n.items.map(infer);
      return sigs.every((s) => s !== undefined) ? `(${sigs.join("")})` : undefined;
    }
    case "array": {
      const el = unify(n.items);
      return el === undefined ? undefined : `a${el}`;
    }
    case "dict": {
      const k = unify(n.entries.map((e) => e[0])), v = unify(n.entries.map((e) => e[1]));
      return k === undefined || v === undefined ? undefined : `a{${k}${v}}`;
    }
  }
}

/** one type for all elements: an explicit type wins, then double over int32 for bare numbers */
function unify(items: Node[]): string | undefined {
  const strong = [...new Set(items.map(strongType).filter((s): s is string => s !== undefined))];
  if (strong.length > 1) throw new Error(`array elements of different types (${strong.join(", ")})`);
  if (strong.length) return strong[0];
  // only bare numbers and empty arrays are left
  const sigs = items.map(infer).filter((s): s is string => s !== undefined);
  if (!sigs.length) return undefined;
  return sigs.includes("d") ? "d" : "i";
}

/** a type written by the user (or fixed by the syntax), as opposed to a bare number's default */
function strongType(n: Node): string | undefined {
  return n.k === "num" ? undefined : n.k === "array" && !n.items.length ? undefined : infer(n);
}

function build(n: Node, sig: string): DBusValue {
  const mismatch = () => new Error(`${describe(n)} is not of type ${sig}`);
  switch (n.k) {
    case "bool": if (sig !== "b") throw mismatch(); return n.v;
    case "str":
      if (sig === "s") return n.v;
      if (sig === "o" && /^\/$|^(\/[A-Za-z0-9_]+)+$/.test(n.v)) return n.v;
      if (sig === "g") { try { splitSignature(n.v); return n.v; } catch { /* fall through */ } }
      throw mismatch();
    case "bytes": if (sig !== "ay") throw mismatch(); return n.v;
    case "typed":
      if (n.sig !== sig) throw new Error(`@${n.sig} value where ${sig} is expected`);
      return build(n.node, sig);
    case "variant": {
      if (sig !== "v") throw mismatch();
      const inner = infer(n.node);
      if (inner === undefined) throw new Error("cannot tell the type of an empty array inside <>: give it one, e.g. <@as []>");
      return new Variant(inner, build(n.node, inner));
    }
    case "num": return number(n.text, n.float, sig);
    case "array":
      if (sig[0] !== "a" || sig[1] === "{") throw mismatch();
      return n.items.map((i) => build(i, sig.slice(1)));
    case "dict": {
      if (!sig.startsWith("a{")) throw mismatch();
      const [k, v] = splitSignature(sig.slice(2, -1));
      return n.entries.map(([a, b]) => [build(a, k), build(b, v)]);
    }
    case "tuple": {
      const fields = sig[0] === "(" ? splitSignature(sig.slice(1, -1)) : [];
      if (fields.length !== n.items.length) throw mismatch();
      return n.items.map((i, j) => build(i, fields[j]));
    }
  }
}

function number(text: string, float: boolean, sig: string): DBusValue {
  if (!NUMERIC.includes(sig)) throw new Error(`the number ${text} is not of type ${sig}`);
  if (sig === "d") return Number(text.replace(/inf$/, "Infinity").replace(/nan$/, "NaN"));
  if (float) throw new Error(`${text} is not an integer (type ${sig})`);
  const neg = text.startsWith("-"), body = text.replace(/^[+-]/, "");
  // GLib reads a leading 0 as octal, like strtoll with base 0
  const mag = /^0\d/.test(body) ? (/^[0-7]+$/.test(body) ? BigInt(`0o${body.slice(1)}`) : undefined) : BigInt(body);
  if (mag === undefined) throw new Error(`${text} is not an octal number`);
  const v = neg ? -mag : mag;
  const [lo, hi] = INT_RANGE[sig];
  if (v < lo || v > hi) throw new Error(`${text} is out of range for type ${sig} (${lo}..${hi})`);
  return sig === "x" || sig === "t" ? v : Number(v);
}

function describe(n: Node): string {
  switch (n.k) {
    case "bool": return `boolean ${n.v}`;
    case "str": return `string ${JSON.stringify(n.v)}`;
    case "num": return `number ${n.text}`;
    default: return n.k;
  }
}
