import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { kerr, parseCpuList } from '@cspmu/kernel';
import type { Machine } from '@cspmu/system';
import { bootMachine, type MachineFlags } from '../boot.js';
import { csvLine, humanLine, jsonLine, printHuman } from '../stat/print.js';
import { runStat } from '../stat/run.js';
import { parseDuration, printError } from '../util.js';
import { withMachineFlags } from './machine-flags.js';

interface StatFlags extends MachineFlags {
  event?: string[];
  allCpus?: boolean;
  cpu?: string;
  interval?: string;
  fieldSeparator?: string;
  json?: boolean;
  duration?: string;
}

/** Hooks for commands that wrap a stat (tracing). */
export interface StatHooks {
  /** Before the drivers probe (tracers that must see the probes). */
  beforeDrivers?(m: Machine): void;
  afterBoot?(m: Machine): void;
  afterRun?(m: Machine): void;
}

async function statAction(opts: StatFlags, command: string[], hooks: StatHooks): Promise<void> {
  const events = opts.event ?? [];
  if (events.length === 0) throw kerr('EINVAL', 'no events given; use -e EVENT (see cspmu list)');
  const durationNs = opts.duration === undefined ? undefined : parseDuration(opts.duration, '--duration');
  if (durationNs !== undefined && command.length > 0) throw kerr('EINVAL', 'give either --duration or -- COMMAND, not both');
  if (durationNs === undefined && command.length === 0) throw kerr('EINVAL', 'give --duration TIME (e.g. 100ms) or -- COMMAND [ARGS] to measure');
  const intervalNs = opts.interval === undefined ? undefined : parseDuration(`${opts.interval}ms`, '-I');
  const cpus = opts.cpu === undefined ? undefined : parseCpuList(opts.cpu);
  if (cpus !== undefined && cpus.length === 0) throw kerr('EINVAL', `-C '${opts.cpu}': no CPUs given; use a cpulist such as 0,72 or 0-3`);
  const m = await bootMachine(opts, hooks.beforeDrivers ? { beforeDrivers: hooks.beforeDrivers } : {});
  for (const c of cpus ?? []) if (!m.kernel.cpus.isPossible(c)) throw kerr('EINVAL', `-C ${opts.cpu}: cpu ${c} does not exist (0-${m.kernel.cpus.count - 1})`);
  hooks.afterBoot?.(m);
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const sep = opts.fieldSeparator;
  let bar: cliProgress.SingleBar | undefined;
  if (process.stderr.isTTY && durationNs !== undefined && durationNs >= 10e9 && !opts.json && sep === undefined) {
    bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'counting {bar} {percentage}% of virtual time', clearOnComplete: true }, cliProgress.Presets.shades_classic);
    bar.start(100, 0);
  }
  if (intervalNs !== undefined && !opts.json && sep === undefined) out('#           time             counts unit events');
  const res = await runStat(m, {
    events,
    systemWide: opts.allCpus === true || cpus !== undefined || command.length === 0,
    ...(cpus ? { cpus } : {}),
    ...(intervalNs !== undefined ? { intervalNs } : {}),
    ...(durationNs !== undefined ? { durationNs } : { command }),
    onProgress: (f) => bar?.update(Math.round(f * 100)),
    onInterval: (rows, t) => {
      for (const r of rows) out(opts.json ? jsonLine(r, t) : sep !== undefined ? csvLine(r, sep, t) : humanLine(r, intervalNs!, t));
    },
  });
  bar?.stop();
  if (intervalNs === undefined) {
    if (opts.json) for (const r of res.rows) out(jsonLine(r));
    else if (sep !== undefined) for (const r of res.rows) out(csvLine(r, sep));
    else printHuman(res, out);
  }
  const unsupported = res.rows.filter((r) => r.status === 'not-supported' && r.error);
  for (const r of unsupported) printError(`${r.event}: ${r.error!.split('\n')[0]}`);
  if (unsupported.some((r) => r.error!.includes('uncore'))) process.stderr.write('cspmu: hint: uncore PMUs count per CPU, not per task; add -a\n');
  hooks.afterRun?.(m);
  if (res.commandStatus !== undefined && res.commandStatus !== 0) process.exitCode = res.commandStatus;
}

/** The stat command (also used, on its own, to parse the stat arguments of `cspmu trace`). */
export function statCommand(hooks: StatHooks = {}, name = 'stat'): Command {
  const cmd = new Command(name)
    .description('count events like perf stat: for a virtual --duration, or for the wall time of a real command')
    .addOption(new Option('-e, --event <events...>', 'events (comma-separated, groups in {}); repeatable'))
    .option('-a, --all-cpus', 'system-wide: every PMU on its cpumask CPU (implied without a command)')
    .option('-C, --cpu <cpus>', 'only these CPUs (cpulist, e.g. 0,72)')
    .option('-I, --interval <ms>', 'print counts every MS milliseconds')
    .option('-x, --field-separator <sep>', 'CSV output with this separator')
    .option('--json', 'JSON output, one object per counter')
    .option('--duration <time>', 'count for this much virtual time (e.g. 100ms, 1s)')
    .argument('[command...]', 'a command to run; its wall time is the measured span')
    .passThroughOptions()
    .action((command: string[], opts: StatFlags) => statAction(opts, command, hooks));
  return withMachineFlags(cmd);
}

export function registerStat(program: Command): void {
  program.addCommand(statCommand());
}
