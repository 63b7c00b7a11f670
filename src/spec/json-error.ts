// Where a JSON text is malformed. JSON.parse in Bun (JavaScriptCore) says what it disliked but
// not where, and a person fixing config.json by hand needs the line and column. This scanner
// runs only after JSON.parse has failed, so it favours small over fast.

export interface JsonErrorPosition {
  line: number;
  column: number;
  reason: string;
}

class Stop extends Error {
  constructor(readonly at: number, readonly reason: string) {
    super(reason);
  }
}

const MAX_DEPTH = 5000;

/** The first syntax error in `text` (RFC 8259), or null when it is well-formed. */
export function locateJsonError(text: string): JsonErrorPosition | null {
  let i = 0;
  const peek = () => text[i];
  const what = (c: string | undefined) =>
    c === undefined ? "end of file" : /[\x00-\x1f]/.test(c) ? `control character U+${c.charCodeAt(0).toString(16).padStart(4, "0")}` : JSON.stringify(c);
  const fail = (reason: string): never => {
    throw new Stop(i, reason);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const expect = (c: string, where: string) => {
    if (peek() !== c) fail(`expected ${JSON.stringify(c)} ${where}, found ${what(peek())}`);
    i++;
  };

  const string = () => {
    i++; // opening quote
    for (;;) {
      const c = peek();
      if (c === undefined) fail("unterminated string");
      if (c === '"') return void i++;
      if (c! < " ") fail(`${what(c)} inside a string: escape it`);
      if (c === "\\") {
        i++;
        const e = peek();
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail("invalid \\u escape: needs 4 hex digits");
          i += 5;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail(`invalid escape \\${e ?? ""}`);
      }
      i++;
    }
  };

  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === "-") fail(`invalid number starting with ${what(peek())}`);
    i += m![0].length;
  };

  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) fail("nested too deeply");
    ws();
    const c = peek();
    if (c === "{") {
      i++;
      ws();
      if (peek() === "}") return void i++;
      for (;;) {
        ws();
        if (peek() !== '"') fail(`expected a property name in double quotes, found ${what(peek())}`);
        string();
        ws();
        expect(":", "after a property name");
        value(depth + 1);
        ws();
        if (peek() === ",") {
          i++;
          continue;
        }
        if (peek() === "}") return void i++;
        fail(`expected "," or "}" after a property value, found ${what(peek())}`);
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (peek() === "]") return void i++;
      for (;;) {
        value(depth + 1);
        ws();
        if (peek() === ",") {
          i++;
          continue;
        }
        if (peek() === "]") return void i++;
        fail(`expected "," or "]" after an array item, found ${what(peek())}`);
      }
    }
    if (c === '"') return string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return number();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail(`unexpected ${what(c)}`);
  };

  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${what(peek())} after the end of the document`);
    return null;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.at);
    const line = before.split("\n").length;
    const column = e.at - (before.lastIndexOf("\n") + 1) + 1;
    return { line, column, reason: e.reason };
  }
}
