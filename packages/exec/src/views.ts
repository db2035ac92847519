/**
 * The directories bind-mounted for a program under `cspmu exec`: /sys/bus/event_source/devices with the
 * emulated PMUs beside the host's own (types moved above the host's so none collide), and
 * /sys/devices/system with cpu and node views of the emulated machine's CPUs, sockets and NUMA nodes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PERF_TYPE_MAX } from '@cspmu/perf';
import type { Machine } from '@cspmu/system';

export const HOST_EVENT_SOURCES = '/sys/bus/event_source/devices';
export const HOST_SYSTEM = '/sys/devices/system';

export interface TypeMap {
  /** The emulated core's type for a type as exported, or undefined if it is not an emulated PMU's. */
  toEmulated(exported: number): number | undefined;
  /** Exported types of the emulated PMUs (the software PMU is the host's). */
  readonly exported: readonly number[];
  readonly shift: number;
}

function hostTypes(hostDir: string): Map<string, number> {
  const types = new Map<string, number>();
  if (!existsSync(hostDir)) return types;
  for (const name of readdirSync(hostDir)) {
    try {
      types.set(name, Number(readFileSync(join(hostDir, name, 'type'), 'utf8').trim()));
    } catch {
      /* a PMU without a readable type is not one perf can open */
    }
  }
  return types;
}

/** Export the emulated PMUs into `dir`, renumber their types above the host's, and link the host's PMUs beside them. */
export async function buildEventSourceView(machine: Machine, dir: string, hostDir = HOST_EVENT_SOURCES): Promise<TypeMap> {
  mkdirSync(dir, { recursive: true });
  await machine.perf.exportSysfs(dir);
  const host = hostTypes(hostDir);
  const emulated = machine.perf.pmus().filter((p) => p.type >= PERF_TYPE_MAX);
  const maxHost = Math.max(PERF_TYPE_MAX - 1, ...host.values());
  const minEmu = Math.min(...emulated.map((p) => p.type));
  const shift = emulated.length === 0 ? 0 : Math.max(0, maxHost + 1 - minEmu);
  const toEmulated = new Map<number, number>();
  for (const p of emulated) {
    writeFileSync(join(dir, p.name, 'type'), `${p.type + shift}\n`);
    toEmulated.set(p.type + shift, p.type);
  }
  for (const p of machine.perf.pmus()) if (p.type < PERF_TYPE_MAX && existsSync(join(dir, p.name))) rmSync(join(dir, p.name), { recursive: true });
  for (const name of host.keys()) {
    if (existsSync(join(dir, name))) continue;
    symlinkSync(realpathSync(join(hostDir, name)), join(dir, name));
  }
  return { toEmulated: (t) => toEmulated.get(t), exported: [...toEmulated.keys()], shift };
}

/** "0-3,8" from a sorted list. */
export function cpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j]! + 1) j++;
    parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The kernel's cpumap text: 32-bit hex words, most significant first, comma separated. */
export function cpuMask(cpus: readonly number[], nrCpus: number): string {
  const words = Math.max(1, Math.ceil(nrCpus / 32));
  const w = new Array<number>(words).fill(0);
  for (const c of cpus) w[Math.floor(c / 32)]! |= 1 << (c % 32);
  return w
    .reverse()
    .map((v, i) => (v >>> 0).toString(16).padStart(i === 0 ? Math.ceil((nrCpus - 32 * (words - 1)) / 4) : 8, '0'))
    .join(',');
}

/**
 * /sys/devices/system for the emulated machine: cpu (online, possible, present, per-CPU topology with the
 * socket as physical_package_id) and node (each NUMA node's CPUs). Returns the host entries the caller must
 * bind-mount into the view so they stay visible (clocksource, memory, ...).
 */
export function buildSystemView(machine: Machine, dir: string, hostDir = HOST_SYSTEM): string[] {
  const cpus = machine.kernel.cpus;
  const n = cpus.count;
  const all = cpus.possible();
  const online = cpus.online();
  const socketOf = (c: number) => cpus.containerUidOf(c);
  const put = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), `${text}\n`);
  };
  put('cpu/possible', cpuList(all));
  put('cpu/present', cpuList(all));
  put('cpu/online', cpuList(online));
  put('cpu/offline', cpuList(all.filter((c) => !cpus.isOnline(c))));
  put('cpu/kernel_max', `${Math.max(n - 1, 4095)}`);
  put('cpu/isolated', '');
  const sockets = new Map<number, number[]>();
  for (const c of all) sockets.set(socketOf(c), [...(sockets.get(socketOf(c)) ?? []), c]);
  for (const c of all) {
    const t = `cpu/cpu${c}/topology`;
    const own = [c];
    const pkg = sockets.get(socketOf(c))!;
    put(`cpu/cpu${c}/online`, cpus.isOnline(c) ? '1' : '0');
    put(`${t}/physical_package_id`, `${socketOf(c)}`);
    put(`${t}/die_id`, '-1');
    put(`${t}/cluster_id`, `${c}`);
    put(`${t}/core_id`, `${c - pkg[0]!}`);
    for (const [name, set] of [
      ['core_cpus', own],
      ['thread_siblings', own],
      ['cluster_cpus', own],
      ['core_siblings', pkg],
      ['package_cpus', pkg],
      ['die_cpus', pkg],
    ] as const) {
      put(`${t}/${name}`, cpuMask(set, n));
      put(`${t}/${name}_list`, cpuList(set));
    }
  }
  const nodes = new Map<number, number[]>();
  for (const c of all) nodes.set(cpus.nodeOf(c), [...(nodes.get(cpus.nodeOf(c)) ?? []), c]);
  const nodeIds = [...nodes.keys()].sort((a, b) => a - b);
  for (const f of ['possible', 'online', 'has_cpu', 'has_memory', 'has_normal_memory']) put(`node/${f}`, cpuList(nodeIds));
  for (const [node, list] of nodes) {
    put(`node/node${node}/cpulist`, cpuList(list));
    put(`node/node${node}/cpumap`, cpuMask(list, n));
    for (const c of list) symlinkSync(`../../cpu/cpu${c}`, join(dir, `node/node${node}/cpu${c}`));
  }
  const keep: string[] = [];
  if (existsSync(hostDir)) {
    for (const name of readdirSync(hostDir)) {
      if (name === 'cpu' || name === 'node') continue;
      mkdirSync(join(dir, name), { recursive: true });
      keep.push(name);
    }
  }
  return keep;
}
