// Preloaded into a cspmu CLI run (node --import): records the JS stack at the first PMCNTENSET write a device model sees, and prints it at exit.
import { CspmuModel } from '@cspmu/hw';

Error.stackTraceLimit = Infinity;
const device = process.env['CSPMU_WALK_DEVICE'] ?? 'scf0';
let stack: string | undefined;
const proto = CspmuModel.prototype as unknown as { enableWritten(this: CspmuModel, r: number, old: number): void };
const original = proto.enableWritten;
/** PMCNTENSET's word offset: a write that leaves an enable bit set is the one that starts a counter. */
const PMCNTENSET_WORD = 0xc00 >> 2;
proto.enableWritten = function (this: CspmuModel, r: number, old: number) {
  if (stack === undefined && this.config.label === device && this.page0.state[PMCNTENSET_WORD + r] !== 0) stack = new Error('walk').stack;
  return original.call(this, r, old);
};
process.on('exit', () => process.stderr.write(`CSPMU-WALK ${JSON.stringify(stack ?? null)}\n`));
