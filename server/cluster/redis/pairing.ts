// Typed calls of the pairing scripts (pairing-scripts.ts): what a node asks Redis, and what it hears.
import type { ChatMode } from '../../protocol/messages.ts';
import type { Avoid } from '../../chat/avoids.ts';
import { avoidSubject } from '../../chat/avoids.ts';
import type { Participant } from '../../chat/hub.ts';
import type { RedisConnection } from './client.ts';
import { AVOID_SCRIPT, CANCEL_SCRIPT, FIND_SCRIPT } from './pairing-scripts.ts';

/** Candidates one find looks at, at most: a find's cost stays bounded however long the line. */
export const FIND_CANDIDATES_MAX = 200;
/** Entries an inbox keeps at most (approximately) when its node stops reading. */
export const INBOX_MAX_LENGTH = 100_000;
/** An inbox nobody writes to for this long is removed (a dead node's). */
export const INBOX_TTL_MS = 10 * 60_000;
/** How long a decided entry's outcome is remembered for retries. */
export const TAKEN_MARKER_MS = 120_000;
/** Avoids sent to Redis per script call. */
const AVOIDS_PER_CALL = 200;

export interface FindInput {
  entry: string;
  node: string;
  participant: Participant;
  mode: ChatMode;
  interests: readonly string[];
  /** May be paired at random now (no interests, or the interest wait has passed). */
  ready: boolean;
  /** Wait where no find takes this entry, and take nobody (mayPair refused the seeker on its node). */
  held?: boolean;
  /** Participant ids no find of this call may take (this node's waiting people mayPair now refuses). */
  exclude?: readonly string[];
  /** The id the conversation gets if this find makes one. */
  conversationId: string;
  now: number;
  random: number;
}

/** What Redis decided. `matched`: the seeker took `partner`; `taken`: this entry was already taken by another's find. */
export type FindOutcome =
  | { kind: 'queued' }
  | { kind: 'matched'; conversationId: string; entry: string; node: string; partner: Participant; commonInterests: string[]; relayOnly: boolean }
  | { kind: 'taken'; conversationId: string };

export class RedisPairing {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async find(input: FindInput): Promise<FindOutcome> {
    const p = input.participant;
    const subject = avoidSubject(p);
    const reply = await this.#redis.script(
      FIND_SCRIPT,
      [],
      [
        this.#prefix,
        input.now,
        input.entry,
        input.node,
        p.id,
        p.sessionId,
        p.deviceId,
        p.identityHash ?? '',
        subject.keys.join(' '),
        subject.address ?? '',
        p.deviceSince ?? '',
        JSON.stringify(input.interests),
        input.mode,
        p.band,
        p.relayOnly ? 1 : 0,
        input.ready ? 1 : 0,
        input.conversationId,
        input.random,
        FIND_CANDIDATES_MAX,
        INBOX_MAX_LENGTH,
        INBOX_TTL_MS,
        TAKEN_MARKER_MS,
        JSON.stringify(p),
        input.held ? 1 : 0,
        (input.exclude ?? []).join(' '),
      ],
    );
    return parseOutcome(String(reply));
  }

  /** Removes a waiting entry; false when it was no longer waiting (taken, or never there). */
  async cancel(entry: string): Promise<boolean> {
    return Number(await this.#redis.script(CANCEL_SCRIPT, [], [this.#prefix, entry])) === 1;
  }

  async avoid(avoids: readonly Avoid[]): Promise<void> {
    for (let i = 0; i < avoids.length; i += AVOIDS_PER_CALL) {
      const args: (string | number)[] = [this.#prefix];
      for (const avoid of avoids.slice(i, i + AVOIDS_PER_CALL)) {
        args.push(avoid.a, avoid.b, Math.round(avoid.createdAt), avoid.expiresAt === null ? '' : Math.round(avoid.expiresAt), avoid.shared ? 1 : 0);
      }
      await this.#redis.script(AVOID_SCRIPT, [], args);
    }
  }
}

/** A JSON array from Lua: cjson writes an empty table as `{}`. */
export function luaList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function parseOutcome(raw: string): FindOutcome {
  const value = JSON.parse(raw) as Record<string, unknown>;
  switch (value.kind) {
    case 'queued':
      return { kind: 'queued' };
    case 'taken':
      return { kind: 'taken', conversationId: String(value.conv) };
    case 'matched':
      return {
        kind: 'matched',
        conversationId: String(value.conv),
        entry: String(value.entry),
        node: String(value.node),
        partner: JSON.parse(String(value.p)) as Participant,
        commonInterests: luaList(value.common),
        relayOnly: value.relay === true,
      };
    default:
      throw new Error(`unexpected pairing outcome ${String(value.kind)}`);
  }
}
