// Schema validation of config.json against schema/*.json, through the validator that
// schema/compile.ts generated ahead of time (no ajv at run time). ajv's own messages
// ("must NOT have fewer than 1 items") read like a schema debugger; these read like the fix.
import { validateConfig, patternHints, type ValidationError } from "./generated/validate-config";
import { pointerToken } from "./validate";

/** Every schema violation in `config`, each as `<json pointer>: <what is wrong / how to fix it>`. */
export function validateSchema(config: unknown): string[] {
  if (validateConfig(config)) return [];
  const out = new Set<string>();
  for (const e of simplify(validateConfig.errors ?? [])) out.add(describe(e));
  return [...out];
}

function display(pointer: string): string {
  return pointer === "" ? "/" : pointer;
}

const ARTICLE: Record<string, string> = {
  integer: "an integer",
  number: "a number",
  string: "a string",
  boolean: "a boolean (true or false)",
  array: "an array",
  object: "an object",
  null: "null",
};

function typeList(t: unknown): string {
  const names = Array.isArray(t) ? t.map(String) : String(t).split(",");
  return names.map((n) => ARTICLE[n] ?? n).join(" or ");
}

function showValue(v: unknown): string {
  return typeof v === "string" && v !== "" ? v : JSON.stringify(v);
}

function describe(e: ValidationError): string {
  const p = e.params;
  switch (e.keyword) {
    case "required":
      return `${e.instancePath}/${pointerToken(String(p.missingProperty))}: is required`;
    case "type":
      return `${display(e.instancePath)}: must be ${typeList(p.type)}`;
    case "minItems": {
      const n = Number(p.limit);
      return `${display(e.instancePath)}: must have at least ${n} item${n === 1 ? "" : "s"}`;
    }
    case "maxItems": {
      const n = Number(p.limit);
      return `${display(e.instancePath)}: must have at most ${n} item${n === 1 ? "" : "s"}`;
    }
    case "enum":
      return `${display(e.instancePath)}: must be one of ${(p.allowedValues as unknown[]).map(showValue).join(", ")}`;
    case "const":
      return `${display(e.instancePath)}: must be ${showValue(p.allowedValue)}`;
    case "minimum":
      return Number(p.limit) === 0
        ? `${display(e.instancePath)}: must not be negative`
        : `${display(e.instancePath)}: must be at least ${p.limit}`;
    case "maximum":
      return `${display(e.instancePath)}: must be at most ${p.limit}`;
    case "pattern":
      return `${display(e.instancePath)}: ${patternHints[String(p.pattern)] ?? `must match ${p.pattern}`}`;
    case "oneOf-required":
      return `${display(e.instancePath)}: must have one of ${(p.names as string[]).join(", ")}`;
    case "anyOf-required":
      return `${display(e.instancePath)}: must have at least one of ${(p.names as string[]).join(", ")}`;
    case "anyOf-type":
      return `${display(e.instancePath)}: must be ${(p.types as string[]).map(typeList).join(" or ")}`;
    default:
      return `${display(e.instancePath)}: ${e.message ?? e.keyword}`;
  }
}

/**
 * Removes the noise that combinators add. ajv reports an anyOf/oneOf failure as every failing
 * branch's errors followed by a summary error; people need one line. `if` errors only repeat
 * that the `then`/`else` branch failed, whose own errors are already in the list.
 */
function simplify(errors: ValidationError[]): ValidationError[] {
  const out: ValidationError[] = [];
  for (const e of errors) {
    if (e.keyword === "if") continue;
    if (e.keyword !== "anyOf" && e.keyword !== "oneOf") {
      out.push(e);
      continue;
    }
    const prefix = e.schemaPath + "/";
    const branch = (x: ValidationError) => x.schemaPath.startsWith(prefix) && x.instancePath.startsWith(e.instancePath);
    const mine = out.filter(branch);
    if (mine.length === 0) {
      // Both branches passed (oneOf) or no detail survived: keep ajv's summary.
      out.push(e);
      continue;
    }
    for (let i = out.length - 1; i >= 0; i--) if (branch(out[i]!)) out.splice(i, 1);
    const here = (x: ValidationError) => x.instancePath === e.instancePath;
    if (mine.every((x) => x.keyword === "required" && here(x))) {
      const names = mine.map((x) => String(x.params.missingProperty));
      out.push({ ...e, keyword: `${e.keyword}-required`, params: { names } });
    } else if (mine.every((x) => x.keyword === "type" && here(x))) {
      out.push({ ...e, keyword: "anyOf-type", params: { types: mine.map((x) => x.params.type) } });
    } else {
      // The value has the right type for some branch: that branch's deeper errors are the useful ones.
      out.push(...mine.filter((x) => !(x.keyword === "type" && here(x))));
    }
  }
  return out;
}
