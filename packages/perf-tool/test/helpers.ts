// Test PMUs described as perf reads them, and the real perf run over them in a private mount namespace.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventGrammar, type PmuDescription } from '../src/index.js';

const FORMATS: [string, string][] = [
  ['event', 'config:0-32'],
  ['root_port', 'config1:0-9'],
  ['filter', 'config1:0-31'],
  ['filter2', 'config2:0-31'],
  ['split', 'config2:1,5-7,40'],
  ['hi', 'config:33-35,48'],
];
const EVENTS: [string, string][] = [
  ['cmem_rd_data', 'event=0x1a5'],
  ['cycles', 'event=0x100000000'],
  ['bytes', 'event=0x2,root_port=0x3'],
];

/** Two instances of a PMU with NVIDIA-like formats, non-contiguous fields and named events. */
export function testPmus(): PmuDescription[] {
  return [7, 8].map((type, i) => ({ name: `nv_pcie_pmu_${i}`, type, formats: new Map(FORMATS), events: new Map(EVENTS) }));
}

export function testGrammar(): EventGrammar {
  return new EventGrammar(testPmus());
}

/** The PMUs as a /sys/bus/event_source/devices tree the real perf can read. */
export function exportTree(pmus: readonly PmuDescription[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'cspmu-perf-tool-'));
  for (const p of pmus) {
    mkdirSync(join(dir, p.name, 'format'), { recursive: true });
    mkdirSync(join(dir, p.name, 'events'));
    writeFileSync(join(dir, p.name, 'type'), `${p.type}\n`);
    writeFileSync(join(dir, p.name, 'cpumask'), '0\n');
    for (const [k, v] of p.formats) writeFileSync(join(dir, p.name, 'format', k), `${v}\n`);
    for (const [k, v] of p.events) writeFileSync(join(dir, p.name, 'events', k), `${v}\n`);
  }
  return dir;
}

/** Why the real perf cannot be run here, or undefined when it can. */
export function perfUnavailable(): string | undefined {
  for (const tool of ['perf', 'unshare']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  const probe = spawnSync('unshare', ['-m', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare -m is not permitted here (${(probe.stderr || '').trim()})`;
  return undefined;
}

/** `perf ARGS` with `dir` bind-mounted over the PMU directory; stdout and stderr together. */
export function runPerf(dir: string, args: readonly string[]): { status: number; out: string } {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /sys/bus/event_source/devices && exec perf "$@"', dir, ...args], {
    encoding: 'utf8',
    timeout: 20000,
  });
  return { status: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
