// Overflow storms with too many phases to follow: their cycles counted by a walker scanning the nanoseconds, whose moves are multiplied along the phase rotation's Euclid expansion.

/**
 * What a run of nanoseconds does to the walker, from each state it may enter
 * in. The walker's state is how many ns remain until the next cycle starts
 * (0: one starts in this ns); a cycle that starts in a ns lasts `short` ns,
 * or one more if that ns is long (its phase is below theta).
 */
export interface Moves {
  /** The state the run leaves the walker in. */
  readonly next: Int32Array;
  /** Cycles that start within the run. */
  readonly cycles: Float64Array;
  /** Of those, the long ones. */
  readonly longs: Float64Array;
  /** Whether the last cycle started within the run was long (1) or short (0); -1 if none started. */
  readonly lastLong: Int8Array;
}

/** The walker's moves for cycles of `short` or `short + 1` ns: one state per ns a cycle may still have to run. */
export class WalkerMoves {
  readonly states: number;
  /** State entries combined so far: the work done. */
  work = 0;

  constructor(readonly short: number) {
    this.states = short + 1;
  }

  private blank(): Moves {
    const n = this.states;
    return { next: new Int32Array(n), cycles: new Float64Array(n), longs: new Float64Array(n), lastLong: new Int8Array(n) };
  }

  /** One ns: long (its cycle, if one starts in it, lasts short + 1 ns) or not. */
  letter(long: boolean): Moves {
    const w = long ? 1 : 0;
    const m = this.blank();
    for (let s = 1; s < this.states; s++) {
      m.next[s] = s - 1;
      m.lastLong[s] = -1;
    }
    m.next[0] = this.short - 1 + w;
    m.cycles[0] = 1;
    m.longs[0] = w;
    m.lastLong[0] = w;
    return m;
  }

  identity(): Moves {
    const m = this.blank();
    for (let s = 0; s < this.states; s++) {
      m.next[s] = s;
      m.lastLong[s] = -1;
    }
    return m;
  }

  /** a's run, then b's. */
  times(a: Moves, b: Moves): Moves {
    const m = this.blank();
    for (let s = 0; s < this.states; s++) {
      const e = a.next[s]!;
      m.next[s] = b.next[e]!;
      m.cycles[s] = a.cycles[s]! + b.cycles[e]!;
      m.longs[s] = a.longs[s]! + b.longs[e]!;
      m.lastLong[s] = b.lastLong[e]! >= 0 ? b.lastLong[e]! : a.lastLong[s]!;
    }
    this.work += this.states;
    return m;
  }

  /** a's run `times` times over (times a whole number below 2^53). */
  power(a: Moves, times: number): Moves {
    let result: Moves | undefined;
    let base = a;
    for (let e = times; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) result = result ? this.times(result, base) : base;
      if (e > 1) base = this.times(base, base);
    }
    return result ?? this.identity();
  }
}

/** ceil(a / b) for integers a (|a| < 2^53) and b > 0: the quotient of such doubles rounds to an integer only when it is one. */
function ceilDiv(a: number, b: number): number {
  return -Math.floor(-a / b);
}

/** A circle of q phases cut into arcs [starts[i], starts[i+1]) (the last up to q), each with the moves of one visit. */
class Arcs {
  constructor(
    readonly q: number,
    readonly starts: readonly number[],
    readonly values: readonly Moves[],
  ) {}

  valueAt(phase: number): Moves {
    let i = this.starts.length - 1;
    while (this.starts[i]! > phase) i--;
    return this.values[i]!;
  }

  /** The same circle read backwards (phase x becomes q - 1 - x), so a rotation by r becomes one by q - r. */
  reflect(): Arcs {
    const starts: number[] = [];
    const values: Moves[] = [];
    for (let i = this.starts.length - 1; i >= 0; i--) {
      starts.push(this.q - (this.starts[i + 1] ?? this.q));
      values.push(this.values[i]!);
    }
    return new Arcs(this.q, starts, values);
  }

  /** The moves of visiting phase, phase + r, ..., `len` phases in all, none past q. */
  run(moves: WalkerMoves, r: number, phase: number, len: number): Moves {
    let result: Moves | undefined;
    for (let i = 0; i < this.starts.length; i++) {
      const from = Math.min(len, Math.max(0, ceilDiv(this.starts[i]! - phase, r)));
      const to = Math.min(len, Math.max(0, ceilDiv((this.starts[i + 1] ?? this.q) - phase, r)));
      if (to === from) continue;
      const part = moves.power(this.values[i]!, to - from);
      result = result ? moves.times(result, part) : part;
    }
    return result ?? moves.identity();
  }

  /**
   * Stepping by r < q, the phases climb from a start in [0, r) to the wrap past q: such a climb's moves, as
   * arcs over its start. They change only where a cut lies (mod r) or where the climb's length does (q mod r).
   */
  climbs(moves: WalkerMoves, r: number): Arcs {
    const cuts = [...new Set([0, this.q % r, ...this.starts.map((s) => s % r)])].sort((a, b) => a - b);
    return new Arcs(
      r,
      cuts,
      cuts.map((c) => this.run(moves, r, c, ceilDiv(this.q - c, r))),
    );
  }
}

/**
 * The moves of `len` visits to phases phase, phase + r, phase + 2r, ... (mod q), each with its arc's moves.
 * Grouping the visits into climbs from one wrap past q to the next turns them into visits on a circle of r
 * phases stepping by -q mod r (read backwards when that is over half of r): the circle at least halves at
 * each level, as in Euclid's algorithm, so this takes O(log q) levels of a few powers each.
 */
function visits(moves: WalkerMoves, arcs: Arcs, r: number, phase: number, len: number): Moves {
  if (len === 0) return moves.identity();
  if (r === 0) return moves.power(arcs.valueAt(phase), len);
  const q = arcs.q;
  if (2 * r > q) return visits(moves, arcs.reflect(), q - r, q - 1 - phase, len);
  const first = ceilDiv(q - phase, r);
  if (len <= first) return arcs.run(moves, r, phase, len);
  const prefix = arcs.run(moves, r, phase, first);
  const climbStart = phase + first * r - q;
  const rest = len - first;
  // Whole climbs within the rest, and where the last (partial) one starts: past 2^53, so in BigInt.
  const [bq, br, bStart] = [BigInt(q), BigInt(r), BigInt(climbStart)];
  const wraps = (br * BigInt(rest) + bStart) / bq;
  const lastAt = (wraps * bq - bStart + br - 1n) / br;
  const lastPhase = Number(bStart + br * lastAt - wraps * bq);
  const middle = visits(moves, arcs.climbs(moves, r), (r - (q % r)) % r, climbStart, Number(wraps));
  const suffix = arcs.run(moves, r, lastPhase, rest - Number(lastAt));
  return moves.times(moves.times(prefix, middle), suffix);
}

/** The cycles a scan found: how many end within the limit, when the last of them ends, and the work it took. */
export interface ScannedCycles {
  readonly k: number;
  readonly ns: number;
  readonly work: number;
}

/**
 * From a cycle starting at `phase` (of d) at n/d events a ns, where a cycle starting at a phase below theta
 * (< d) lasts short + 1 ns and otherwise short ns (short >= 1): the cycles that end within `limitNs` (a whole
 * number below 2^53). The walker scans ns 0 .. limitNs - 1, the ns at t being long when (phase + n t) mod d < theta.
 */
export function scanCycles(n: number, d: number, phase: number, theta: number, short: number, limitNs: number): ScannedCycles {
  const moves = new WalkerMoves(short);
  const arcs = new Arcs(d, [0, theta], [moves.letter(true), moves.letter(false)]);
  const all = visits(moves, arcs, n % d, phase, limitNs);
  const started = all.cycles[0]!;
  // A cycle due to start at the limit means the last one ended exactly there.
  if (all.next[0] === 0) return { k: started, ns: limitNs, work: moves.work };
  return { k: started - 1, ns: (started - 1) * short + all.longs[0]! - all.lastLong[0]!, work: moves.work };
}

/**
 * How many multiplications of moves scanCycles makes for these arguments, whatever `short` is: the Euclid
 * expansion and the powers along it depend only on the rotation, theta, the phase and the limit. Found by
 * the same scan with two states (short = 1), so its work is twice the count; that dry run costs as much.
 */
export function scanMultiplications(n: number, d: number, phase: number, theta: number, limitNs: number): number {
  return scanCycles(n, d, phase, theta, 1, limitNs).work / 2;
}
