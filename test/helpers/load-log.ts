// Test helper: a module loader hook that logs every module a process loads, one file per process named `pid-ppid`, to see which process loads what.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

type NextLoad = (url: string, context: unknown) => unknown;

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<unknown> {
  const dir = process.env['CSPMU_LOAD_LOG'];
  if (dir) appendFileSync(join(dir, `${process.pid}-${process.ppid}`), `${url}\n`);
  return nextLoad(url, context);
}
