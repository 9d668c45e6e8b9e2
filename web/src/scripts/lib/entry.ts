// The visitor's choices, kept for this tab only (sessionStorage): the chat page reuses them to
// open a new session by itself after a network drop.
import type { ChatMode, SessionResponse } from '../../../../server/protocol/index.ts';
import { api, type ApiResult } from './api.ts';

export interface Entry {
  mode: ChatMode;
  interests: string[];
  age: number;
  inviteCode?: string;
  /** Signed in with the school: the band is the school's, and no age is sent (the server refuses one). */
  schoolSignIn?: boolean;
  /** Set once a session was opened with these answers: the rules were accepted in this tab. */
  rulesAccepted?: boolean;
}

const ENTRY_KEY = 'sc_entry';
const TICKET_KEY = 'sc_ticket';

export function loadEntry(): Entry | undefined {
  try {
    const entry = JSON.parse(sessionStorage.getItem(ENTRY_KEY) ?? 'null') as Entry | null;
    return entry && (entry.mode === 'text' || entry.mode === 'video') && Number.isInteger(entry.age) ? entry : undefined;
  } catch {
    return undefined;
  }
}

export function saveEntry(entry: Entry): void {
  sessionStorage.setItem(ENTRY_KEY, JSON.stringify(entry));
}

/** POST /api/session with the stored answers. */
export function startSession(entry: Entry): Promise<ApiResult<SessionResponse>> {
  return api<SessionResponse>('/api/session', {
    body: { acceptRules: true, ...(entry.schoolSignIn ? {} : { age: entry.age }), ...(entry.inviteCode ? { inviteCode: entry.inviteCode } : {}) },
  });
}

/** Keeps a fresh ticket for the chat page (single use, short-lived). */
export function saveTicket(session: SessionResponse): void {
  sessionStorage.setItem(TICKET_KEY, JSON.stringify({ ticket: session.ticket, until: Date.now() + (session.expiresIn - 5) * 1000 }));
}

/** The stored ticket if still fresh; it is removed either way (a ticket works once). */
export function takeTicket(): string | undefined {
  const stored = sessionStorage.getItem(TICKET_KEY);
  sessionStorage.removeItem(TICKET_KEY);
  try {
    const { ticket, until } = JSON.parse(stored ?? 'null') as { ticket: string; until: number };
    return until > Date.now() ? ticket : undefined;
  } catch {
    return undefined;
  }
}
