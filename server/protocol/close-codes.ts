/** WebSocket close codes of protocol v1 (DESIGN.md). */
export const CloseCode = {
  /** The server is shutting down; reconnect later. */
  GoingAway: 1001,
  /** A frame exceeded maxPayload (sent by `ws` itself). */
  TooLarge: 1009,
  /** Repeated protocol violations (malformed or invalid frames). */
  ProtocolViolation: 4400,
  /** The session behind this socket was ended (killed, expired or revoked). */
  Unauthorised: 4401,
  /** The person is banned; a `banned` message precedes the close. */
  Banned: 4403,
  /** Nothing was sent for too long while neither queued nor in a conversation. */
  Idle: 4408,
  /** Sustained flooding after `rate_limited` warnings. */
  RateLimited: 4429,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
