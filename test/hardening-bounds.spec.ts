// Hardening: APMT node and platform device caps, linear validation, and error messages that stay bounded.

import { decodeApmt, loadPlatform, MAX_APMT_NODES, MAX_PLATFORM_PMUS, parseApmt } from '@cspmu/hw';
import { describeThrown, listProblems, MAX_LISTED_PROBLEMS } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { expectCode } from './helpers/errors.js';
import { apmtOf, platformOf } from './helpers/platforms.js';

describe('Hardening: caps and bounded messages', function () {
  this.timeout(60000);

  it('a thrown value is described in at most 1000 characters, then its length', () => {
    const cut = describeThrown('x'.repeat(5000));
    expect([cut.length, cut.slice(995)]).to.deep.equal([1019, 'xxxxx… (5000 characters)']);
    expect(describeThrown(new Error('y'.repeat(1000)))).to.equal('y'.repeat(1000));
  });

  it('listProblems names the first problems, then how many more', () => {
    const many = Array.from({ length: 25 }, (_, i) => `p${i}`);
    expect(listProblems(many)).to.equal(`${many.slice(0, MAX_LISTED_PROBLEMS).join('; ')}; and 15 more`);
    expect(listProblems(['a', 'b'])).to.equal('a; b');
  });

  it(`an APMT of ${MAX_APMT_NODES} nodes boots; one node more is refused before anything is built`, async () => {
    const table = parseApmt(apmtOf(MAX_APMT_NODES));
    expect(table.violations).to.deep.equal([]);
    const over = apmtOf(MAX_APMT_NODES + 904);
    const e = expectCode(() => decodeApmt(over), 'EINVAL', `more than ${MAX_APMT_NODES} nodes (about 904 more)`);
    expect(e.message).to.contain('APMT_TOO_MANY_NODES');
    expect(parseApmt(over).table!.nodes).to.have.length(MAX_APMT_NODES);
    const m = await Machine.boot({ platform: 'arm-generic', apmt: apmtOf(MAX_APMT_NODES), installed: [] });
    expect(m.bus.allDevices().length).to.equal(MAX_APMT_NODES);
    expect(m.bus.device(`arm-cs-arch-pmu.${100 + MAX_APMT_NODES - 1}`)).to.not.equal(undefined);
  });

  it('an APMT whose every node is bad gives a bounded message: the first problems and "and K more"', () => {
    const bytes = apmtOf(2000);
    for (let i = 0; i < 2000; i++) bytes[36 + i * 56 + 3] = 9;
    const e = expectCode(() => decodeApmt(bytes), 'EINVAL', '(2001 failure(s))');
    expect(e.message).to.match(/; and 1991 more$/);
    expect(e.message.length).to.be.below(2000);
  });

  it(`a platform over ${MAX_PLATFORM_PMUS} devices is refused; one bad device among the maximum is named in a short message`, () => {
    expectCode(
      () => loadPlatform(platformOf(MAX_PLATFORM_PMUS + 1)),
      'EINVAL',
      `pmus: ${MAX_PLATFORM_PMUS + 1} PMU devices are more than the cap of ${MAX_PLATFORM_PMUS}`,
    );
    const oneBad = platformOf(MAX_PLATFORM_PMUS, (p, i) => {
      if (i === 3000) p['base0'] = 0x100000000;
    });
    const e = expectCode(() => loadPlatform(oneBad), 'EINVAL', 'pmus.3000 (p3000).base0: page 0x100000000 overlaps p0 base0');
    expect(e.message.length).to.be.below(300);
  });

  it("the review's 20,000-device platform with one bad device, under a raised cap: that device named in a short message", () => {
    const big = platformOf(20_000, (p, i) => {
      if (i === 19_995) p['base0'] = 0x100000000;
    });
    const e = expectCode(() => loadPlatform(big, { maxPmus: 20_000 }), 'EINVAL', 'pmus.19995 (p19995).base0: page 0x100000000 overlaps p0 base0');
    expect(e.message.length).to.be.below(300);
  });

  it('a platform whose every device is bad reports the first ten problems and how many more, not megabytes', () => {
    const allBad = platformOf(MAX_PLATFORM_PMUS, (p) => (p['base0'] = 0x100000000));
    const e = expectCode(() => loadPlatform(allBad), 'EINVAL', `; and ${MAX_PLATFORM_PMUS - 1 - MAX_LISTED_PROBLEMS} more`);
    expect(e.message.length).to.be.below(2000);
    const schemaBad = platformOf(MAX_PLATFORM_PMUS, (p) => (p['colour'] = 'red'));
    const s = expectCode(() => loadPlatform(schemaBad), 'EINVAL', `and ${MAX_PLATFORM_PMUS - MAX_LISTED_PROBLEMS} more`);
    expect(s.message.length).to.be.below(2000);
  });

  it('counter widths PMCFGR.SIZE cannot describe are refused by the schema, citing the rule', () => {
    for (const bits of [0, 65, -1]) {
      expectCode(
        () => loadPlatform(platformOf(1, (p) => (p['counterBits'] = bits))),
        'EINVAL',
        'PMCFGR.SIZE [13:8] holds the counter width minus one, so widths are 1 to 64 bits',
      );
    }
    for (const bits of [1, 24, 32, 33, 64]) expect(loadPlatform(platformOf(1, (p) => (p['counterBits'] = bits))).pmus[0]!.counterBits).to.equal(bits);
  });
});
