import { spawn } from 'node:child_process';
import { KernelError, kerr } from '@cspmu/kernel';
import type { ParsedEvent, PerfEvent } from '@cspmu/perf';
import type { Machine } from '@cspmu/system';

export interface StatRequest {
  readonly events: readonly string[];
  /** -a: count system-wide on each PMU's cpumask CPU. */
  readonly systemWide: boolean;
  /** -C: only these CPUs. */
  readonly cpus?: readonly number[];
  readonly intervalNs?: number;
  /** Virtual time to count for. */
  readonly durationNs?: number;
  /** A command whose wall time is the counted span. */
  readonly command?: readonly string[];
  readonly onProgress?: (fraction: number) => void;
  readonly onInterval?: (rows: CounterRow[], timeNs: number) => void;
}

export interface CounterRow {
  readonly event: string;
  readonly pmu: string;
  readonly cpu: number;
  readonly status: 'counted' | 'not-counted' | 'not-supported';
  /** Raw count (scaled by the event's .scale when it has one). */
  readonly value: number;
  /** Value scaled by enabled/running when the event was multiplexed. */
  readonly scaled: number;
  readonly enabledNs: number;
  readonly runningNs: number;
  readonly unit: string;
  readonly error?: string;
}

export interface StatResult {
  readonly rows: CounterRow[];
  readonly elapsedNs: number;
  readonly target: string;
  readonly commandStatus?: number;
}

interface Opened {
  readonly parsed: ParsedEvent;
  readonly cpu: number;
  readonly event: PerfEvent | undefined;
  readonly error: string | undefined;
  readonly scale: number;
  readonly unit: string;
  last: { value: number; enabled: number; running: number };
}

/** Open every event as perf stat would: per PMU cpumask CPU (or the -C CPUs), groups kept together. */
function openAll(m: Machine, req: StatRequest, pid: number): Opened[] {
  const out: Opened[] = [];
  const leaders = new Map<string, PerfEvent | null>();
  let groupBase = 0;
  for (const text of req.events) {
    const evs = m.parseEvents(text);
    for (const p of evs) {
      const su = p.eventName ? m.eventScaleUnit(p.pmu, p.eventName) : undefined;
      let cpus: number[];
      if (!req.systemWide && req.cpus === undefined) cpus = [-1];
      else {
        const home = p.pmu === 'software' || p.pmu === '' ? (req.cpus?.[0] ?? 0) : m.cpumaskCpu(p.pmu);
        cpus = req.cpus ? (p.pmu === 'software' ? [req.cpus[0]!] : req.cpus.filter((c) => c === home)) : [home];
        if (cpus.length === 0) cpus = [req.cpus![0]!];
      }
      for (const cpu of cpus) {
        const key = p.group === undefined ? undefined : `${groupBase + p.group}/${cpu}`;
        const leader = key === undefined ? undefined : leaders.get(key);
        let event: PerfEvent | undefined;
        let error: string | undefined;
        if (leader === null) error = 'its group leader could not be opened';
        else {
          try {
            event = m.perf.open(p.attr, { cpu, pid: cpu < 0 ? pid : -1, ...(leader ? { group: leader } : {}) });
          } catch (e) {
            if (!(e instanceof KernelError)) throw e;
            error = e.message;
          }
        }
        if (key !== undefined && !leaders.has(key)) leaders.set(key, event ?? null);
        out.push({ parsed: p, cpu, event, error, scale: su?.scale ?? 1, unit: su?.unit ?? '', last: { value: 0, enabled: 0, running: 0 } });
      }
    }
    groupBase += 1 + Math.max(-1, ...evs.map((e) => e.group ?? -1));
  }
  return out;
}

function rowOf(m: Machine, o: Opened, delta: boolean): CounterRow {
  const base = { event: o.parsed.display, pmu: o.parsed.pmu, cpu: o.event?.cpu ?? o.cpu, unit: o.unit };
  if (!o.event) return { ...base, status: 'not-supported', value: 0, scaled: 0, enabledNs: 0, runningNs: 0, ...(o.error ? { error: o.error } : {}) };
  const r = m.perf.read(o.event);
  const value = r.value - (delta ? o.last.value : 0);
  const enabled = r.timeEnabled - (delta ? o.last.enabled : 0);
  const running = r.timeRunning - (delta ? o.last.running : 0);
  o.last = { value: r.value, enabled: r.timeEnabled, running: r.timeRunning };
  if (r.notCounted || running === 0) return { ...base, status: 'not-counted', value: 0, scaled: 0, enabledNs: enabled, runningNs: running };
  const v = value * o.scale;
  return { ...base, status: 'counted', value: v, scaled: running < enabled ? (v * enabled) / running : v, enabledNs: enabled, runningNs: running };
}

function runCommand(command: readonly string[], onTick: () => void): Promise<{ status: number; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
    const tick = setInterval(onTick, 10);
    child.on('error', (e) => {
      clearInterval(tick);
      reject(kerr('ENOENT', `cannot run '${command[0]}': ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      clearInterval(tick);
      resolve({ status: code ?? (signal ? 128 : 1), pid: child.pid ?? 0 });
    });
  });
}

/** Run a stat: open, count for the duration or the command's wall time, read, close. */
export async function runStat(m: Machine, req: StatRequest): Promise<StatResult> {
  if (req.events.length === 0) throw kerr('EINVAL', 'no events given; use -e EVENT (see cspmu list)');
  if ((req.durationNs === undefined) === (req.command === undefined || req.command.length === 0)) {
    throw kerr('EINVAL', 'give either --duration TIME or -- COMMAND [ARGS]');
  }
  const opened = openAll(m, req, process.pid);
  const clock = m.clock;
  const start = clock.now();
  let nextInterval = req.intervalNs === undefined ? Infinity : start + req.intervalNs;
  const advanceTo = (t: number) => {
    while (nextInterval <= t) {
      clock.advanceTo(nextInterval);
      req.onInterval?.(opened.map((o) => rowOf(m, o, true)), nextInterval - start);
      nextInterval += req.intervalNs!;
    }
    clock.advanceTo(t);
  };
  let commandStatus: number | undefined;
  try {
    if (req.durationNs !== undefined) {
      const steps = 100;
      for (let i = 1; i <= steps; i++) {
        advanceTo(start + Math.round((req.durationNs * i) / steps));
        req.onProgress?.(i / steps);
      }
    } else {
      const wall0 = process.hrtime.bigint();
      const sync = () => advanceTo(start + Number(process.hrtime.bigint() - wall0));
      const r = await runCommand(req.command!, sync);
      sync();
      commandStatus = r.status;
    }
    const rows = opened.map((o) => rowOf(m, o, false));
    return {
      rows,
      elapsedNs: clock.now() - start,
      target: req.command ? req.command.join(' ') : 'system wide',
      ...(commandStatus !== undefined ? { commandStatus } : {}),
    };
  } finally {
    for (const o of opened) if (o.event && o.event.isLeader) m.perf.close(o.event);
    for (const o of opened) if (o.event && m.perf.liveEvents().includes(o.event)) m.perf.close(o.event);
  }
}
