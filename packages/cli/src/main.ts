#!/usr/bin/env node
// The cspmu command: global options, the subcommands, and the error contract (one line "cspmu: ERRNO: message", quiet on a closed pipe).
import { createRequire } from 'node:module';
import { KernelError } from '@cspmu/kernel';
import { Command, CommanderError } from 'commander';
import { type MachineFlags, setGlobalMachineFlags } from './boot.js';
import { withMachineFlags } from './commands/machine-flags.js';
import { COMMANDS } from './commands/registry.js';
import { setMaxInputBytes, setMaxPmus } from './util.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

// A reader that went away (cspmu ... | head -1) ends the command quietly, as SIGPIPE ends perf.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

const program = new Command('cspmu')
  .description('Arm CoreSight PMU drivers on emulated hardware, with a perf-like command line')
  .version(version, '-V, --version', 'print the cspmu version')
  .option('--max-input-bytes <bytes>', 'size cap on every file read (platform, workload, APMT); default 64 MiB')
  .option('--max-pmus <n>', 'cap on PMU devices in a platform and nodes read from an APMT; default 4096')
  .enablePositionalOptions();
withMachineFlags(program);
program.options.find((o) => o.long === '--debug')!.hidden = false;
for (const register of COMMANDS) register(program);

/** Errors from any command come back here instead of being printed by commander. */
function quiet(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({ outputError: () => undefined });
  for (const sub of cmd.commands) quiet(sub);
}
quiet(program);
program.hook('preAction', () => {
  const o = program.opts<MachineFlags & { maxInputBytes?: string; maxPmus?: string }>();
  setMaxInputBytes(o.maxInputBytes);
  setMaxPmus(o.maxPmus);
  setGlobalMachineFlags(o);
});

const QUIET_EXITS = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync']);

function fail(e: unknown): void {
  if (e instanceof CommanderError) {
    if (QUIET_EXITS.has(e.code)) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`cspmu: EINVAL: ${e.message.replace(/^error: /, '').split('\n')[0]} (see cspmu help)\n`);
    process.exitCode = e.exitCode || 1;
    return;
  }
  const debug = process.argv.includes('--debug');
  const msg = e instanceof KernelError ? e.message : `EINVAL: ${e instanceof Error ? e.message : String(e)}`;
  process.stderr.write(`cspmu: ${msg.split('\n')[0]}\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exitCode = process.exitCode || 1;
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  fail(e);
}
