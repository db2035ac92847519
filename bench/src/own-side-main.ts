// One round of our side of a kernel-relative figure, alone in its process: `node --expose-gc own-side-main.js <id> <n> <loops> <warmLoops>` prints one JSON line (see own-side.ts).
import type { LoopCounts } from './kernel-ref.js';
import { OWN_SIDE_FIGURES, type OwnSideFigure, type OwnSideRound } from './own-side.js';
import { alternate } from './stats.js';

/** Alternating pairs (raw, then readl) in one mmio_off round. */
const MMIO_OFF_PAIRS = 5;

async function measureRound(id: OwnSideFigure, counts: LoopCounts): Promise<OwnSideRound> {
  // Loaded once the arguments are known to be good: a refusal need not load the whole stack.
  const { mmio, openClose, readPath } = await import('./micro.js');
  switch (id) {
    case 'mmio_on':
      return { id, ns: await (await mmio(counts)).on(), pid: process.pid };
    case 'read_path': {
      const rp = await readPath(counts);
      const ns = await rp.readq();
      return { id, ns, hilohiNs: await rp.hilohi(), pid: process.pid };
    }
    case 'open_close':
      return { id, ns: await (await openClose(counts))(), pid: process.pid };
    case 'mmio_off': {
      const mm = await mmio(counts);
      const r = await alternate(mm.raw, mm.off, MMIO_OFF_PAIRS);
      return { id, ns: r.b.median, rawNs: r.a.median, ratio: r.ratio.median, pid: process.pid };
    }
  }
}

const [id, ...rest] = process.argv.slice(2);
const [n, loops, warmLoops] = rest.map(Number);
const whole = (x: number | undefined): x is number => x !== undefined && Number.isSafeInteger(x) && x > 0;
if (!OWN_SIDE_FIGURES.includes(id as OwnSideFigure) || rest.length !== 3 || !whole(n) || !whole(loops) || !whole(warmLoops)) {
  process.stderr.write(
    `usage: node --expose-gc own-side-main.js ${OWN_SIDE_FIGURES.join('|')} N LOOPS WARM-LOOPS (each an integer ≥ 1); got: ${process.argv.slice(2).join(' ')}\n`,
  );
  process.exit(2);
}
if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  process.stderr.write('own-side-main.js needs node --expose-gc: each round settles its heap before the warm-up\n');
  process.exit(2);
}
const round = await measureRound(id as OwnSideFigure, { n, loops, warmLoops });
process.stdout.write(`${JSON.stringify(round)}\n`);
// A booted machine may keep timers: the round is over once it is printed.
process.exit(0);
