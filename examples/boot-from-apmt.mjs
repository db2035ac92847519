// Boot a machine from a binary APMT, as firmware would hand it over, and check a corrupt one as fwts would.
// Run: node examples/boot-from-apmt.mjs   (after npm run build)
import { apmtNodesOf, buildApmt, builtinPlatform, decodeApmt, describeApmt, loadPlatform, parseApmt, verdictLines } from '@cspmu/hw';
import { Machine } from '@cspmu/system';

const bytes = buildApmt(apmtNodesOf(loadPlatform(builtinPlatform('grace'))));
console.log(`# an APMT of ${bytes.length} bytes:`);
console.log(describeApmt(decodeApmt(bytes)));
const m = await Machine.boot({ platform: 'grace', apmt: bytes });
console.log(
  `# booted from it: ${m.driver
    .bindings()
    .map((b) => b.pmu)
    .join(', ')}`,
);

const bad = bytes.slice();
bad[36 + 3] = 9; // node 0: a reserved node type (fwts fails it)
bad[36 + 56 + 2] |= 0x80; // node 1: a reserved flag bit (fwts fails it)
console.log('# a corrupt copy, every finding listed:');
for (const line of verdictLines(parseApmt(bad).violations)) console.log(`  ${line}`);
// The kernel ignores what fwts fails here: it warns about the checksum and boots (NVIDIA names node 0 from its product, not its type).
const b = await Machine.boot({ platform: 'grace', apmt: bad });
console.log(
  `# the kernel boots it anyway: ${b.driver.bindings().length} PMUs bound; node 0: ${b.bus.device('arm-cs-arch-pmu.0').bound ? 'bound' : 'probe failed'}`,
);
for (const r of b.kernel.log.atLeast('warn').filter((r) => r.subsystem === 'ACPI')) console.log(`  ${r.subsystem}: ${r.message}`);

const unwalkable = bytes.slice();
unwalkable[36 + 56 * 2] = 0; // node 2 has length 0: no kernel can walk past it
try {
  await Machine.boot({ platform: 'grace', apmt: unwalkable });
} catch (e) {
  console.log(`# a table the kernel cannot walk is refused: ${e.message.split(':').slice(0, 2).join(':')}`);
}
