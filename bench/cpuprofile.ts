// Summarises a .cpuprofile written by `node --cpu-prof`: self time by package or area, the
// hottest functions, and the inclusive time of Postroom's own functions (src/). Not a benchmark.
//
// Usage: node --import tsx bench/cpuprofile.ts FILE.cpuprofile [--top 25]
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarise(profile: CpuProfile, top = 25): string[] {
  const out: string[] = [];
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Self time per node: the sampling intervals that landed in it.
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
  const label = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/')}`.trim();
  const area = (n: ProfileNode) => {
    const url = n.callFrame.url;
    if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native code: C++ bindings, syscalls)';
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return pkg[1] as string;
    if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
    return /\/(src\/[^/]+|bench)\//.exec(url)?.[1] ?? url;
  };
  const add = (m: Map<string, number>, k: string, t: number) => m.set(k, (m.get(k) ?? 0) + t);
  const selfByFunction = new Map<string, number>();
  const selfByArea = new Map<string, number>();
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
    // A function counts once per sample however deep it recurses.
    for (const l of labelsUp(id)) add(inclusive, l, t);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  out.push(`sampled ${(total / 1000).toFixed(0)} ms`);
  out.push('-- self time by package / area');
  for (const [k, t] of sorted(selfByArea).slice(0, 15)) out.push(`${pct(t)}  ${k}`);
  out.push('-- self time by function');
  for (const [k, t] of sorted(selfByFunction).slice(0, top)) out.push(`${pct(t)}  ${k}`);
  out.push("-- inclusive time of Postroom's functions (src/)");
  for (const [k, t] of sorted(inclusive).filter(([k]) => / src\//.test(k)).slice(0, top)) out.push(`${pct(t)}  ${k}`);
  return out;
}

const file = process.argv[2];
if (process.argv[1]?.endsWith('cpuprofile.ts') && file) {
  const at = process.argv.indexOf('--top');
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  for (const line of summarise(profile, at > 0 ? Number(process.argv[at + 1]) : 25)) console.log(line);
}
