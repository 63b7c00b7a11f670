// The markdown report: medians per runtime, tsrunc's ratios, memory, the --debug timeline, notes.
import * as fs from "node:fs";
import * as path from "node:path";
import { Results, TIME_METRICS, MEM_METRICS, median, percentile, type MetricDef } from "./results";

export interface TimelineStep {
  step: string;
  ms: number;
  at: number;
}

export interface ReportInput {
  date: string;
  runtimes: string[];
  n: number;
  memN: number;
  warmup: number;
  res: Results;
  facts: Record<string, string>;
  versions: Record<string, string>;
  floorFlags: string[];
  execBroken: Map<string, string>;
  timeline?: { wallMs: number; medianMs: number; steps: TimelineStep[]; raw: string[] };
  contention: string[];
  notes: string[];
  elapsedS: number;
}

function fmt(v: number, unit: MetricDef["unit"]): string {
  if (!Number.isFinite(v)) return "";
  if (unit === "MiB") return (v / 1024).toFixed(1);
  if (unit === "c/s") return v.toFixed(0);
  return v < 10 ? v.toFixed(2) : v.toFixed(1);
}

function cell(inp: ReportInput, m: MetricDef, rt: string): string {
  const s = inp.res.get(m.key, rt);
  const f = inp.res.failures(m.key, rt);
  if (!s.length) {
    if ((m.key === "exec" || m.key === "rss-exec") && inp.execBroken.has(rt)) return "n/a";
    return f.length ? "fail" : "";
  }
  return fmt(median(s), m.unit) + (f.length ? ` (${f.length} failed)` : "");
}

function ratio(inp: ReportInput, m: MetricDef, other: string): string {
  const a = inp.res.median(m.key, "tsrunc");
  const b = inp.res.median(m.key, other);
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "";
  return `${(a / b).toFixed(2)}×`;
}

function table(inp: ReportInput, metrics: MetricDef[]): string[] {
  const others = inp.runtimes.includes("tsrunc") ? inp.runtimes.filter((r) => r !== "tsrunc") : [];
  const head = ["measurement (median)", ...inp.runtimes, ...others.map((o) => `tsrunc/${o}`)];
  const out = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i ? "---:" : "---")).join("|")}|`];
  const row = (cells: string[]) => out.push(`| ${cells.join(" | ")} |`);
  /** a row with one value, under tsrunc (the floor is Bun's, tsrunc's engine) */
  const tcol = Math.max(0, inp.runtimes.indexOf("tsrunc"));
  const blank = (v: string) => head.slice(1).map((_, i) => (i === tcol ? v : ""));
  for (const m of metrics) {
    const isExec = m.key === "exec" || m.key === "rss-exec";
    if (!inp.runtimes.some((rt) => inp.res.get(m.key, rt).length || inp.res.failures(m.key, rt).length)) {
      if (!isExec || !inp.execBroken.size || !inp.res.samples.has(m.key)) continue;
    }
    const unit = m.unit === "c/s" ? "containers/s, higher is better" : m.unit;
    row([`${m.label} (${unit})`, ...inp.runtimes.map((rt) => cell(inp, m, rt)), ...others.map((o) => ratio(inp, m, o))]);
    const floor = inp.res.get(m.key, "floor");
    if (floor.length) {
      row([`engine floor: empty Bun program, same build flags (${m.unit})`, ...blank(fmt(median(floor), m.unit))]);
      const t = inp.res.median(m.key, "tsrunc");
      if (Number.isFinite(t)) row([`tsrunc above the floor (${m.unit})`, ...blank(fmt(t - median(floor), m.unit))]);
    }
  }
  return out;
}

function spread(inp: ReportInput): string[] {
  const out = ["| measurement | runtime | n | min | p10 | median | p90 | max |", "|---|---|---:|---:|---:|---:|---:|---:|"];
  for (const m of [...TIME_METRICS, ...MEM_METRICS]) {
    for (const rt of [...inp.runtimes, "floor"]) {
      const s = inp.res.get(m.key, rt);
      if (!s.length) continue;
      const f = (v: number) => fmt(v, m.unit);
      out.push(`| ${m.label} (${m.unit}) | ${rt} | ${s.length} | ${f(Math.min(...s))} | ${f(percentile(s, 10))} | ${f(median(s))} | ${f(percentile(s, 90))} | ${f(Math.max(...s))} |`);
    }
  }
  return out;
}

export function parseTimeline(lines: string[]): TimelineStep[] {
  const steps: TimelineStep[] = [];
  for (const l of lines) {
    const m = l.match(/timing (.+?): ([\d.]+) ms \(at ([\d.]+) ms\)/);
    if (m) steps.push({ step: m[1], ms: Number(m[2]), at: Number(m[3]) });
  }
  return steps;
}

export function renderReport(inp: ReportInput): string {
  const o: string[] = [];
  o.push(`## \`make bench\` ${inp.date}`, "");
  o.push(`Runtimes called alternately (${inp.runtimes.join(", ")}, ${inp.runtimes.join(", ")}, …) in one run: N = ${inp.n} samples of each timing per runtime`
    + ` (after ${inp.warmup} discarded warm-up round${inp.warmup === 1 ? "" : "s"}), ${inp.memN} of each peak RSS; ${inp.elapsedS.toFixed(0)} s in all.`, "");
  o.push("| machine | |", "|---|---|");
  for (const [k, v] of Object.entries(inp.facts)) o.push(`| ${k} | ${v} |`);
  for (const rt of inp.runtimes) o.push(`| ${rt} | ${inp.versions[rt] ?? "?"} |`);
  o.push(`| contention | ${inp.contention.join("; ") || "none seen"} |`, "");
  o.push("### Time", "", ...table(inp, TIME_METRICS), "");
  o.push("### Memory", "", ...table(inp, MEM_METRICS), "");
  if (inp.timeline) {
    const t = inp.timeline;
    o.push("### Where `tsrunc run /bin/true` spends its time", "");
    o.push(`\`tsrunc --debug --log FILE run\`, the one of ${t.raw.length ? "several" : "the"} debug runs nearest the median `
      + `(${fmt(t.wallMs, "ms")} ms wall with logging on; median without: ${fmt(t.medianMs, "ms")} ms):`, "");
    if (t.steps.length) {
      o.push("| step | ms | at ms |", "|---|---:|---:|");
      for (const s of t.steps) o.push(`| ${s.step} | ${s.ms.toFixed(2)} | ${s.at.toFixed(2)} |`);
      const end = Math.max(...t.steps.map((s) => s.at));
      o.push(`| (unmarked: spawn and anything before the engine's clock starts, e.g. a re-exec; exit after the last mark) | ${(t.wallMs - end).toFixed(2)} | ${t.wallMs.toFixed(2)} |`);
      if (t.steps.some((s, i) => i > 0 && s.at < t.steps[i - 1].at)) {
        o.push("", "Steps are listed as tsrunc logged them; where an `at` goes backwards, the init's marks were relayed to the log after the parent's, so a step's ms spans work of both processes.");
      }
    } else o.push("(no `timing` lines in the log)", "", "```", ...t.raw.slice(0, 40), "```");
    o.push("");
  }
  o.push("### How it was measured", "");
  o.push(
    "- Each runtime has its own bundles (made from one runtime-neutral config: runc 1.1's `runc spec` with terminal false, a read-only root, no seccomp, no cgroupsPath) on one shared busybox rootfs; `--root` state is on a tmpfs.",
    "- Times are wall clock around each spawned call, from Bun's posix_spawn to the child's exit; the same spawn overhead is in every column.",
    "- `create` runs `/bin/sleep 1000` (so `exec` and `kill` find it running); state is timed between create and start, and the waiting init's RSS/PSS is read from `/proc/<pid>/smaps_rollup` of the pid `state` gives.",
    "- Wait until stopped polls `/proc/<pid>/stat` every ~0.3 ms (no runtime call). `start → first output byte`: the container runs `echo x` with its stdout on a pipe the bench reads; measured from start's spawn to the byte.",
    "- The cycle is create + start + wait + delete of `/bin/true`; the parallel rows start 20 `create` (then 20 `delete --force`) at once.",
    "- Peak RSS is wait4's ru_maxrss via `/usr/bin/time -f %M`, in a separate pass (the wrapper costs ~1 ms, kept out of the timings). Bun's own `resourceUsage().maxRSS` is not used: Bun spawns with vfork, so every child reports Bun's own ~15 MiB high-water mark.",
    "- RSS counts the pages of the executable that the call mapped, and for a 100+ MiB Bun binary that depends on the page cache (its folio sizes, fault-around): the same tsrunc binary measured 15-16 MiB for `--version` freshly copied and 22 MiB after many runs. Compare within one run; the anonymous row (smaps_rollup `Anonymous`) of the waiting init does not depend on it.",
    ...(inp.floorFlags.length ? [`- Engine floor: \`export {}\` compiled with \`${["bun build", ...inp.floorFlags].join(" ")}\`, the Makefile's flags.`] : []),
    "",
  );
  const notes = [...inp.notes];
  for (const [rt, why] of inp.execBroken) notes.push(`${rt}: exec n/a (${why})`);
  for (const [metric, m] of inp.res.fails) {
    for (const [rt, msgs] of m) {
      const counts = new Map<string, number>();
      // one line per kind of failure: container ids, counts and log timestamps vary between samples
      const norm = (x: string) => x.replace(/tsbench-[0-9a-f]+-[\w.-]+?-\w+-\d+/g, "<id>").replace(/time="[^"]*" /g, "").replace(/^\d+\/(\d+) failed/, "some of $1 failed");
      for (const x of msgs.map(norm)) counts.set(x, (counts.get(x) ?? 0) + 1);
      for (const [msg, c] of counts) notes.push(`${rt} ${metric}: ${c}× ${msg}`);
    }
  }
  if (notes.length) o.push("### Notes", "", ...notes.map((n) => `- ${n}`), "");
  o.push("<details><summary>Spread of every measurement</summary>", "", ...spread(inp), "", "</details>", "");
  return o.join("\n");
}

const BEGIN = "<!-- make bench: begin (generated; text outside these markers is kept) -->";
const END = "<!-- make bench: end -->";

/** writes the report between markers, keeping whatever else the file holds (hand-written findings) */
export function writeReport(file: string, body: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const block = `${BEGIN}\n${body}\n${END}\n`;
  let text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + END.length).replace(/^\n/, "");
  else text = text ? `${text.replace(/\n*$/, "\n\n")}${block}` : `# \`make bench\` results\n\n${block}`;
  fs.writeFileSync(file, text);
}
