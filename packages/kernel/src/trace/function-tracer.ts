// The function tracer: one trace-ring record per call at the sites it is attached to.
import type { KernelError } from '../base/errors.js';
import type { CallSite, SiteTracer } from './callsites.js';
import type { TraceFs, Tracepoint } from './tracing.js';

/**
 * A tracer that writes one record per call into the trace ring:
 * `site target event=N dur=Nns ret=R` (or `errno=E`).
 */
export class FunctionTracer implements SiteTracer {
  private readonly tp: Tracepoint;
  released = false;

  constructor(
    private readonly fs: TraceFs,
    readonly name = 'function',
  ) {
    this.tp = fs.define({
      system: 'ftrace',
      name: 'callsite',
      fields: [
        { name: 'site', kind: 'str' },
        { name: 'target', kind: 'str' },
        { name: 'event', kind: 'num' },
        { name: 'dur', kind: 'num' },
        { name: 'ret', kind: 'num' },
        { name: 'errno', kind: 'str' },
      ],
      format: (r) => {
        const err = r.str('errno');
        const ev = r.num('event');
        return `${r.str('site')} ${r.str('target')}${ev >= 0 ? ` event=${ev}` : ''} dur=${r.num('dur')}ns ${err ? `errno=${err}` : `ret=${r.num('ret')}`}`;
      },
    });
    this.tp.enabled = true;
  }

  onCall(site: CallSite, target: string, argId: number, durationNs: number, result: unknown, error: KernelError | undefined): void {
    const s = this.fs.strings;
    this.tp.emit(
      s.intern(site.name),
      s.intern(target),
      argId,
      Math.round(durationNs),
      typeof result === 'number' ? result : 0,
      s.intern(error ? error.code : ''),
    );
  }

  release(): void {
    this.released = true;
  }
}
