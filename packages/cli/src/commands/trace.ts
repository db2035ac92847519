// cspmu trace: a stat with a tracer around it (rwmmio, mmiotrace or call-site function tracing), then the trace.

import { FunctionTracer, kerr } from '@cspmu/kernel';
import { MmioTrace } from '@cspmu/mmio';
import type { Machine } from '@cspmu/system';
import { Command } from 'commander';
import type { MachineFlags } from '../boot.js';
import { withMachineFlags } from './machine-flags.js';
import { type StatHooks, statAction, statCommand } from './stat.js';
import { type StatFlags, withStatOptions } from './stat-options.js';

interface TraceFlags {
  rwmmio?: boolean;
  mmiotrace?: boolean;
  ftrace?: boolean;
  site?: string[];
  filter?: string;
}

export function registerTrace(program: Command): void {
  const trace = statCommand({}, 'trace')
    .description('run a stat while tracing, then print the trace: cspmu trace --rwmmio -e EVENT --duration 1ms (every stat option works)')
    .option('--rwmmio', 'rwmmio tracepoints on every instrumented MMIO access')
    .option('--mmiotrace', 'mmiotrace text (probes, MAP/R/W/UNMAP) of every mapping, from boot')
    .option('--ftrace', 'function tracing of driver callbacks (every perf->PMU and driver->backend call site)')
    .option('--site <names...>', 'with --ftrace: only these call sites (e.g. pmu->add cspmu->set_ev_filter)')
    .option('--filter <expr>', 'with --rwmmio: an ftrace-style filter, e.g. \'caller ~ "arm_cspmu_*"\' or \'dev == "arm-cs-arch-pmu.0"\'');
  trace.action(async (command: string[], _o: unknown, self: Command) => {
    const opts = self.optsWithGlobals<TraceFlags & StatFlags & MachineFlags>();
    const chosen = [opts.rwmmio, opts.mmiotrace, opts.ftrace].filter(Boolean).length;
    if (chosen !== 1) throw kerr('EINVAL', 'choose one tracer: --rwmmio, --mmiotrace or --ftrace');
    if (opts.filter && !opts.rwmmio) throw kerr('EINVAL', '--filter goes with --rwmmio');
    if (opts.site && !opts.ftrace) throw kerr('EINVAL', '--site goes with --ftrace');
    let mmiotrace: MmioTrace | undefined;
    const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
    const hooks: StatHooks = {
      beforeDrivers: (m: Machine) => {
        m.kernel.trace.configure(1 << 20, 'overwrite');
        if (opts.mmiotrace) {
          mmiotrace = new MmioTrace(m.mmio, m.kernel);
          mmiotrace.enable();
        }
      },
      afterBoot: (m: Machine) => {
        if (opts.rwmmio) {
          m.kernel.trace.enable('rwmmio:*');
          if (opts.filter) for (const tp of m.kernel.trace.list()) if (tp.def.system === 'rwmmio') tp.setFilter(opts.filter);
        }
        if (opts.mmiotrace) mmiotrace!.mark('cspmu stat begins');
        if (opts.ftrace) {
          const tracer = new FunctionTracer(m.kernel.trace);
          const names = opts.site ?? m.kernel.callSites.list().map((s) => s.name);
          for (const n of names) m.kernel.callSites.attach(n, tracer);
        }
      },
      afterRun: (m: Machine) => {
        if (opts.mmiotrace) out(mmiotrace!.text());
        else out(`# tracer: ${opts.rwmmio ? 'rwmmio' : 'function (call sites)'}\n# lost events: ${m.kernel.trace.lost}\n${m.kernel.trace.text()}`);
      },
    };
    // The older form put the stat options after --: parse them as stat options.
    if (command[0]?.startsWith('-')) {
      const inner = withStatOptions(new Command('trace')).passThroughOptions();
      withMachineFlags(inner);
      inner.exitOverride().configureOutput({ outputError: () => undefined });
      inner.action((cmd: string[], _i: unknown, me: Command) => statAction({ ...opts, ...me.opts<StatFlags & MachineFlags>() }, cmd, hooks));
      await inner.parseAsync(command, { from: 'user' });
      return;
    }
    await statAction(opts, command, hooks);
  });
  program.addCommand(trace);
}
