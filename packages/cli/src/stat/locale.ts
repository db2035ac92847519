// Number formatting as perf's printf does under LC_NUMERIC: digit grouping (%') and the decimal point only where the locale has them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface NumericLocale {
  readonly group: string;
  readonly decimal: string;
}

const C_LOCALE: NumericLocale = { group: '', decimal: '.' };

const norm = (s: string) => s.toLowerCase().replace('utf-8', 'utf8');

/** Whether setlocale finds the locale: a directory of LOCPATH (glibc looks there first, `locale -a` does not list it), or the system's. */
function installed(name: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env['LOCPATH'] ?? '').split(':').filter(Boolean)) {
    try {
      if (readdirSync(dir).some((d) => norm(d) === norm(name) && existsSync(join(dir, d, 'LC_NUMERIC')))) return true;
    } catch {
      // a LOCPATH entry that is not a directory holds no locale
    }
  }
  const r = spawnSync('locale', ['-a'], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  return r.stdout.split('\n').some((l) => norm(l) === norm(name));
}

/** The numeric locale perf would run under: LC_ALL, else LC_NUMERIC, else LANG; C when unset or not installed (as setlocale falls back). */
export function numericLocale(env: NodeJS.ProcessEnv = process.env): NumericLocale {
  const name = env['LC_ALL'] || env['LC_NUMERIC'] || env['LANG'] || 'C';
  if (/^(C|POSIX)([._].*)?$/i.test(name) || !installed(name, env)) return C_LOCALE;
  const tag = name.split(/[.@]/)[0]!.replace('_', '-');
  try {
    const parts = new Intl.NumberFormat(tag, { useGrouping: true }).formatToParts(1234567.5);
    return { group: parts.find((p) => p.type === 'group')?.value ?? '', decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.' };
  } catch {
    return C_LOCALE;
  }
}

/** printf("%.Nf") with the locale's decimal point, and grouping when `grouped` (the ' flag). */
export function fixed(v: number, decimals: number, loc: NumericLocale, grouped = false): string {
  const s = Number.isFinite(v) ? v.toFixed(decimals) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  if (!/^-?\d/.test(s)) return s;
  const [int, frac] = s.split('.');
  const neg = int!.startsWith('-');
  let digits = neg ? int!.slice(1) : int!;
  if (grouped && loc.group) digits = digits.replace(/\B(?=(\d{3})+(?!\d))/g, loc.group);
  return `${neg ? '-' : ''}${digits}${frac !== undefined ? loc.decimal + frac : ''}`;
}

/** `%-Ns` and `%Ns`. */
export const left = (s: string, w: number) => s.padEnd(w);
export const right = (s: string, w: number) => s.padStart(w);
