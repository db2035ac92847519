// Test helper: run the cspmu command or a node script as a child process, as a user would.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MAIN = join(ROOT, 'packages', 'cli', 'dist', 'src', 'main.js');

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the cspmu command (or a node script) as a child process, as a user would. */
export function cspmu(args: readonly string[], opts: { input?: Buffer; env?: Record<string, string> } = {}): Run {
  return node([MAIN, ...args], opts);
}

export function node(args: readonly string[], opts: { input?: Buffer; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'buffer',
    timeout: 60000,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    ...(opts.input ? { input: opts.input } : {}),
  });
  return { status: r.status ?? -1, stdout: r.stdout?.toString('latin1') ?? '', stderr: r.stderr?.toString('utf8') ?? '' };
}

/** A failed run's stderr is exactly one line starting with "cspmu: ". */
export function oneLineError(r: Run): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  if (r.status === 0 || lines.length !== 1 || !lines[0]!.startsWith('cspmu: ')) {
    throw new Error(`expected a one-line error, got status ${r.status}, stderr:\n${r.stderr}`);
  }
  return lines[0]!;
}
