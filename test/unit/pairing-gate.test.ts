// The pairing gate: a find is matched against the bans only after a feed read that began after it,
// so a ban another process wrote just before the find keeps that person out; the finds of one
// event-loop turn share that read and are answered together, in order; a read that fails pairs
// nobody; one waiter's failure leaves the others answered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BanIndex, type Ban } from '../../server/moderation/ban-index.ts';
import { banRecord } from '../helpers/bans.ts';
import { FeedUnavailableError, PairingGate, type FeedCatchUp, type PairingWaiter } from '../../server/moderation/pairing-gate.ts';

function ban(deviceId: string): Ban {
  return banRecord('device', deviceId, 'no_matching', { id: `ban-${deviceId}` });
}

/** A feed whose reads the test ends by hand: callers of one turn share a read, as ModerationFeed's do. */
function manualFeed(): FeedCatchUp & { reads: number; finish(ok: boolean, during?: () => void): Promise<void> } {
  let pending: { promise: Promise<boolean>; resolve: (ok: boolean) => void } | undefined;
  const feed = {
    reads: 0,
    catchUp(): Promise<boolean> {
      if (!pending) {
        feed.reads++;
        let resolve!: (ok: boolean) => void;
        const promise = new Promise<boolean>((done) => (resolve = done));
        pending = { promise, resolve };
      }
      return pending.promise;
    },
    async finish(ok: boolean, during?: () => void): Promise<void> {
      const read = pending!;
      pending = undefined;
      during?.();
      read.resolve(ok);
      await read.promise;
      await Promise.resolve();
    },
  };
  return feed;
}

function waiter(deviceId: string, log: string[], fail = false): PairingWaiter {
  return {
    participant: { deviceId },
    admitted(turn, found) {
      log.push(`${deviceId}#${turn}:${found ? found.id : 'clear'}`);
      if (fail) throw new Error('a waiter failed');
    },
    refused(turn, error) {
      assert.instance(error, FeedUnavailableError);
      log.push(`${deviceId}#${turn}:refused`);
    },
  };
}

test('finds that share a read are answered after it, in order, against the bans it brought', async () => {
  const index = new BanIndex(() => 0);
  const feed = manualFeed();
  const gate = new PairingGate({ feed, index });
  const log: string[] = [];
  gate.ask(waiter('d1', log), 1);
  gate.ask(waiter('d2', log), 1);
  gate.ask(waiter('d1', log), 2);
  await Promise.resolve();
  assert.equal(log, [], 'nobody is answered before the read');
  assert.is(feed.reads, 1, 'one read for the three');
  // The read brings a ban written by another process just before these finds.
  await feed.finish(true, () => index.put(ban('d2')));
  assert.equal(log, ['d1#1:clear', 'd2#1:ban-d2', 'd1#2:clear']);
});

test('a find while a read is running waits for the next read', async () => {
  const index = new BanIndex(() => 0);
  const feed = manualFeed();
  const gate = new PairingGate({ feed, index });
  const log: string[] = [];
  gate.ask(waiter('d1', log), 1);
  await feed.finish(true, () => {
    // Asked during the first read, which may have begun before it: the first read does not answer it.
    gate.ask(waiter('d3', log), 1);
  });
  assert.equal(log, ['d1#1:clear']);
  await feed.finish(true, () => index.put(ban('d3')));
  assert.equal(log, ['d1#1:clear', 'd3#1:ban-d3']);
  assert.is(feed.reads, 2);
});

test('a read that fails pairs nobody; a waiter that throws does not keep the others waiting', async () => {
  const index = new BanIndex(() => 0);
  const feed = manualFeed();
  const gate = new PairingGate({ feed, index });
  const log: string[] = [];
  gate.ask(waiter('d1', log), 1);
  gate.ask(waiter('d2', log), 4);
  await feed.finish(false);
  assert.equal(log, ['d1#1:refused', 'd2#4:refused']);

  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on('unhandledRejection', onRejection);
  try {
    gate.ask(waiter('d1', log, true), 2);
    gate.ask(waiter('d2', log), 5);
    await feed.finish(true);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onRejection);
  }
  assert.equal(log.slice(2), ['d1#2:clear', 'd2#5:clear']);
  assert.is((failures[0] as Error | undefined)?.message, 'a waiter failed', 'the failure is not swallowed');
});

test.run();
