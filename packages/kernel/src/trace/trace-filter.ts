// Compiling tracefs filter expressions (`field == value && ...`, globs on strings) into predicates over ring records.
import { describeValue, kerr } from '../base/errors.js';
import { compileGlob } from '../base/glob.js';
import type { WorkCounter } from '../time/work.js';

/**
 * A field of a trace event: any number (`num`, a double in the record), an
 * unsigned 32-bit integer (`u32`, one word: other values are kept modulo
 * 2^32), a 64-bit value given as two slots (low, high), or an interned string.
 */
export interface TraceField {
  readonly name: string;
  readonly kind: 'num' | 'u32' | 'u64' | 'str';
}

export type SlotPredicate = (s: Float64Array, base: number) => boolean;

type Tok = { t: 'id' | 'num' | 'str' | 'op' | '(' | ')' | '&&' | '||'; v: string; col: number };

function tokenize(expr: string): Tok[] {
  const toks: Tok[] = [];
  const re = /\s*(?:(\|\||&&)|(==|!=|<=|>=|<|>|&|~)|(\()|(\))|(0x[0-9a-fA-F]+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|"((?:[^"\\]|\\.)*)")/y;
  let i = 0;
  while (i < expr.length) {
    if (/^\s*$/.test(expr.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(expr);
    if (!m) throw kerr('EINVAL', `trace filter: unexpected text at column ${i + 1}: '${expr.slice(i)}'`);
    const col = i + 1;
    if (m[1]) toks.push({ t: m[1] as '&&' | '||', v: m[1], col });
    else if (m[2]) toks.push({ t: 'op', v: m[2], col });
    else if (m[3]) toks.push({ t: '(', v: '(', col });
    else if (m[4]) toks.push({ t: ')', v: ')', col });
    else if (m[5]) toks.push({ t: 'num', v: m[5], col });
    else if (m[6]) toks.push({ t: 'id', v: m[6], col });
    else toks.push({ t: 'str', v: m[7]!.replace(/\\(.)/g, '$1'), col });
    i = re.lastIndex;
  }
  return toks;
}

/**
 * Compile an ftrace-style filter (`width == 32 && addr >= 0x1000`,
 * `caller ~ "arm_cspmu_*"`) over an event's fields into a predicate on its
 * record slots. Strings compare by their interned text.
 */
export function compileTraceFilter(expr: string, fields: readonly TraceField[], stringOf: (id: number) => string, work?: WorkCounter): SlotPredicate {
  if (typeof expr !== 'string') throw kerr('EINVAL', `a trace filter must be a string, got ${describeValue(expr)}`);
  const toks = tokenize(expr);
  let p = 0;
  const peek = () => toks[p];
  const slotOf = new Map<string, { slot: number; kind: TraceField['kind'] }>();
  let slot = 0;
  for (const f of fields) {
    slotOf.set(f.name, { slot, kind: f.kind });
    slot += f.kind === 'u64' ? 2 : 1;
  }
  const expect = (t: Tok['t']): Tok => {
    const tok = toks[p];
    if (!tok || tok.t !== t) {
      throw kerr('EINVAL', `trace filter: expected ${t} at ${tok ? `column ${tok.col} ('${tok.v}')` : 'the end'} in '${expr}'`);
    }
    p++;
    return tok;
  };
  const primary = (): SlotPredicate => {
    if (peek()?.t === '(') {
      p++;
      const inner = orExpr();
      expect(')');
      return inner;
    }
    const id = expect('id');
    const field = slotOf.get(id.v);
    if (!field) {
      throw kerr('EINVAL', `trace filter: unknown field '${id.v}' at column ${id.col}; fields are ${[...slotOf.keys()].join(', ')}`);
    }
    const op = expect('op').v;
    const valTok = toks[p++];
    if (!valTok || (valTok.t !== 'num' && valTok.t !== 'str')) {
      throw kerr('EINVAL', `trace filter: expected a value after '${id.v} ${op}' in '${expr}'`);
    }
    const s = field.slot;
    if (field.kind === 'str') {
      if (valTok.t !== 'str') throw kerr('EINVAL', `trace filter: field '${id.v}' is a string; quote the value`);
      const want = valTok.v;
      if (op === '==') return (r, b) => stringOf(r[b + s]!) === want;
      if (op === '!=') return (r, b) => stringOf(r[b + s]!) !== want;
      if (op === '~') {
        const glob = compileGlob(want, work);
        return (r, b) => glob.test(stringOf(r[b + s]!));
      }
      throw kerr('EINVAL', `trace filter: operator '${op}' does not apply to string field '${id.v}'; use ==, != or ~`);
    }
    if (valTok.t !== 'num') throw kerr('EINVAL', `trace filter: field '${id.v}' is numeric; give a number`);
    const v = Number(valTok.v);
    const get = field.kind === 'u64' ? (r: Float64Array, b: number) => r[b + s + 1]! * 4294967296 + r[b + s]! : (r: Float64Array, b: number) => r[b + s]!;
    switch (op) {
      case '==':
        return (r, b) => get(r, b) === v;
      case '!=':
        return (r, b) => get(r, b) !== v;
      case '<':
        return (r, b) => get(r, b) < v;
      case '<=':
        return (r, b) => get(r, b) <= v;
      case '>':
        return (r, b) => get(r, b) > v;
      case '>=':
        return (r, b) => get(r, b) >= v;
      case '&':
        return (r, b) => Number(BigInt(Math.trunc(get(r, b))) & BigInt(v)) !== 0;
      default:
        throw kerr('EINVAL', `trace filter: operator '${op}' does not apply to numeric field '${id.v}'`);
    }
  };
  const andExpr = (): SlotPredicate => {
    let left = primary();
    while (peek()?.t === '&&') {
      p++;
      const l = left,
        r = primary();
      left = (s, b) => l(s, b) && r(s, b);
    }
    return left;
  };
  const orExpr = (): SlotPredicate => {
    let left = andExpr();
    while (peek()?.t === '||') {
      p++;
      const l = left,
        r = andExpr();
      left = (s, b) => l(s, b) || r(s, b);
    }
    return left;
  };
  if (toks.length === 0) throw kerr('EINVAL', 'trace filter: empty expression; use clearFilter() to remove a filter');
  const pred = orExpr();
  if (p !== toks.length) throw kerr('EINVAL', `trace filter: unexpected '${toks[p]!.v}' at column ${toks[p]!.col} in '${expr}'`);
  return pred;
}
