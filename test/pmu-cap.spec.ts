// The cap on PMU devices (platform files and APMT nodes) and the maxPmus option that raises it: in the library, Machine.boot and the CLI.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APMT_HEADER_LENGTH, APMT_NODE_LENGTH, DEFAULT_MAX_PMUS, decodeApmt, loadPlatform, MAX_PMUS_CEILING, parseApmt } from '@cspmu/hw';
import { Machine, type MachineOptions } from '@cspmu/system';
import { expect } from 'chai';
import { cspmu, oneLineError } from './helpers/cli.js';
import { expectCode, rejects } from './helpers/errors.js';
import { apmtOf, platformOf } from './helpers/platforms.js';

const RAISE = 'raise the cap with the maxPmus option (Machine.boot({ maxPmus }), cspmu --max-pmus N)';

describe('The PMU device cap and the maxPmus option', function () {
  this.timeout(60000);

  it(`a platform over the default cap (${DEFAULT_MAX_PMUS}) is refused naming the cap and the option; maxPmus raises it`, () => {
    const over = platformOf(DEFAULT_MAX_PMUS + 1);
    expectCode(() => loadPlatform(over), 'EINVAL', `pmus: ${DEFAULT_MAX_PMUS + 1} PMU devices are more than the cap of ${DEFAULT_MAX_PMUS}; ${RAISE}`);
    expect(loadPlatform(over, { maxPmus: DEFAULT_MAX_PMUS + 1 }).pmus).to.have.length(DEFAULT_MAX_PMUS + 1);
    // The cap is checked before the schema: one bad device among too many is not validated at all.
    const overAndBad = platformOf(DEFAULT_MAX_PMUS + 1, (p, i) => i === 7 && (p['colour'] = 'red'));
    expectCode(() => loadPlatform(overAndBad), 'EINVAL', 'PMU devices are more than the cap');
  });

  it('an APMT over the cap is refused naming the cap and the option; maxPmus reads every node', () => {
    const bytes = apmtOf(6);
    const e = expectCode(
      () => decodeApmt(bytes, { maxPmus: 4 }),
      'EINVAL',
      `the table holds more than 4 nodes (about 2 more); the rest are not read; ${RAISE}`,
    );
    expect(e.message).to.contain('APMT_TOO_MANY_NODES');
    expect(parseApmt(bytes, { maxPmus: 4 }).table!.nodes).to.have.length(4);
    expect(decodeApmt(bytes, { maxPmus: 6 }).nodes).to.have.length(6);
  });

  it('Machine.boot: over the cap is EINVAL before anything is built; with maxPmus the machine boots every device', async () => {
    const e = await rejects(Machine.boot({ platform: platformOf(DEFAULT_MAX_PMUS + 1), installed: [] }));
    expect(e.code).to.equal('EINVAL');
    expect(e.message).to.contain(`more than the cap of ${DEFAULT_MAX_PMUS}; ${RAISE}`);
    const small = await rejects(Machine.boot({ platform: platformOf(3), installed: [], maxPmus: 2 }));
    expect(small.message).to.contain(`pmus: 3 PMU devices are more than the cap of 2; ${RAISE}`);
    const m = await Machine.boot({ platform: platformOf(3), installed: [], maxPmus: 3 });
    expect(m.driver.instances.size).to.equal(3);
  });

  it('Machine.boot: the cap applies to a given APMT too, and maxPmus raises it past the default', async () => {
    const e = await rejects(Machine.boot({ platform: platformOf(1), apmt: apmtOf(5), maxPmus: 4, installed: [] }));
    expect(e.code).to.equal('EINVAL');
    expect(e.message).to.contain('more than 4 nodes (about 1 more)');
    const over = apmtOf(DEFAULT_MAX_PMUS + 1);
    expect((await rejects(Machine.boot({ platform: platformOf(1), apmt: over, installed: [] }))).message).to.contain(
      `more than ${DEFAULT_MAX_PMUS} nodes (about 1 more)`,
    );
    const m = await Machine.boot({ platform: platformOf(1), apmt: over, maxPmus: DEFAULT_MAX_PMUS + 1, installed: [] });
    expect(m.bus.allDevices()).to.have.length(DEFAULT_MAX_PMUS + 1);
  });

  it('maxPmus must be a whole number from 1 to the most nodes an APMT can hold', async () => {
    expect(MAX_PMUS_CEILING).to.equal(Math.floor((2 ** 32 - 1 - APMT_HEADER_LENGTH) / APMT_NODE_LENGTH));
    const bad: unknown[] = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_PMUS_CEILING + 1, '10', null, {}];
    for (const maxPmus of bad) {
      const e = await rejects(Machine.boot({ platform: platformOf(1), installed: [], maxPmus } as unknown as MachineOptions));
      expect(e.code, String(maxPmus)).to.equal('EINVAL');
      expect(e.message).to.match(new RegExp(`^EINVAL: maxPmus: .* is not a whole number from 1 to ${MAX_PMUS_CEILING} \\(the most nodes an APMT can hold\\)$`));
    }
    expect(loadPlatform(platformOf(1), { maxPmus: MAX_PMUS_CEILING }).pmus).to.have.length(1);
  });

  it('cspmu --max-pmus sets the cap for platform files, apmt build and check, and booted machines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cspmu-cap-'));
    const file = join(dir, 'three.json');
    writeFileSync(file, JSON.stringify(platformOf(3)));
    const build = cspmu(['--max-pmus', '3', 'apmt', 'build', file]);
    expect(build.status, build.stderr).to.equal(0);
    expect(build.stdout.length).to.equal(APMT_HEADER_LENGTH + 3 * APMT_NODE_LENGTH);
    expect(oneLineError(cspmu(['--max-pmus', '2', 'apmt', 'build', file]))).to.equal(
      `cspmu: EINVAL: platform 'arm-generic': pmus: 3 PMU devices are more than the cap of 2; ${RAISE}`,
    );
    const table = join(dir, 'three.apmt');
    writeFileSync(table, Buffer.from(build.stdout, 'latin1'));
    const refused = cspmu(['--max-pmus', '2', 'apmt', 'check', table]);
    expect(refused.status).to.equal(1);
    expect(refused.stdout).to.contain('the table holds more than 2 nodes (about 1 more)');
    const passed = cspmu(['--max-pmus', '3', 'apmt', 'check', table]);
    expect(passed.stdout).to.contain('PASSED');
    expect(passed.stdout).to.contain('3 node(s)');
    expect(oneLineError(cspmu(['--max-pmus', '2', 'list', '--platform', file]))).to.contain('3 PMU devices are more than the cap of 2');
    const listed = cspmu(['--max-pmus', '3', 'list', '--platform', file]);
    expect(listed.status, listed.stderr).to.equal(0);
    for (const bad of ['abc', '0']) expect(oneLineError(cspmu(['--max-pmus', bad, 'list']))).to.contain('EINVAL');
  });
});
