// Boot a machine from a binary APMT, as firmware would hand it over, and check a corrupt one.
// Run: node examples/boot-from-apmt.mjs   (after npm run build)
import { apmtNodesOf, buildApmt, describeApmt, decodeApmt, loadPlatform, builtinPlatform, parseApmt, formatViolation } from '@cspmu/hw';
import { Machine } from '@cspmu/system';

const bytes = buildApmt(apmtNodesOf(loadPlatform(builtinPlatform('grace'))));
console.log(`# an APMT of ${bytes.length} bytes:`);
console.log(describeApmt(decodeApmt(bytes)));
const m = await Machine.boot({ platform: 'grace', apmt: bytes });
console.log(`# booted from it: ${m.driver.bindings().map((b) => b.pmu).join(', ')}`);

const bad = bytes.slice();
bad[36 + 3] = 9; // node 0: a reserved node type
bad[36 + 56 + 2] |= 0x80; // node 1: a reserved flag bit
console.log('# a corrupt copy, every violation listed:');
for (const v of parseApmt(bad).violations) console.log(`  ${formatViolation(v)}`);
try {
  await Machine.boot({ platform: 'grace', apmt: bad });
} catch (e) {
  console.log(`# booting from it fails cleanly: ${e.message.split(':').slice(0, 2).join(':')}`);
}
