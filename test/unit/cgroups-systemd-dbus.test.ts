// The D-Bus client of the systemd cgroup driver: marshalling (alignment, containers, variants),
// message framing, and the connection's authentication, calls and signals against a scripted peer.
import { describe, expect, test } from "bun:test";
import { Connection, DBusError, parseAddress, type Transport } from "../../src/linux/cgroups/systemd/dbus";
import { decodeMessage, encodeMessage, messageLength, type Message } from "../../src/linux/cgroups/systemd/message";
import { ERROR, marshal, METHOD_CALL, METHOD_RETURN, SIGNAL, splitSignature, unmarshal, Variant, type DBusValue } from "../../src/linux/cgroups/systemd/wire";

const hex = (b: Buffer) => b.toString("hex");
const roundTrip = (sig: string, values: DBusValue[]) => expect(unmarshal(sig, marshal(sig, values))).toEqual(values);

describe("marshalling", () => {
  test("basic types round-trip, each at its own alignment", () => {
    roundTrip("ybnqiuxtds", [255, true, -2, 65535, -5, 4294967295, -9n, 18446744073709551615n, 1.5, "héllo"]);
    roundTrip("og", ["/org/freedesktop/systemd1/unit/a_2escope", "a(sv)"]);
  });

  test("padding is zero bytes up to the next type's alignment, counted from the message start", () => {
    // y at 0, then t aligned to 8: seven zero bytes
    expect(hex(marshal("yt", [1, 2n]))).toBe("01" + "00".repeat(7) + "0200000000000000");
    // a string: u32 length, bytes, NUL; then u32 aligned to 4
    expect(hex(marshal("su", ["ab", 7]))).toBe("02000000" + "616200" + "00" + "07000000");
    // a signature: one length byte, no alignment
    expect(hex(marshal("yg", [1, "as"]))).toBe("01" + "02" + "617300");
  });

  test("a variant is its signature then its value, aligned for the value", () => {
    expect(hex(marshal("v", [new Variant("u", 5)]))).toBe("01" + "7500" + "00" + "05000000");
    roundTrip("v", [new Variant("a(ss)", [["char-pts", "rwm"], ["/dev/char/1:3", "rw"]])]);
  });

  test("an array's length excludes the padding before its first element, which is there even when empty", () => {
    // u32 length 0, then padding to 8 for the (st) structs
    expect(hex(marshal("a(st)", [[]]))).toBe("00000000" + "00000000");
    // at offset 4 the padding is already right: no extra bytes
    expect(hex(marshal("ua(st)", [1, []]))).toBe("01000000" + "00000000");
    const b = marshal("a(st)", [[["a", 1n]]]);
    expect(b.readUInt32LE(0)).toBe(b.length - 8);
    roundTrip("au", [[1, 2, 3]]);
    roundTrip("au", [[]]);
  });

  test("a{sv}, a(sv) and arrays of structs holding arrays (StartTransientUnit's ssa(sv)a(sa(sv)))", () => {
    const props = [["Description", new Variant("s", "x")], ["PIDs", new Variant("au", [42])], ["Delegate", new Variant("b", true)], ["MemoryLimit", new Variant("t", 1n << 30n)]];
    roundTrip("ssa(sv)a(sa(sv))", ["tsrunc-a.scope", "replace", props, []]);
    roundTrip("ssa(sv)a(sa(sv))", ["u", "replace", [], [["aux.service", props]]]);
    roundTrip("a{sv}", [[["ActiveState", new Variant("s", "active")], ["Job", new Variant("(uo)", [0, "/"])]]]);
    roundTrip("a{sa{sv}}", [[["k", [["inner", new Variant("ay", [1, 2])]]]]]);
  });

  test("dict entries are 8-aligned inside their array", () => {
    const b = marshal("a{yy}", [[[1, 2], [3, 4]]]);
    // length 10: entry 1 (2 bytes), padding to 8 (6 bytes), entry 2 (2 bytes)
    expect(hex(b)).toBe("0a000000" + "00000000" + "0102" + "00".repeat(6) + "0304");
  });

  test("signatures split into complete types; malformed ones are errors", () => {
    expect(splitSignature("ssa(sv)a(sa(sv))")).toEqual(["s", "s", "a(sv)", "a(sa(sv))"]);
    expect(splitSignature("a{sv}as")).toEqual(["a{sv}", "as"]);
    expect(() => splitSignature("a(sv")).toThrow(/unclosed/);
    expect(() => splitSignature("a{vs}")).toThrow(/dict entry/);
    expect(() => splitSignature("{ss}")).toThrow(/dict entry/);
    expect(() => splitSignature("()")).toThrow(/empty struct/);
    expect(() => splitSignature("z")).toThrow(/unknown type code/);
  });

  test("values of the wrong shape are refused, naming the type", () => {
    expect(() => marshal("u", ["x"])).toThrow(/as u/);
    expect(() => marshal("b", [1])).toThrow(/as b/);
    expect(() => marshal("o", ["not/a/path"])).toThrow(/object path/);
    expect(() => marshal("s", ["a\0b"])).toThrow(/as s/);
    expect(() => marshal("(su)", [["a"]])).toThrow(/needs 2 fields/);
    expect(() => marshal("v", [new Variant("ss", ["a", "b"])])).toThrow(/one complete type/);
    expect(() => marshal("ss", ["a"])).toThrow(/needs 2 values/);
  });

  test("reading checks lengths, NULs and booleans", () => {
    expect(() => unmarshal("s", Buffer.from("05000000616263", "hex"))).toThrow(/truncated/);
    expect(() => unmarshal("s", Buffer.from("020000006162ff", "hex"))).toThrow(/NUL/);
    expect(() => unmarshal("b", Buffer.from("02000000", "hex"))).toThrow(/boolean/);
    expect(() => unmarshal("u", Buffer.from("0100000000", "hex"))).toThrow(/left/);
  });

  test("big-endian input is read too", () => {
    expect(unmarshal("qu", Buffer.from("0102" + "0000" + "00000003", "hex"), false)).toEqual([0x0102, 3]);
  });
});

describe("messages", () => {
  const call: Message = { type: METHOD_CALL, flags: 0, serial: 7, path: "/org/freedesktop/systemd1", interface: "org.freedesktop.systemd1.Manager", member: "StopUnit", destination: "org.freedesktop.systemd1", signature: "ss", body: ["a.scope", "replace"] };

  test("encode → decode keeps every header field and the body", () => {
    const b = encodeMessage(call);
    expect(String.fromCharCode(b[0])).toBe("l");
    expect(b[3]).toBe(1); // protocol version
    expect(messageLength(b)).toBe(b.length);
    expect(decodeMessage(b)).toEqual(call);
  });

  test("the body starts 8-aligned after the header fields", () => {
    const b = encodeMessage({ ...call, signature: "u", body: [9] });
    expect(b.readUInt32LE(4)).toBe(4); // body length
    expect(b.subarray(b.length - 4).readUInt32LE(0)).toBe(9);
    expect((b.length - 4) % 8).toBe(0);
  });

  test("a message without a body has no signature field", () => {
    const b = encodeMessage({ type: METHOD_CALL, flags: 0, serial: 1, path: "/", interface: "a.b", member: "Hello", signature: "", body: [] });
    expect(decodeMessage(b)).toMatchObject({ member: "Hello", signature: "", body: [] });
    expect(b.readUInt32LE(4)).toBe(0);
  });

  test("length is known from the first 16 bytes; unknown header fields are skipped", () => {
    const b = encodeMessage(call);
    expect(messageLength(b.subarray(0, 15))).toBeUndefined();
    expect(messageLength(b.subarray(0, 16))).toBe(b.length);
    expect(() => decodeMessage(Buffer.from("x".repeat(16)))).toThrow(/endianness/);
    // a signal carrying UNIX_FDS (code 9), a field this client does not use
    const head = marshal("yyyyuua(yv)", ["l".charCodeAt(0), SIGNAL, 0, 1, 0, 3, [[9, new Variant("u", 0)], [3, new Variant("s", "Ping")]]]);
    const msg = Buffer.concat([head, Buffer.alloc((8 - (head.length % 8)) % 8)]);
    expect(decodeMessage(msg)).toMatchObject({ type: SIGNAL, serial: 3, member: "Ping", body: [] });
  });
});

/** a peer that answers each message the client sends with what `reply` returns */
function scriptedPeer(reply: (m: Message) => Message[]) {
  const written: Buffer[] = [];
  let pending = Buffer.alloc(0), authed = false, out = Buffer.alloc(0), closed = false;
  const t: Transport = {
    write(b) {
      written.push(b);
      pending = Buffer.concat([pending, b]);
      if (!authed) {
        const end = pending.indexOf("BEGIN\r\n");
        if (end < 0) return;
        authed = true;
        pending = pending.subarray(end + 7);
        out = Buffer.concat([out, Buffer.from("OK 0123456789abcdef0123456789abcdef\r\n")]);
      }
      for (let len = messageLength(pending); len !== undefined && pending.length >= len; len = messageLength(pending)) {
        const m = decodeMessage(pending.subarray(0, len));
        pending = pending.subarray(len);
        for (const r of reply(m)) out = Buffer.concat([out, encodeMessage(r)]);
      }
    },
    read() {
      // a few bytes at a time: messages and lines arrive split across reads
      const n = Math.min(out.length, 13);
      const b = out.subarray(0, n);
      out = out.subarray(n);
      return Buffer.from(b);
    },
    close() { closed = true; },
  };
  return { t, written, isClosed: () => closed };
}

const ret = (m: Message, signature: string, body: DBusValue[]): Message => ({ type: METHOD_RETURN, flags: 1, serial: 100 + m.serial, replySerial: m.serial, signature, body });
const signal = (member: string, signature: string, body: DBusValue[]): Message => ({ type: SIGNAL, flags: 1, serial: 999, path: "/org/freedesktop/systemd1", interface: "org.freedesktop.systemd1.Manager", member, signature, body });

describe("connection", () => {
  test("authenticates with EXTERNAL as the hex of the uid's digits, BEGIN in the same write", () => {
    const p = scriptedPeer(() => []);
    Connection.open(p.t, { direct: true, uid: 1000 });
    expect(p.written[0].toString()).toBe("\0AUTH EXTERNAL 31303030\r\nBEGIN\r\n");
  });

  test("says Hello on a message bus, not on a direct connection", () => {
    const members: string[] = [];
    const p = scriptedPeer((m) => { members.push(m.member!); return [ret(m, "s", [":1.5"])]; });
    Connection.open(p.t, { direct: false, uid: 0 });
    expect(members).toEqual(["Hello"]);
    const q = scriptedPeer((m) => { members.push(m.member!); return []; });
    Connection.open(q.t, { direct: true, uid: 0 });
    expect(members).toEqual(["Hello"]);
  });

  test("a refused authentication closes the transport and says why", () => {
    const t: Transport = { write() {}, read: () => Buffer.from("REJECTED EXTERNAL\r\n"), close() { closed = true; } };
    let closed = false;
    expect(() => Connection.open(t, { direct: true, uid: 0 })).toThrow(/refused: "REJECTED EXTERNAL"/);
    expect(closed).toBe(true);
  });

  test("a call returns its reply's body; signals that come first are kept for waitSignal", () => {
    const p = scriptedPeer((m) => m.member === "StartTransientUnit"
      ? [signal("UnitNew", "so", ["x.scope", "/"]), ret(m, "o", ["/org/freedesktop/systemd1/job/7"]), signal("JobRemoved", "uoss", [7, "/org/freedesktop/systemd1/job/7", "x.scope", "done"])]
      : []);
    const c = Connection.open(p.t, { direct: true, uid: 0 });
    const [job] = c.call({ path: "/org/freedesktop/systemd1", interface: "org.freedesktop.systemd1.Manager", member: "StartTransientUnit", signature: "ssa(sv)a(sa(sv))", body: ["x.scope", "replace", [], []] });
    expect(job).toBe("/org/freedesktop/systemd1/job/7");
    const s = c.waitSignal((m) => m.member === "JobRemoved" && m.body[1] === job, 1000, "the job");
    expect(s.body[3]).toBe("done");
  });

  test("an error reply throws DBusError with the error name", () => {
    const p = scriptedPeer((m) => [{ type: ERROR, flags: 1, serial: 5, replySerial: m.serial, errorName: "org.freedesktop.systemd1.NoSuchUnit", signature: "s", body: ["Unit x.scope not loaded."] }]);
    const c = Connection.open(p.t, { direct: true, uid: 0 });
    let err: unknown;
    try { c.call({ path: "/", interface: "a.b", member: "StopUnit" }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DBusError);
    expect((err as DBusError).errorName).toBe("org.freedesktop.systemd1.NoSuchUnit");
    expect((err as Error).message).toBe("org.freedesktop.systemd1.NoSuchUnit: Unit x.scope not loaded.");
  });

  test("a peer that never answers times out instead of hanging", () => {
    const p = scriptedPeer(() => []);
    const c = Connection.open(p.t, { direct: true, uid: 0 });
    expect(() => c.call({ path: "/", interface: "a.b", member: "Slow" }, 30)).toThrow(/timed out waiting for the reply to a.b.Slow/);
    expect(() => c.waitSignal(() => true, 30, "a signal")).toThrow(/timed out waiting for a signal/);
  });
});

describe("addresses", () => {
  test("unix:path entries, with %-escapes; systemd's private socket is a direct connection", () => {
    expect(parseAddress("unix:path=/run/dbus/system_bus_socket,guid=abc")).toEqual([{ path: "/run/dbus/system_bus_socket", direct: false }]);
    expect(parseAddress("unix:path=/run/systemd/private")).toEqual([{ path: "/run/systemd/private", direct: true }]);
    expect(parseAddress("tcp:host=x;unix:path=/a%20b")).toEqual([{ path: "/a b", direct: false }]);
    expect(() => parseAddress("unix:abstract=/tmp/x")).toThrow(/no unix:path= entry/);
  });
});
