// A node's inbox: one Redis Stream per node (`<prefix>inbox:<node>`) that other nodes append to
// (XADD, capped) and only its node reads, in order, on a connection of its own (a blocking XREAD).
// The reader keeps the id of the last entry it handled, so after a blip it carries on from there;
// what it has handled it trims (XTRIM MINID). A stream nobody writes to expires (a dead node's).
// Entries carry plain data: a participant never names its partner; the sending node stamps who.
import type { ChatMode, EndedReason, SignalData } from '../../protocol/messages.ts';
import type { Logger } from '../../logger.ts';
import type { RedisConnection, Reply } from './client.ts';
import { INBOX_MAX_LENGTH, INBOX_TTL_MS, luaList } from './pairing.ts';

/** What one node hands another: always for one person (`to`) in one conversation (`conv`). */
export type InboxEvent =
  | { t: 'matched'; to: string; entry: string; conv: string; mode: ChatMode; common: string[]; relay: boolean; from: { node: string; id: string; p: string } }
  | { t: 'message'; to: string; conv: string; text: string; at: number }
  | { t: 'signal'; to: string; conv: string; data: SignalData }
  | { t: 'typing'; to: string; conv: string; on: boolean }
  | { t: 'ended'; to: string; conv: string; by: 'stranger' | 'system'; reason: EndedReason }
  /** After Redis lost its data: is `to` still in `conv`? If not, `from` hears it is over. */
  | { t: 'check'; to: string; conv: string; from: { node: string; id: string } };

const EVENT_TYPES = new Set(['matched', 'message', 'signal', 'typing', 'ended', 'check']);
/** How long one XREAD waits for entries before asking again (and noticing a close). */
const BLOCK_MS = 1000;
const READ_COUNT = 500;
/** After a failed read (Redis unreachable), the next try waits this long. */
const RETRY_MS = 200;

export interface NodeInbox {
  /** Appends an event to `node`'s inbox (fire and forget: a failure is logged). */
  send(node: string, event: InboxEvent): void;
  /** Calls `listener` for each event read from this node's inbox, in order. */
  onEvent(listener: (event: InboxEvent) => void): () => void;
  /** Resolves once every send so far has been written. */
  flushed(): Promise<void>;
  close(): Promise<void>;
}

export async function openInbox(options: { redis: RedisConnection; reader: RedisConnection; prefix: string; nodeId: string; logger?: Logger }): Promise<NodeInbox> {
  const { redis, reader, prefix, nodeId, logger } = options;
  const key = `${prefix}inbox:${nodeId}`;
  const listeners = new Set<(event: InboxEvent) => void>();
  let lastId = '0-0';
  let closed = false;
  let sending: Promise<unknown> = Promise.resolve();
  let pending = 0;

  const handle = (fields: Reply): void => {
    const list = Array.isArray(fields) ? fields : [];
    const raw = list[1];
    let event: InboxEvent;
    try {
      event = JSON.parse(String(raw)) as InboxEvent;
    } catch {
      logger?.warn({ node: nodeId }, 'an inbox entry was not JSON; skipped');
      return;
    }
    if (!event || typeof event !== 'object' || !EVENT_TYPES.has(event.t) || typeof event.to !== 'string' || typeof event.conv !== 'string') {
      logger?.warn({ node: nodeId }, 'an inbox entry had an unknown shape; skipped');
      return;
    }
    if (event.t === 'matched') event.common = luaList(event.common);
    for (const listener of listeners) listener(event);
  };

  const loop = async () => {
    while (!closed) {
      let reply: Reply;
      try {
        reply = await reader.command(['XREAD', 'COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', key, lastId]);
      } catch (error) {
        if (closed) return;
        logger?.debug({ err: (error as Error).message }, 'inbox read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      if (reply === null || typeof reply !== 'object') continue;
      // RESP3 answers XREAD with a map (an object here), RESP2 with [[key, entries]].
      const streams = Array.isArray(reply) ? reply.map((stream) => (Array.isArray(stream) ? stream[1] : [])) : Object.values(reply as Record<string, Reply>);
      for (const stream of streams) {
        const entries = Array.isArray(stream) ? stream : [];
        for (const entry of entries) {
          if (!Array.isArray(entry)) continue;
          const id = String(entry[0]);
          // A recreated stream (Redis restarted) starts again from ids above the last one handled.
          lastId = id;
          try {
            handle(entry[1] ?? []);
          } catch (error) {
            logger?.error({ err: error }, 'handling an inbox entry failed');
          }
        }
        if (entries.length > 0) {
          void redis.command(['XTRIM', key, 'MINID', '~', lastId]).catch(() => undefined);
        }
      }
    }
  };
  const running = loop();

  return {
    send(node, event) {
      pending++;
      const inbox = `${prefix}inbox:${node}`;
      const written = Promise.all([
        redis.command(['XADD', inbox, 'MAXLEN', '~', INBOX_MAX_LENGTH, '*', 'm', JSON.stringify(event)]),
        redis.command(['PEXPIRE', inbox, INBOX_TTL_MS]),
      ])
        .catch((error: unknown) => logger?.warn({ err: (error as Error).message, node }, 'sending to a node inbox failed'))
        .finally(() => pending--);
      sending = written;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async flushed() {
      while (pending > 0) await sending;
    },
    async close() {
      closed = true;
      listeners.clear();
      await reader.close();
      await running.catch(() => undefined);
    },
  };
}
