// One reader for perf stat's output, real or ours: the fields of each line and where they sit, with counts and times abstracted away.
import { spawnSync } from 'node:child_process';

/** Why the real perf cannot be run here, or undefined. */
export function perfUnavailable(): string | undefined {
  for (const tool of ['perf', 'unshare']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  const probe = spawnSync('unshare', ['-m', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare -m is not permitted here (${(probe.stderr || '').trim()})`;
  return undefined;
}

/** The real perf, optionally over an exported PMU tree bind-mounted in a private mount namespace. */
export function realPerf(args: readonly string[], sysfs?: string): { status: number; stdout: string; stderr: string } {
  const r = sysfs
    ? spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /sys/bus/event_source/devices && exec perf "$@"', sysfs, ...args], {
        encoding: 'utf8',
        timeout: 30000,
      })
    : spawnSync('perf', args, { encoding: 'utf8', timeout: 30000, env: { ...process.env, LC_ALL: 'C' } });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const NUMERIC = /^[-+]?(\d[\d,]*(\.\d+)?|\.\d+)%?$/;

export interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly numeric: boolean;
}

function tokens(line: string): Token[] {
  const out: Token[] = [];
  for (const m of line.matchAll(/\S+/g)) {
    // Brackets around a percentage are their own fields: "(56.61%)" -> "(", "56.61%", ")".
    const parts = m[0].match(/^(\(?)(.*?)(\)?)$/)!;
    let at = m.index!;
    for (const p of [parts[1]!, parts[2]!, parts[3]!]) {
      if (p === '') continue;
      out.push({ text: p, start: at, end: at + p.length, numeric: NUMERIC.test(p) });
      at += p.length;
    }
  }
  return out;
}

/**
 * Compare two std (text) outputs line by line. Words must be equal and sit in
 * the same columns; numbers may differ, but a right-aligned number must end in
 * the same column (a left-aligned one start in it). After a number whose width
 * may vary, later words are compared by order, not column.
 */
export function compareStd(perf: string, ours: string): string[] {
  const problems: string[] = [];
  const a = perf.split('\n');
  const b = ours.split('\n');
  if (a.length !== b.length) problems.push(`perf printed ${a.length} lines, cspmu ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const ta = tokens(a[i]!);
    const tb = tokens(b[i]!);
    const where = `line ${i + 1}:\n  perf:  '${a[i]}'\n  cspmu: '${b[i]}'`;
    if (ta.length !== tb.length) {
      problems.push(`${where}\n  ${ta.length} fields vs ${tb.length}`);
      continue;
    }
    let aligned = true;
    for (let k = 0; k < ta.length; k++) {
      const x = ta[k]!;
      const y = tb[k]!;
      if (x.numeric !== y.numeric || (!x.numeric && x.text !== y.text)) {
        problems.push(`${where}\n  field ${k + 1}: '${x.text}' vs '${y.text}'`);
        break;
      }
      if (!aligned) continue;
      if (x.numeric) {
        if (x.end !== y.end && x.start !== y.start) {
          problems.push(`${where}\n  number ${k + 1} at columns ${x.start}-${x.end} vs ${y.start}-${y.end}`);
          break;
        }
        if (x.end !== y.end) aligned = false;
      } else if (x.start !== y.start) {
        problems.push(`${where}\n  '${x.text}' at column ${x.start} vs ${y.start}`);
        break;
      }
    }
  }
  return problems;
}

/** Compare two CSV outputs: the same number of fields per line, the same words, numbers where perf has numbers (and the same padding). */
export function compareCsv(perf: string, ours: string, sep: string): string[] {
  const problems: string[] = [];
  const a = perf.trimEnd().split('\n');
  const b = ours.trimEnd().split('\n');
  if (a.length !== b.length) problems.push(`perf printed ${a.length} lines, cspmu ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const fa = a[i]!.split(sep);
    const fb = b[i]!.split(sep);
    const where = `line ${i + 1}:\n  perf:  '${a[i]}'\n  cspmu: '${b[i]}'`;
    if (fa.length !== fb.length) problems.push(`${where}\n  ${fa.length} fields vs ${fb.length}`);
    for (let k = 0; k < Math.min(fa.length, fb.length); k++) {
      const x = fa[k]!;
      const y = fb[k]!;
      const nx = NUMERIC.test(x.trim());
      if (nx !== NUMERIC.test(y.trim()) || (!nx && x !== y) || (nx && x.length - x.trimStart().length > 0 && x.length !== y.length)) {
        problems.push(`${where}\n  field ${k + 1}: '${x}' vs '${y}'`);
        break;
      }
    }
  }
  return problems;
}

/** Compare two JSON-lines outputs: the same keys in the same order, the same strings, numbers (or numeric strings) where perf has them. */
export function compareJson(perf: string, ours: string): string[] {
  const problems: string[] = [];
  const a = perf.trimEnd().split('\n');
  const b = ours.trimEnd().split('\n');
  if (a.length !== b.length) problems.push(`perf printed ${a.length} lines, cspmu ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const where = `line ${i + 1}:\n  perf:  '${a[i]}'\n  cspmu: '${b[i]}'`;
    // perf separates keys as `"key" : value`: the spacing is part of the format.
    const shape = (l: string) => l.replace(/"(\d[\d.]*)"/g, '"N"').replace(/: \d[\d.]*/g, ': N');
    if (shape(a[i]!) !== shape(b[i]!)) problems.push(`${where}\n  shapes differ:\n  ${shape(a[i]!)}\n  ${shape(b[i]!)}`);
    const ja = JSON.parse(a[i]!) as Record<string, unknown>;
    const jb = JSON.parse(b[i]!) as Record<string, unknown>;
    if (Object.keys(ja).join() !== Object.keys(jb).join()) problems.push(`${where}\n  keys differ`);
  }
  return problems;
}
