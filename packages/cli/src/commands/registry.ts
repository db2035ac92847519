// Every cspmu subcommand, in the order --help lists them: add a new command's register function here.
import type { Command } from 'commander';
import { registerApmt } from './apmt.js';
import { registerEncode } from './encode.js';
import { registerExec } from './exec.js';
import { registerList } from './list.js';
import { registerMachine } from './machine.js';
import { registerModules } from './modules.js';
import { registerStat } from './stat.js';
import { registerSysfs } from './sysfs.js';
import { registerTrace } from './trace.js';

export const COMMANDS: readonly ((program: Command) => void)[] = [
  registerList,
  registerStat,
  registerEncode,
  registerSysfs,
  registerApmt,
  registerTrace,
  registerModules,
  registerMachine,
  registerExec,
];
