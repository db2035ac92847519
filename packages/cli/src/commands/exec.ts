/** `cspmu exec` (run a command, e.g. the real perf, against the emulated PMUs) and `cspmu serve` (the server alone). */

import { type ClockMode, hostParanoid, runInSession, startSession } from '@cspmu/exec';
import { kerr } from '@cspmu/kernel';
import { type Command, Option } from 'commander';
import { bootMachine, type MachineFlags } from '../boot.js';
import { withMachineFlags } from './machine-flags.js';

interface ExecFlags extends MachineFlags {
  clock: ClockMode;
  paranoid?: string;
}

function withExecFlags(cmd: Command): Command {
  return withMachineFlags(cmd)
    .addOption(
      new Option('--clock <mode>', 'wall: virtual time follows CLOCK_MONOTONIC; virtual: time moves only when the command sleeps')
        .choices(['wall', 'virtual'])
        .default('wall'),
    )
    .addOption(new Option('--paranoid <n>', "perf_event_paranoid the server applies (default: the host's)"));
}

function paranoidOf(flags: ExecFlags): number {
  if (flags.paranoid === undefined) return hostParanoid();
  const n = Number(flags.paranoid);
  if (!/^-?\d+$/.test(flags.paranoid) || n < -1 || n > 4) throw kerr('EINVAL', `--paranoid ${flags.paranoid}: use an integer from -1 to 4`);
  return n;
}

export function registerExec(program: Command): void {
  withExecFlags(
    program
      .command('exec')
      .description('run COMMAND (e.g. perf stat) in a private mount namespace where the emulated PMUs and CPUs are real to it')
      .argument('<command...>', 'the command and its arguments (after --)'),
  ).action(async (command: string[], opts: ExecFlags) => {
    const m = await bootMachine(opts, { paranoid: paranoidOf(opts) });
    const session = await startSession(m, opts.clock);
    try {
      const r = await runInSession(session, command);
      process.exitCode = r.status;
    } finally {
      await session.stop();
      await m.shutdown();
    }
  });

  withExecFlags(
    program.command('serve').description('serve the emulated perf core on a Unix socket and print how to run programs against it (until interrupted)'),
  ).action(async (opts: ExecFlags) => {
    const m = await bootMachine(opts, { paranoid: paranoidOf(opts) });
    const session = await startSession(m, opts.clock);
    const env = Object.entries(session.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    process.stdout.write(`serving on ${session.socket}\nrun a command against it (as root, in a private mount namespace):\n`);
    process.stdout.write(
      `  ${env} unshare -m sh -c '${session.binds
        .filter((b) => b !== '--bind')
        .map((b) => `mount --bind ${b.replace(':', ' ')}`)
        .join(' && ')} && exec perf stat -a -e nvidia_scf_pmu_0/cycles/ sleep 1'\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await session.stop();
    await m.shutdown();
  });
}
