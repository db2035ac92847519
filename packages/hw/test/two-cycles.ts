// A lone device that has run two rotation cycles on counter 0 and started a third, with the model's replay service at hand.
import { PMCR, REG } from '../src/index.js';
import { replayOf, rig } from './helpers.js';

/**
 * Four counters (0-2 and the cycle counter, 31): counter 0 counts event
 * 0x11 (1 GHz) from a preload for the first half of each 2 us cycle, twice,
 * then starts a third cycle. Counter 5 does not exist; its slot would be
 * counter 0's if nothing checked.
 */
export function twoCycles() {
  const r = rig({ counters: 4 });
  const { io0, clock } = r;
  const period = 2000;
  const start = () => {
    io0.writel(0x1000, REG.PMEVCNTR);
    io0.writel(1, REG.PMCNTENSET);
  };
  io0.writel(0x11, REG.PMEVTYPER);
  io0.writel(PMCR.E, REG.PMCR);
  for (let i = 0; i < 2; i++) {
    start();
    clock.advance(period / 2);
    io0.writel(1, REG.PMCNTENCLR);
    clock.advance(period / 2);
  }
  start();
  const t = clock.now();
  const replay = replayOf(r);
  return { ...r, period, t, replay };
}
