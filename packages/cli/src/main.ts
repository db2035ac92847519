#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { KernelError } from '@cspmu/kernel';
import { registerApmt } from './commands/apmt.js';
import { registerEncode } from './commands/encode.js';
import { registerExec } from './commands/exec.js';
import { registerList } from './commands/list.js';
import { registerMachine } from './commands/machine.js';
import { registerModules } from './commands/modules.js';
import { registerStat } from './commands/stat.js';
import { registerSysfs } from './commands/sysfs.js';
import { registerTrace } from './commands/trace.js';
import { setMaxInputBytes } from './util.js';

const program = new Command('cspmu')
  .description('Arm CoreSight PMU drivers on emulated hardware, with a perf-like command line')
  .version('0.1.0')
  .option('--debug', 'print stack traces on errors')
  .option('--max-input-bytes <bytes>', 'size cap on every file read (platform, workload, APMT); default 64 MiB')
  .enablePositionalOptions();
registerList(program);
registerStat(program);
registerEncode(program);
registerSysfs(program);
registerApmt(program);
registerTrace(program);
registerModules(program);
registerMachine(program);
registerExec(program);
program.exitOverride();
program.hook('preAction', () => setMaxInputBytes(program.opts<{ maxInputBytes?: string }>().maxInputBytes));

function fail(e: unknown): void {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
    return;
  }
  const debug = process.argv.includes('--debug');
  const msg = e instanceof KernelError ? e.message : e instanceof Error ? e.message : String(e);
  process.stderr.write(`cspmu: ${msg.split('\n')[0]}\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exitCode = process.exitCode || 1;
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  fail(e);
}
