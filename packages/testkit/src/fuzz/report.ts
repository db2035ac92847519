// How a fuzz failure is classified: by the kernel mechanism that would have caught it.

/** The report kinds of the emulated kernel's checkers, plus a broken model invariant. */
export type ReportKind = 'kasan' | 'refcount' | 'lockdep' | 'torn-read' | 'invariant';

/** A failed invariant whose kind is known where it is detected. */
export class FuzzFailure extends Error {
  constructor(
    readonly kind: ReportKind,
    message: string,
  ) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

/** The kind of report a failure is: from its FuzzFailure kind, else from the checker's words in its message. */
export function classifyFailure(error: unknown): ReportKind {
  if (error instanceof FuzzFailure) return error.kind;
  const text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  if (/use-after-free|KASAN/i.test(text)) return 'kasan';
  if (/refcount_t|refcount/i.test(text)) return 'refcount';
  if (/lockdep|possible (circular|recursive) locking|possible deadlock/i.test(text)) return 'lockdep';
  if (/torn read/i.test(text)) return 'torn-read';
  return 'invariant';
}
