// TAP 13 output, the per-area summary, the JSON report and the baseline comparison.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Requirement, Verdict, SpecFile } from "./case";

export interface Result extends Requirement { n: number; status: Verdict["status"]; detail?: string; case: string; ms: number }

export function tapLine(r: Result): string {
  const desc = `${r.spec}#${r.section}: ${r.text} [${r.id}]`.replace(/#(?= )/g, "\\#");
  const head = `${r.status === "fail" ? "not ok" : "ok"} ${r.n} - ${desc}`;
  if (r.status === "skip") return `${head} # SKIP ${oneLine(r.detail ?? "")}`;
  if (r.status === "fail") return `${head}\n  ---\n  message: ${JSON.stringify(oneLine(r.detail ?? "no detail"))}\n  case: ${r.case}\n  ...`;
  return head;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " | ").slice(0, 600);
}

export interface Counts { total: number; pass: number; fail: number; skip: number }

export function count(rs: Result[]): Counts {
  return {
    total: rs.length,
    pass: rs.filter((r) => r.status === "pass").length,
    fail: rs.filter((r) => r.status === "fail").length,
    skip: rs.filter((r) => r.status === "skip").length,
  };
}

export function summaryByArea(rs: Result[]): Record<SpecFile, Counts> {
  const out = {} as Record<SpecFile, Counts>;
  for (const spec of [...new Set(rs.map((r) => r.spec))]) out[spec] = count(rs.filter((r) => r.spec === spec));
  return out;
}

/** the summary table as TAP comments: passes over testable (non-skipped) requirements per spec file */
export function summaryLines(rs: Result[]): string[] {
  const lines = ["# summary by spec file (passed/tested; skipped are not tested on this host)"];
  for (const [spec, c] of Object.entries(summaryByArea(rs))) {
    lines.push(`# ${spec}: ${c.pass}/${c.total - c.skip} passed, ${c.fail} failed, ${c.skip} skipped`);
  }
  return lines;
}

export function writeJson(file: string, meta: Record<string, unknown>, rs: Result[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const report = { ...meta, counts: count(rs), bySpec: summaryByArea(rs), results: rs };
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
}

export function readBaseline(file: string): string[] {
  return fs.readFileSync(file, "utf8").split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
}

/** baselined ids that no longer pass (failed, skipped or gone), and passes not yet baselined */
export function compareBaseline(base: string[], rs: Result[]): { regressions: string[]; newPasses: string[] } {
  const byId = new Map(rs.map((r) => [r.id, r]));
  const regressions = base.filter((id) => byId.get(id)?.status !== "pass");
  const set = new Set(base);
  const newPasses = rs.filter((r) => r.status === "pass" && !set.has(r.id)).map((r) => r.id);
  return { regressions, newPasses };
}
