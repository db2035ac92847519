// cspmu apmt: decode, check (fwts verdicts and cspmu's warnings) and build ACPI APMT tables.
import { existsSync } from 'node:fs';
import {
  APMT_NODE_TYPES,
  apmtHid,
  apmtNodesOf,
  buildApmt,
  builtinPlatform,
  describeApmt,
  formatViolation,
  loadPlatform,
  type PlatformSpec,
  parseApmt,
  verdictLines,
} from '@cspmu/hw';
import { kerr, listProblems } from '@cspmu/kernel';
import type { Command } from 'commander';
import { pmuCapFlag, readInputFile, readJson } from '../util.js';

function readTable(file: string): Uint8Array {
  return new Uint8Array(readInputFile(file, 'APMT file'));
}

export function registerApmt(program: Command): void {
  const apmt = program.command('apmt').description('ACPI APMT tables: decode, check, build');
  apmt
    .command('decode')
    .description('print a binary APMT readably, with the same FAILED/WARNING verdicts as check')
    .argument('<file>', 'binary APMT')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { json?: boolean }) => {
      const { table, violations } = parseApmt(readTable(file), pmuCapFlag());
      if (!table) throw kerr('EINVAL', `APMT '${file}' cannot be decoded: ${listProblems(violations.map(formatViolation))}`);
      if (opts.json) {
        const nodes = table.nodes.map((n) => ({
          ...n,
          type: APMT_NODE_TYPES[n.type] ?? n.type,
          instPrimary: `0x${n.instPrimary.toString(16)}`,
          hid: apmtHid(n) ?? null,
          baseAddress0: `0x${n.baseAddress0.toString(16)}`,
          baseAddress1: `0x${n.baseAddress1.toString(16)}`,
          implId: `0x${n.implId.toString(16)}`,
        }));
        process.stdout.write(`${JSON.stringify({ header: table.header, nodes, violations }, null, 2)}\n`);
        return;
      }
      console.log(describeApmt(table));
      for (const line of verdictLines(violations)) console.log(`  ${line}`);
    });
  apmt
    .command('check')
    .description("check an APMT as fwts does: fwts's rules and the checksum fail (exit 1); cspmu's extra checks warn (exit 0 unless --strict)")
    .argument('<file>', 'binary APMT')
    .option('--strict', 'warnings fail too')
    .action((file: string, opts: { strict?: boolean }) => {
      const { table, violations } = parseApmt(readTable(file), pmuCapFlag());
      for (const line of verdictLines(violations)) console.log(line);
      const failures = violations.filter((v) => v.severity === 'failure').length;
      const warnings = violations.length - failures;
      const failed = failures > 0 || (opts.strict === true && warnings > 0);
      const summary = `${failures} failure(s), ${warnings} warning(s)`;
      if (failed) {
        console.log(`FAILED: ${file}: ${summary}${failures === 0 ? ' (--strict)' : ''}`);
        process.exitCode = 1;
      } else console.log(`PASSED: ${file}: ${table!.nodes.length} node(s), ${summary}`);
    });
  apmt
    .command('build')
    .description('build the binary APMT of a platform and write it to stdout')
    .argument('<platform>', 'built-in platform name or platform JSON file')
    .action((platform: string) => {
      const spec: PlatformSpec =
        /\.json$|\//.test(platform) || existsSync(platform) ? (readJson(platform, 'platform') as PlatformSpec) : builtinPlatform(platform);
      const bytes = buildApmt(apmtNodesOf(loadPlatform(spec, pmuCapFlag())));
      if (process.stdout.isTTY) throw kerr('EINVAL', 'refusing to write a binary table to a terminal; redirect it: cspmu apmt build grace > grace.apmt');
      process.stdout.write(bytes);
    });
}
