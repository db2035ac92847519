// Multiplexing in closed form: what the record of rotations must notice before it repeats a cycle (members leaving, counters moving, an event disabled or enabled between rotations).

import { expect } from 'chai';
import { type MuxScript, runMuxScript } from './helpers/mux-script.js';

const G123 = ['event=0x1/', 'event=0x2/', 'event=0x3/'];

/** Run in closed form and stepped: the same reads after every step, the closed form really used, and the stepped run's last reads as given. */
async function expectLikeStepping(s: MuxScript, last: readonly string[]) {
  const fast = await runMuxScript(s, false);
  const slow = await runMuxScript(s, true);
  expect(slow.reads.at(-1)).to.deep.equal(last);
  expect(fast.reads).to.deep.equal(slow.reads);
  expect(fast.work, 'the closed form ran').to.be.below(slow.work);
}

describe('Multiplexing in closed form: what the rotation record must notice', function () {
  this.timeout(60000);

  it('a group member with the highest id closed between rotations: the cycle that follows differs, so the old one is not repeated', async () => {
    // Four pairs on three event counters: one pair a slice. With the last pair down to one event, it shares its slice with the first pair.
    // Closed in the first pair's slice, the next rotation looks as before (the closed member sorts last, so only the member count differs).
    await expectLikeStepping(
      {
        groups: [0, 1, 2, 3].map(() => ['event=0x1/', 'event=0x2/']),
        intervalMs: 1,
        steps: [{ to: 11_500_000 }, { op: 'close', event: 7 }, { to: 31_500_000 }],
      },
      [
        '0: 15500000 / 31500000 / 15500000',
        '1: 3875000 / 31500000 / 15500000',
        '2: 7000000 / 31500000 / 7000000',
        '3: 1750000 / 31500000 / 7000000',
        '4: 7000000 / 31500000 / 7000000',
        '5: 1750000 / 31500000 / 7000000',
        '6: 12000000 / 31500000 / 12000000',
      ],
    );
  });

  it('a pinned member closed while no flexible group counts: the next group gets a lower counter, and a later group now fits', async () => {
    // The pinned pair holds counters 0 and 1: the single 0x3 event counts on counter 2 every other slice, and the flexible pair never fits.
    // Closing the pinned member in the empty slice frees counter 1: the single event moves there (nothing else differs), and the pair fits in its turn.
    await expectLikeStepping(
      {
        groups: [['event=0x2/D', 'event=0x1/'], ['event=0x3/'], ['event=0x1/', 'event=0x2/']],
        intervalMs: 1,
        steps: [{ to: 10_500_000 }, { op: 'close', event: 1 }, { to: 30_500_000 }],
      },
      ['0: 7625000 / 30500000 / 30500000', '2: 561000 / 30500000 / 17000000', '3: 9500000 / 30500000 / 9500000', '4: 2375000 / 30500000 / 9500000'],
    );
  });

  it('a waiting group disabled at a rotation: its later turns go to the next group, not to copies of its old slices', async () => {
    // Three groups that each fill the event counters: one a slice. The third, disabled right after the first group's rotation, is skipped from then on.
    await expectLikeStepping({ groups: [G123, G123, G123], intervalMs: 1, steps: [{ to: 9_000_000 }, { op: 'disable', event: 6 }, { to: 29_000_000 }] }, [
      '0: 18000000 / 29000000 / 18000000',
      '1: 4500000 / 29000000 / 18000000',
      '2: 594000 / 29000000 / 18000000',
      '3: 9000000 / 29000000 / 9000000',
      '4: 2250000 / 29000000 / 9000000',
      '5: 297000 / 29000000 / 9000000',
      '6: 2000000 / 9000000 / 2000000',
      '7: 500000 / 29000000 / 2000000',
      '8: 66000 / 29000000 / 2000000',
    ]);
  });

  it('a disabled group enabled right after a rotation that skipped it: it counts from then on, in copies too', async () => {
    // The third group is off from the start, so the first group also takes its turns; enabled right after such a rotation, the reschedule puts it on at once.
    await expectLikeStepping(
      {
        groups: [G123, G123, G123],
        intervalMs: 1,
        steps: [{ op: 'disable', event: 6 }, { to: 14_000_000 }, { op: 'enable', event: 6 }, { to: 34_000_000 }],
      },
      [
        '0: 17000000 / 34000000 / 17000000',
        '1: 4250000 / 34000000 / 17000000',
        '2: 561000 / 34000000 / 17000000',
        '3: 10000000 / 34000000 / 10000000',
        '4: 2500000 / 34000000 / 10000000',
        '5: 330000 / 34000000 / 10000000',
        '6: 7000000 / 20000000 / 7000000',
        '7: 1750000 / 34000000 / 7000000',
        '8: 231000 / 34000000 / 7000000',
      ],
    );
  });
});
