// D-Bus message framing (spec: "Message Format"): a fixed 12-byte start, the header fields as
// a(yv), padding to 8, then the body. Pure functions; the connection (dbus.ts) moves the bytes.
import { marshal, Reader, splitSignature, unmarshal, Variant, Writer, type DBusValue } from "./wire";

export interface Message {
  type: number;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  body: DBusValue[];
}

// header field codes and the one type each must carry (spec: "Header Fields")
const FIELDS: [keyof Message, number, string][] = [
  ["path", 1, "o"], ["interface", 2, "s"], ["member", 3, "s"], ["errorName", 4, "s"],
  ["replySerial", 5, "u"], ["destination", 6, "s"], ["sender", 7, "s"], ["signature", 8, "g"],
];
const PROTOCOL_VERSION = 1;
/** the spec's maximum message size: 128 MiB */
const MAX_MESSAGE = 128 * 1024 * 1024;

export function encodeMessage(m: Message): Buffer {
  const body = m.signature ? marshal(m.signature, m.body) : Buffer.alloc(0);
  const fields: DBusValue[] = [];
  for (const [key, code, sig] of FIELDS) {
    const v = m[key];
    if (v === undefined || (key === "signature" && v === "")) continue;
    fields.push([code, new Variant(sig, v as DBusValue)]);
  }
  const w = new Writer();
  for (const [sig, v] of [["y", "l".charCodeAt(0)], ["y", m.type], ["y", m.flags], ["y", PROTOCOL_VERSION], ["u", body.length], ["u", m.serial], ["a(yv)", fields]] as [string, DBusValue][]) {
    w.write(sig, v);
  }
  w.align(8);
  return Buffer.concat([w.bytes(), body]);
}

/** the whole message's length once its first 16 bytes are in, or undefined before that */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < 16) return undefined;
  const little = endianness(buf);
  const bodyLen = little ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
  const fieldsLen = little ? buf.readUInt32LE(12) : buf.readUInt32BE(12);
  const total = Math.ceil((16 + fieldsLen) / 8) * 8 + bodyLen;
  if (total > MAX_MESSAGE) throw new Error(`D-Bus message of ${total} bytes exceeds the 128 MiB limit`);
  return total;
}

function endianness(buf: Buffer): boolean {
  const e = String.fromCharCode(buf[0]);
  if (e !== "l" && e !== "B") throw new Error(`not a D-Bus message: endianness byte ${JSON.stringify(e)}`);
  return e === "l";
}

export function decodeMessage(buf: Buffer): Message {
  const little = endianness(buf);
  const r = new Reader(buf, little, 1);
  const type = r.read("y") as number, flags = r.read("y") as number, version = r.read("y") as number;
  if (version !== PROTOCOL_VERSION) throw new Error(`D-Bus protocol version ${version} (only 1 is defined)`);
  const bodyLen = r.read("u") as number, serial = r.read("u") as number;
  const m: Message = { type, flags, serial, signature: "", body: [] };
  for (const f of r.read("a(yv)") as [number, Variant][]) {
    const known = FIELDS.find(([, code]) => code === f[0]);
    // unknown header fields must be ignored (spec), e.g. UNIX_FDS or newer ones
    if (!known) continue;
    if (f[1].signature !== known[2]) throw new Error(`header field ${known[0]} has type ${f[1].signature}, not ${known[2]}`);
    (m as unknown as Record<string, DBusValue>)[known[0]] = f[1].value;
  }
  r.align(8);
  const body = buf.subarray(r.pos, r.pos + bodyLen);
  if (body.length !== bodyLen) throw new Error(`D-Bus message body truncated: ${body.length} of ${bodyLen} bytes`);
  m.body = m.signature ? unmarshal(m.signature, body, little) : [];
  if (!m.signature && bodyLen > 0) throw new Error(`D-Bus message has a ${bodyLen}-byte body but no signature`);
  splitSignature(m.signature);
  return m;
}
