// Scenario 4, churn: a minute of a realistic mix over the whole population. Each person finds
// (text or video, with or without interests), talks (typing, messages, an offer/answer and
// candidates in video), skips after ~20 s on average (mostly `next`, sometimes `leave`, now and
// then a `report`), and reconnects now and then (a clean close or a dropped connection, keeping
// their device). Afterwards everyone leaves and the server's own figures must show no queue
// entry and no conversation left: anything else is a leak. Errors must be zero; a `not_matched`
// for a frame that crossed the partner's `ended` is the protocol working and is counted apart.
import type { ServerMessage } from '../../server/protocol/messages.ts';
import type { BenchContext, LoopDelay } from '../lib/context.ts';
import { candidate, logWatch, pick, randomExp, SENTENCES, sessionDescription, loopDelayOf } from '../lib/context.ts';
import { CpuMeter, type CpuFigures } from '../lib/proc.ts';
import { type BenchClient, type SettleResult } from '../lib/population.ts';
import { sleep, waitFor } from '../lib/stats.ts';

export interface ChurnResult {
  seconds: number;
  population: number;
  /** What the simulated people did and heard. */
  actions: Record<string, number>;
  eventLoop: LoopDelay;
  cpu: CpuFigures;
  /** The server's live figures every few seconds. */
  timeline: Array<{ at: number; online: number; queued: number; conversations: number }>;
  /** Broken invariants seen by the clients (two initiators, a self-pairing, a pairing across bands or modes). */
  invariantViolations: number;
  /**
   * Conversations only one side ever heard of that the server never ended: a partner who had
   * already gone (a queue entry that outlived its disconnect), seen from the survivor.
   */
  ghostMatches: number;
  /** Partners of people who disconnected mid-conversation that were never told (`ended`). */
  unnoticedDisconnects: number;
  reportsUnacknowledged: number;
  settle: SettleResult;
  errors: Record<string, number>;
  errorCount: number;
  crossedEnds: number;
  serverLogSample: string[];
}

type Phase = 'connecting' | 'idle' | 'finding' | 'matched' | 'reporting';

interface Person {
  slot: number;
  client: BenchClient | undefined;
  phase: Phase;
  conversationId?: string;
  mode: 'text' | 'video';
  interests: string[];
  actTimer?: NodeJS.Timeout;
  chatTimer?: NodeJS.Timeout;
  endTimer?: NodeJS.Timeout;
  reconnectTimer?: NodeJS.Timeout;
}

const INTERESTS = [
  'music', 'chess', 'football', 'anime', 'books', 'gaming', 'art', 'science', 'movies', 'cooking',
  'travel', 'history', 'coding', 'dogs', 'cats', 'hiking', 'guitar', 'piano', 'drawing', 'dance',
  'space', 'maths', 'languages', 'fashion', 'photography', 'basketball', 'swimming', 'theatre', 'poetry', 'robots',
];
const REASONS = ['nudity', 'minor', 'harassment', 'hate', 'spam', 'illegal', 'other'] as const;

export async function runChurn(ctx: BenchContext): Promise<ChurnResult> {
  const { population, server, preset } = ctx;
  const c = preset.churn;
  population.resetCounters();
  const logs = logWatch(server);
  const counts: Record<string, number> = {
    finds: 0, nexts: 0, leaves: 0, reports: 0, reportedAcks: 0, reportsCancelledByReconnect: 0, matches: 0,
    abandons: 0, messagesSent: 0, messagesReceived: 0, typingSent: 0, signalsSent: 0, signalsReceived: 0, reconnects: 0,
  };
  let violations = 0;
  let stopping = false;
  const people: Person[] = [];
  for (const client of population.openClients()) {
    const slot = client.slot;
    const interests = slot % 2 ? [] : Array.from({ length: 1 + (slot % 3) }, (_, i) => INTERESTS[(slot * 7 + i * 11) % INTERESTS.length]!);
    people[slot] = { slot, client, phase: 'idle', mode: slot % 5 < 3 ? 'text' : 'video', interests };
  }
  const everyone = people.filter(Boolean);

  const act = (person: Person, frame: object): boolean => {
    if (stopping || !person.client?.open) return false;
    person.client.send(frame);
    return true;
  };
  const later = (person: Person, key: 'actTimer' | 'chatTimer' | 'endTimer' | 'reconnectTimer', ms: number, fn: () => void) => {
    clearTimeout(person[key]);
    if (stopping) return;
    person[key] = setTimeout(() => {
      person[key] = undefined;
      if (!stopping) fn();
    }, ms);
  };
  const quiet = (person: Person) => {
    clearTimeout(person.chatTimer);
    clearTimeout(person.endTimer);
    person.chatTimer = person.endTimer = undefined;
  };
  const find = (person: Person, delayMs: number) =>
    later(person, 'actTimer', delayMs, () => {
      if (person.phase !== 'idle') return;
      if (act(person, { type: 'find', mode: person.mode, ...(person.interests.length ? { interests: person.interests } : {}) })) {
        person.phase = 'finding';
        counts.finds!++;
        // Some give up while waiting and close the tab: their queue entry must go with them.
        if (Math.random() < c.abandonShare) {
          counts.abandons!++;
          scheduleReconnect(person, 300);
        }
      }
    });
  const chat = (person: Person) =>
    later(person, 'chatTimer', randomExp(c.messageMeanMs), () => {
      if (person.phase !== 'matched') return;
      act(person, { type: 'typing', on: true });
      counts.typingSent!++;
      later(person, 'chatTimer', 300, () => {
        if (person.phase !== 'matched') return;
        act(person, { type: 'message', text: pick(SENTENCES) });
        act(person, { type: 'typing', on: false });
        counts.messagesSent!++;
        counts.typingSent!++;
        chat(person);
      });
    });
  const endConversation = (person: Person) => {
    if (person.phase !== 'matched') return;
    quiet(person);
    const r = Math.random();
    if (r < c.reportShare) {
      if (act(person, { type: 'report', reason: pick(REASONS), note: 'load test' })) {
        person.phase = 'reporting';
        counts.reports!++;
      }
    } else if (r < c.reportShare + c.leaveShare) {
      if (act(person, { type: 'leave' })) {
        person.phase = 'idle';
        counts.leaves!++;
        find(person, 1000 + Math.random() * 2000);
      }
    } else if (act(person, { type: 'next' })) {
      person.phase = 'finding';
      counts.nexts!++;
    }
  };
  const sendCandidates = (person: Person) => {
    for (let i = 0; i < 4; i++) act(person, { type: 'signal', data: candidate(person.slot * 4 + i) });
    act(person, { type: 'signal', data: { candidate: null } });
    counts.signalsSent! += 5;
  };

  const halves = new Map<string, { slot: number; client: BenchClient; initiator: boolean; mode: string; at: number }>();
  let ghosts = 0;
  /** Both sides of each conversation both heard of, by conversation id. */
  const pairs = new Map<string, [number, number]>();
  /** Partners of someone who just disconnected: each must hear `ended` for that conversation. */
  const mustHearEnd: Array<{ slot: number; client: BenchClient; conversationId: string; at: number }> = [];
  let unnoticed = 0;
  const findGhosts = () => {
    const now = performance.now();
    for (let i = mustHearEnd.length - 1; i >= 0; i--) {
      const expected = mustHearEnd[i]!;
      if (now - expected.at < c.ghostAfterMs) continue;
      mustHearEnd.splice(i, 1);
      const partner = people[expected.slot];
      if (partner?.client === expected.client && partner.phase === 'matched' && partner.conversationId === expected.conversationId) unnoticed++;
    }
    for (const [id, half] of halves) {
      if (now - half.at < c.ghostAfterMs) continue;
      halves.delete(id);
      const holder = people[half.slot];
      if (holder?.client === half.client && holder.phase === 'matched' && holder.conversationId === id) ghosts++;
    }
  };
  population.handler = (client: BenchClient, message: ServerMessage) => {
    const person = people[client.slot];
    if (!person || person.client !== client) return;
    switch (message.type) {
      case 'matched': {
        counts.matches!++;
        const other = halves.get(message.conversationId);
        if (other) {
          halves.delete(message.conversationId);
          pairs.set(message.conversationId, [other.slot, person.slot]);
          const sameBand = (population.ageOf(other.slot) >= 18) === (population.ageOf(person.slot) >= 18);
          if (other.initiator === message.initiator || other.slot === person.slot || other.mode !== message.mode || !sameBand) violations++;
        } else {
          halves.set(message.conversationId, { slot: person.slot, client, initiator: message.initiator, mode: message.mode, at: performance.now() });
        }
        // A match that crossed our own `leave` ends at once; nothing to start.
        if (person.phase !== 'finding') return;
        person.phase = 'matched';
        person.conversationId = message.conversationId;
        chat(person);
        later(person, 'endTimer', randomExp(c.skipMeanMs), () => endConversation(person));
        if (message.mode === 'video' && message.initiator && act(person, { type: 'signal', data: sessionDescription('offer') })) counts.signalsSent!++;
        return;
      }
      case 'signal':
        counts.signalsReceived!++;
        if (person.phase !== 'matched' || !('type' in message.data)) return;
        if (message.data.type === 'offer' && act(person, { type: 'signal', data: sessionDescription('answer') })) counts.signalsSent!++;
        sendCandidates(person);
        return;
      case 'message':
        counts.messagesReceived!++;
        return;
      case 'ended':
        quiet(person);
        if (person.conversationId) pairs.delete(person.conversationId);
        person.conversationId = undefined;
        // Our own next, leave or report was handled when we sent it; a crossing end changes nothing.
        if (message.by === 'self' || person.phase !== 'matched') return;
        person.phase = 'idle';
        find(person, 200 + randomExp(1000));
        return;
      case 'reported':
        counts.reportedAcks!++;
        if (person.phase !== 'reporting') return;
        person.phase = 'idle';
        find(person, 500 + Math.random() * 1000);
        return;
      case 'error':
        if (person.phase === 'reporting' && (message.code === 'internal' || message.code === 'nothing_to_report')) {
          person.phase = 'idle';
          find(person, 500);
        }
        return;
    }
  };

  const reconnecting = new Set<Promise<void>>();
  const scheduleReconnect = (person: Person, meanMs = c.reconnectMeanMs) =>
    later(person, 'reconnectTimer', randomExp(meanMs), () => {
      const old = person.client;
      if (!old?.open) return;
      counts.reconnects!++;
      if (person.phase === 'reporting') counts.reportsCancelledByReconnect!++;
      const pair = person.phase === 'matched' && person.conversationId ? pairs.get(person.conversationId) : undefined;
      if (pair) {
        const partner = people[pair[0] === person.slot ? pair[1] : pair[0]];
        if (partner?.client) mustHearEnd.push({ slot: partner.slot, client: partner.client, conversationId: person.conversationId!, at: performance.now() });
      }
      person.conversationId = undefined;
      quiet(person);
      clearTimeout(person.actTimer);
      person.client = undefined;
      person.phase = 'connecting';
      old.close(Math.random() < 0.5);
      const done = sleep(300 + Math.random() * 1200)
        .then(() => population.connect(person.slot, old.cookie))
        .then((client) => {
          person.client = client;
          if (!client) return;
          person.phase = 'idle';
          find(person, 300);
          scheduleReconnect(person);
        })
        .finally(() => reconnecting.delete(done));
      reconnecting.add(done);
    });

  ctx.log(`churn: ${everyone.length} people for ${c.seconds} s`);
  const cpu = new CpuMeter(server.pid);
  await server.resetEventLoop();
  cpu.start();
  const started = performance.now();
  for (const person of everyone) {
    find(person, Math.random() * 2000);
    scheduleReconnect(person);
  }
  const timeline: ChurnResult['timeline'] = [];
  const sampleEvery = Math.max(1000, Math.min(5000, (c.seconds * 1000) / 6));
  while (performance.now() - started < c.seconds * 1000) {
    await sleep(Math.min(sampleEvery, c.seconds * 1000 - (performance.now() - started)));
    findGhosts();
    const { hub } = await server.stats();
    timeline.push({ at: Math.round((performance.now() - started) / 100) / 10, online: hub.online, queued: hub.queued, conversations: hub.conversations });
  }
  const [stats, used] = [await server.stats(), cpu.read()];
  stopping = true;
  for (const person of people) {
    if (!person) continue;
    quiet(person);
    clearTimeout(person.actTimer);
    clearTimeout(person.reconnectTimer);
  }
  await Promise.all([...reconnecting]);
  // Reports are written to the database before they are acknowledged: give the last ones time.
  await waitFor(() => !people.some((p) => p?.phase === 'reporting' && p.client?.open), 5000);
  const unacknowledged = people.filter((p) => p?.phase === 'reporting' && p.client?.open).length;
  // Every conversation one side heard of gets the time to be heard by the other or ended.
  const youngest = Math.max(0, ...[...halves.values(), ...mustHearEnd].map((entry) => entry.at));
  await sleep(Math.max(200, youngest + c.ghostAfterMs - performance.now()));
  findGhosts();
  const settle = await population.settle(server);
  population.handler = () => {};
  const errors = { ...population.errors.counts };
  if (logs.errors()) errors['server_log:error'] = logs.errors();
  if (logs.warnings()) errors['server_log:warn'] = logs.warnings();
  if (violations) errors.invariant_violation = violations;
  if (ghosts) errors.ghost_match = ghosts;
  if (unnoticed) errors.disconnect_not_told = unnoticed;
  if (unacknowledged) errors.report_unacknowledged = unacknowledged;
  ctx.log(
    `churn: ${Math.floor(counts.matches! / 2)} conversations, ${counts.reconnects} reconnects, ${counts.reports} reports; loop p99 ${stats.eventLoop.p99} ms; leaked ${settle.leaked}; errors ${JSON.stringify(errors)}`,
  );
  return {
    seconds: c.seconds,
    population: everyone.length,
    actions: counts,
    eventLoop: loopDelayOf(stats),
    cpu: used,
    timeline,
    invariantViolations: violations,
    ghostMatches: ghosts,
    unnoticedDisconnects: unnoticed,
    reportsUnacknowledged: unacknowledged,
    settle,
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0) + settle.leaked,
    crossedEnds: population.crossedEnds,
    serverLogSample: logs.sample(),
  };
}
