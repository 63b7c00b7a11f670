// The D-Bus wire format (D-Bus specification, "Message Protocol"): marshalling of the types the
// systemd driver sends and receives, and the message framing. Pure functions over Buffers so the
// alignment rules are unit-tested without a bus.
//
// JS shapes: y n q i u h d → number; x t → bigint (a number is accepted when writing);
// b → boolean; s o g → string; a<T> → array; a{KV} → array of [key, value] pairs (order kept);
// (…) → array of the fields; v → Variant.

export class Variant {
  constructor(readonly signature: string, readonly value: DBusValue) {}
}

export type DBusValue = number | bigint | boolean | string | Variant | DBusValue[];

/** message types (spec: "Message types") */
export const METHOD_CALL = 1, METHOD_RETURN = 2, ERROR = 3, SIGNAL = 4;
/** header flag: the caller does not want a reply */
export const NO_REPLY_EXPECTED = 1;

const ALIGN: Record<string, number> = {
  y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, a: 4, "(": 8, "{": 8, v: 1,
};

/** the end index of the single complete type starting at `i` in `sig` */
export function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === undefined) throw new Error(`signature ${JSON.stringify(sig)}: a type is missing at ${i}`);
  if (c === "a") return typeEnd(sig, i + 1);
  if (c === "(" || c === "{") {
    const close = c === "(" ? ")" : "}";
    let j = i + 1, n = 0;
    while (sig[j] !== close) {
      if (sig[j] === undefined) throw new Error(`signature ${JSON.stringify(sig)}: unclosed ${c}`);
      j = typeEnd(sig, j);
      n++;
    }
    // a dict entry has exactly two fields, the first a basic type (spec: "Container types")
    if (c === "{" && (n !== 2 || "a({v".includes(sig[i + 1]) || sig[i - 1] !== "a")) throw new Error(`signature ${JSON.stringify(sig)}: bad dict entry at ${i}`);
    if (n === 0) throw new Error(`signature ${JSON.stringify(sig)}: empty struct at ${i}`);
    return j + 1;
  }
  if (!(c in ALIGN)) throw new Error(`signature ${JSON.stringify(sig)}: unknown type code ${JSON.stringify(c)}`);
  return i + 1;
}

/** "a{sv}s" → ["a{sv}", "s"] */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length;) {
    const end = typeEnd(sig, i);
    out.push(sig.slice(i, end));
    i = end;
  }
  return out;
}

export class Writer {
  private buf = Buffer.alloc(256);
  pos = 0;

  bytes(): Buffer { return this.buf.subarray(0, this.pos); }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** padding bytes are zero (spec: "must be zero") */
  align(n: number): void {
    const pad = (n - (this.pos % n)) % n;
    this.room(pad);
    this.buf.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
  }

  write(sig: string, v: DBusValue): void {
    const c = sig[0];
    this.align(ALIGN[c] ?? 1);
    switch (c) {
      case "y": this.room(1); this.buf.writeUInt8(num(v, sig), this.pos); this.pos += 1; return;
      case "b": this.u32(v === true ? 1 : v === false ? 0 : fail(sig, v)); return;
      case "n": this.room(2); this.buf.writeInt16LE(num(v, sig), this.pos); this.pos += 2; return;
      case "q": this.room(2); this.buf.writeUInt16LE(num(v, sig), this.pos); this.pos += 2; return;
      case "i": this.room(4); this.buf.writeInt32LE(num(v, sig), this.pos); this.pos += 4; return;
      case "u": case "h": this.u32(num(v, sig)); return;
      case "x": this.room(8); this.buf.writeBigInt64LE(big(v, sig), this.pos); this.pos += 8; return;
      case "t": this.room(8); this.buf.writeBigUInt64LE(big(v, sig), this.pos); this.pos += 8; return;
      case "d": this.room(8); this.buf.writeDoubleLE(num(v, sig), this.pos); this.pos += 8; return;
      case "s": case "o": {
        const b = Buffer.from(str(v, sig));
        if (c === "o" && !/^\/$|^(\/[A-Za-z0-9_]+)+$/.test(b.toString())) throw new Error(`invalid object path ${JSON.stringify(v)}`);
        this.u32(b.length);
        this.raw(b);
        this.raw(Buffer.of(0));
        return;
      }
      case "g": {
        const b = Buffer.from(str(v, sig));
        if (b.length > 255) throw new Error(`signature longer than 255 bytes: ${JSON.stringify(v)}`);
        this.raw(Buffer.of(b.length));
        this.raw(b);
        this.raw(Buffer.of(0));
        return;
      }
      case "v": {
        if (!(v instanceof Variant)) return fail(sig, v);
        if (typeEnd(v.signature, 0) !== v.signature.length) throw new Error(`a variant holds one complete type, not ${JSON.stringify(v.signature)}`);
        this.write("g", v.signature);
        this.write(v.signature, v.value);
        return;
      }
      case "a": return this.array(sig.slice(1), v);
      case "(": {
        if (!Array.isArray(v)) return fail(sig, v);
        const fields = splitSignature(sig.slice(1, -1));
        if (fields.length !== v.length) throw new Error(`struct ${sig} needs ${fields.length} fields, got ${v.length}`);
        fields.forEach((f, i) => this.write(f, v[i]));
        return;
      }
      default: throw new Error(`cannot marshal type ${JSON.stringify(sig)}`);
    }
  }

  // the length counts the element bytes only: not the padding between it and the first element,
  // which is there even when the array is empty (spec: "Marshaling containers")
  private array(elem: string, v: DBusValue): void {
    if (!Array.isArray(v)) return fail("a" + elem, v);
    this.u32(0);
    const lenAt = this.pos - 4;
    this.align(ALIGN[elem[0]] ?? 1);
    const start = this.pos;
    if (elem[0] === "{") {
      const [k, val] = splitSignature(elem.slice(1, -1));
      for (const e of v) {
        if (!Array.isArray(e) || e.length !== 2) return fail(`a${elem} entry`, e);
        this.align(8);
        this.write(k, e[0]);
        this.write(val, e[1]);
      }
    } else {
      for (const e of v) this.write(elem, e);
    }
    const len = this.pos - start;
    if (len > 64 * 1024 * 1024) throw new Error("array longer than 64 MiB");
    this.buf.writeUInt32LE(len, lenAt);
  }

  private u32(n: number): void { this.room(4); this.buf.writeUInt32LE(n, this.pos); this.pos += 4; }
  private raw(b: Buffer): void { this.room(b.length); b.copy(this.buf, this.pos); this.pos += b.length; }
}

function fail(sig: string, v: unknown): never {
  throw new Error(`cannot marshal ${JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x))} as ${sig}`);
}
function num(v: DBusValue, sig: string): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  return fail(sig, v);
}
function big(v: DBusValue, sig: string): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return fail(sig, v);
}
function str(v: DBusValue, sig: string): string {
  if (typeof v !== "string" || v.includes("\0")) return fail(sig, v);
  return v;
}

export class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer, private readonly little = true, pos = 0) { this.pos = pos; }

  align(n: number): void {
    this.pos += (n - (this.pos % n)) % n;
    this.need(0);
  }

  read(sig: string): DBusValue {
    const c = sig[0];
    this.align(ALIGN[c] ?? 1);
    const b = this.buf, p = this.pos, le = this.little;
    switch (c) {
      case "y": this.need(1); this.pos += 1; return b.readUInt8(p);
      case "b": {
        const n = this.u32();
        if (n > 1) throw new Error(`invalid boolean ${n} at ${p}`);
        return n === 1;
      }
      case "n": this.need(2); this.pos += 2; return le ? b.readInt16LE(p) : b.readInt16BE(p);
      case "q": this.need(2); this.pos += 2; return le ? b.readUInt16LE(p) : b.readUInt16BE(p);
      case "i": this.need(4); this.pos += 4; return le ? b.readInt32LE(p) : b.readInt32BE(p);
      case "u": case "h": return this.u32();
      case "x": this.need(8); this.pos += 8; return le ? b.readBigInt64LE(p) : b.readBigInt64BE(p);
      case "t": this.need(8); this.pos += 8; return le ? b.readBigUInt64LE(p) : b.readBigUInt64BE(p);
      case "d": this.need(8); this.pos += 8; return le ? b.readDoubleLE(p) : b.readDoubleBE(p);
      case "s": case "o": return this.text(this.u32());
      case "g": { this.need(1); const n = b.readUInt8(this.pos); this.pos += 1; return this.text(n); }
      case "v": {
        const s = this.read("g") as string;
        if (typeEnd(s, 0) !== s.length) throw new Error(`variant signature ${JSON.stringify(s)} is not one complete type`);
        return new Variant(s, this.read(s));
      }
      case "a": {
        const len = this.u32(), elem = sig.slice(1);
        if (len > 64 * 1024 * 1024) throw new Error(`array length ${len} exceeds 64 MiB`);
        this.align(ALIGN[elem[0]] ?? 1);
        const end = this.pos + len;
        this.need(len);
        const out: DBusValue[] = [];
        const kv = elem[0] === "{" ? splitSignature(elem.slice(1, -1)) : undefined;
        while (this.pos < end) {
          if (kv) { this.align(8); out.push([this.read(kv[0]), this.read(kv[1])]); } else out.push(this.read(elem));
        }
        if (this.pos !== end) throw new Error(`array elements overrun its length ${len}`);
        return out;
      }
      case "(": return splitSignature(sig.slice(1, -1)).map((f) => this.read(f));
      default: throw new Error(`cannot unmarshal type ${JSON.stringify(sig)}`);
    }
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`message truncated: need ${n} bytes at ${this.pos}, have ${this.buf.length - this.pos}`);
  }
  private u32(): number {
    this.need(4);
    const v = this.little ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  private text(n: number): string {
    this.need(n + 1);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    if (this.buf[this.pos + n] !== 0) throw new Error(`string at ${this.pos} is not NUL-terminated`);
    this.pos += n + 1;
    return s;
  }
}

/** values of every type in `sig`, in order */
export function marshal(sig: string, values: DBusValue[]): Buffer {
  const w = new Writer();
  const types = splitSignature(sig);
  if (types.length !== values.length) throw new Error(`signature ${JSON.stringify(sig)} needs ${types.length} values, got ${values.length}`);
  types.forEach((t, i) => w.write(t, values[i]));
  return w.bytes();
}

export function unmarshal(sig: string, buf: Buffer, little = true): DBusValue[] {
  const r = new Reader(buf, little);
  const out = splitSignature(sig).map((t) => r.read(t));
  if (r.pos !== buf.length) throw new Error(`${buf.length - r.pos} bytes left after ${JSON.stringify(sig)}`);
  return out;
}
