// Summarises a .cpuprofile written by `node --cpu-prof`: self time by package or area, by Postroom
// file, the hottest functions (file:line), and the inclusive time of Postroom's own functions. Not a benchmark.
//
// Usage: node --import tsx bench/cpuprofile.ts FILE.cpuprofile [--top 25] [--from US --to US]
// (--from/--to: only the samples in that window, on the profile's clock — the machine's monotonic
// clock in µs, process.hrtime.bigint() / 1000n; bench/throughput.ts prints it for a drain.)
// Code compiled to dist/ is named by its src/ file and line, through dist's source maps.
import fs from 'node:fs';
import path from 'node:path';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const maps = new Map<string, { map: SourceMap; dir: string } | null>();

/** A dist/ file's position as its src/ file and line (1-based), when a source map says so. */
function original(url: string, line: number, column: number): { file: string; line: number } | null {
  if (!url.startsWith('file://') || !url.includes('/dist/')) return null;
  const file = fileURLToPath(url);
  let entry = maps.get(file);
  if (entry === undefined) {
    try {
      entry = { map: new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'))), dir: path.dirname(file) };
    } catch {
      entry = null;
    }
    maps.set(file, entry);
  }
  const found = entry?.map.findEntry(line, column) as { originalSource?: string; originalLine?: number } | undefined;
  if (!entry || !found?.originalSource) return null;
  return { file: path.resolve(entry.dir, found.originalSource.replace(/^file:\/\//, '')), line: (found.originalLine ?? 0) + 1 };
}

export function summarise(profile: CpuProfile, top = 25, window?: { from: number; to: number }): string[] {
  const out: string[] = [];
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Self time per node: the sampling intervals that landed in it (within the window, if given).
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (window && (at < window.from || at > window.to)) return;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const pct = (t: number, k = '') => `${((t / total) * 100).toFixed(1).padStart(5)}% ${(k === '(idle)' ? '' : `(${((t / busy) * 100).toFixed(1)}%)`).padStart(8)}`;
  // Where a function is: src/… or bench/… for Postroom's own (dist through its map), else the
  // package (node_modules) or node: module.
  const where = (n: ProfileNode): { file: string; line: number } => {
    const { url, lineNumber, columnNumber } = n.callFrame;
    const mapped = original(url, lineNumber, columnNumber);
    const file = mapped ? pathToLabel(`file://${mapped.file}`) : pathToLabel(url);
    return { file, line: mapped ? mapped.line : lineNumber + 1 };
  };
  const located = new Map<number, { file: string; line: number }>();
  const placeOf = (n: ProfileNode) => {
    let w = located.get(n.id);
    if (!w) located.set(n.id, (w = where(n)));
    return w;
  };
  const label = (n: ProfileNode) => {
    if (!n.callFrame.url) return n.callFrame.functionName || '(anonymous)';
    const w = placeOf(n);
    return `${n.callFrame.functionName || '(anonymous)'} ${w.file}:${w.line}`;
  };
  const area = (n: ProfileNode) => {
    const url = n.callFrame.url;
    if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native code: C++ bindings, syscalls)';
    const file = placeOf(n).file;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1] as string;
    if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
    return /^(src\/[^/]+|bench)\//.exec(file)?.[1] ?? file;
  };
  const add = (m: Map<string, number>, k: string, t: number) => m.set(k, (m.get(k) ?? 0) + t);
  const selfByFunction = new Map<string, number>();
  const selfByArea = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const ancestry = new Map<number, Set<string>>();
  const labelsUp = (id: number): Set<string> => {
    let s = ancestry.get(id);
    if (!s) {
      s = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) s.add(label(byId.get(cur) as ProfileNode));
      ancestry.set(id, s);
    }
    return s;
  };
  for (const [id, t] of self) {
    const n = byId.get(id) as ProfileNode;
    add(selfByFunction, label(n), t);
    add(selfByArea, area(n), t);
    if (n.callFrame.url && /^(src|bench)\//.test(placeOf(n).file)) add(selfByFile, placeOf(n).file, t);
    // A function counts once per sample however deep it recurses.
    for (const l of labelsUp(id)) add(inclusive, l, t);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  out.push(`sampled ${(total / 1000).toFixed(0)} ms${window ? ` (window of ${((window.to - window.from) / 1000).toFixed(0)} ms)` : ''}, busy ${(busy / 1000).toFixed(0)} ms (${((busy / total) * 100).toFixed(1)}%); shares below: of all samples (of the busy ones)`);
  out.push('-- self time by package / area');
  for (const [k, t] of sorted(selfByArea).slice(0, 20)) out.push(`${pct(t, k)}  ${k}`);
  out.push('-- self time by Postroom file');
  for (const [k, t] of sorted(selfByFile).slice(0, 20)) out.push(`${pct(t)}  ${k}`);
  out.push('-- self time by function');
  for (const [k, t] of sorted(selfByFunction).slice(0, top)) out.push(`${pct(t, k)}  ${k}`);
  out.push("-- inclusive time of Postroom's functions (src/)");
  for (const [k, t] of sorted(inclusive).filter(([k]) => / src\//.test(k)).slice(0, top)) out.push(`${pct(t)}  ${k}`);
  return out;
}

/** file:///…/node_modules/pkg/x.js → pkg/x.js, file:///…/src/a/b.ts → src/a/b.ts, node:x stays. */
function pathToLabel(url: string): string {
  return url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|dist)\//, '$1/');
}

const file = process.argv[2];
if (process.argv[1]?.endsWith('cpuprofile.ts') && file) {
  const option = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const from = option('--from');
  const to = option('--to');
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const window = from !== undefined || to !== undefined ? { from: from ?? -Infinity, to: to ?? Infinity } : undefined;
  for (const line of summarise(profile, option('--top') ?? 25, window)) console.log(line);
}
