// The chat page: one WebSocket (protocol v1, docs/protocol.md), the conversation states
// (connecting, searching, paired, ended), text, video, reports with evidence frames, notices,
// the live count, the ban screen, and reconnection with a new session after a network drop.
//
// Honesty rules this page keeps: the camera is on only while searching or talking (every other
// end stops its tracks); a message is "sent" only once the server has read it (a ping after it
// came back), and is marked "not delivered" when the connection dies first; a dead connection is
// noticed within seconds by pinging, not when TCP gives up.
import { CloseCode } from '../../../server/protocol/close-codes.ts';
import { Limits } from '../../../server/protocol/limits.ts';
import type { ClientMessage, EndedBy, EndedReason, IceServer, ServerMessage, WsErrorCode } from '../../../server/protocol/messages.ts';
import type { BanStatusResponse } from '../../../server/protocol/moderation.ts';
import type { Availability } from '../../../server/protocol/http.ts';
import { api } from './lib/api.ts';
import { banFrom, showBan } from './lib/ban.ts';
import { loadEntry, saveEntry, startSession, takeTicket, type Entry } from './lib/entry.ts';
import { NudityGuard } from './lib/nudity-guard.ts';
import { $, instance, say, t } from './lib/page.ts';
import { Call, LocalMedia, captureFrame, hasTurn, type CameraResult } from './lib/rtc.ts';

/** The protocol's close codes: one small object imported from the server's protocol module, so they never drift. */
const CLOSE = CloseCode;
/** The report button closes this much before the server's grace ends: a report sent at the last moment travels. */
const REPORT_MARGIN_MS = 2000;
/** Nothing heard for this long while searching or talking: a ping asks whether the server is still there. */
const PING_AFTER_SILENCE_MS = 5000;
/** A ping unanswered for this long: the connection is dead. */
const PONG_WAIT_MS = 5000;
/** A message not confirmed after this long says "Sending…". */
const SENDING_MARK_MS = 1500;
/** A second Esc within this long moves on. */
const ESC_AGAIN_MS = 1000;
/** The counter shows when this few characters are left. */
const COUNTER_FROM = 100;
const MAX_RETRY_MS = 15_000;
const MAX_FRAMES = 3;

type Phase = 'connecting' | 'searching' | 'paired' | 'ended' | 'idle' | 'reconnecting' | 'stopped';

const entry = loadEntry();
if (entry) main(entry);
else location.replace('/');

function main(entry: Entry): void {
  const app = $('app');
  const status = $('status');
  const log = $('log');
  const typing = $('typing');
  const composer = $<HTMLFormElement>('composer');
  const message = $<HTMLTextAreaElement>('message');
  const send = $<HTMLButtonElement>('send');
  const sendError = $('send-error');
  const counter = $('message-count');
  const remote = $<HTMLVideoElement>('remote');
  const local = $<HTMLVideoElement>('local');
  const dialog = $<HTMLDialogElement>('report-dialog');
  const searchingBox = $('searching');
  const searchingTime = $('searching-time');
  const escHint = $('esc-hint');
  const buttons = {
    next: $<HTMLButtonElement>('next'),
    again: $<HTMLButtonElement>('again'),
    leave: $<HTMLButtonElement>('leave'),
    reconnect: $<HTMLButtonElement>('reconnect'),
    home: $('home'),
    report: $<HTMLButtonElement>('report'),
  };

  let phase: Phase = 'connecting';
  let socket: WebSocket | undefined;
  /** Whether to look for someone once connected (false after Leave or an ended conversation). */
  let searching = true;
  let iceServers: IceServer[] = [];
  let relayOnly = instance.relayOnly;
  /** Whether the space is open and video offered, from welcome and each `availability` message. */
  let availability: Availability | undefined;
  /** Stopped because the space closed: its reopening is said when it comes. */
  let stoppedClosed = false;
  const media = new LocalMedia();
  let call: Call | undefined;
  let retryMs = 1000;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let lastFrameAt = Date.now();
  /** Send times of the pings not answered yet, oldest first (pongs come back in order). */
  let unanswered: number[] = [];
  let pingsSent = 0;
  let pongsSeen = 0;
  /** Messages the server has not confirmed yet: each is confirmed by the pong of the ping sent after it. */
  let pending: Array<{ item: HTMLElement; ping: number; timer: ReturnType<typeof setTimeout> }> = [];
  let banned = false;
  let typingOn = false;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastSent: { item: HTMLElement; at: number } | undefined;
  /** Until when the conversation that just ended can still be reported (the current one always can). */
  let reportableUntil = 0;
  let reportTimer: ReturnType<typeof setTimeout> | undefined;
  let frames: Blob[] = [];
  let frameTimer: ReturnType<typeof setInterval> | undefined;
  let framesToUpload: Blob[] = [];
  let searchingSince = 0;
  let searchingTimer: ReturnType<typeof setInterval> | undefined;
  /** The conversation was lost with the connection: said again once the page is back, so it is not missed. */
  let lostConversation = false;
  let escArmedUntil = 0;
  let escTimer: ReturnType<typeof setTimeout> | undefined;
  /** The stranger's video checked on this device, blurred when it may show nudity. */
  const guard = new NudityGuard(instance.nudityFilter, remote, { report: (still) => openReport({ reason: 'nudity', still }) });

  // --- What the page shows ---

  function setPhase(next: Phase, text: string): void {
    phase = next;
    app.dataset.state = next;
    status.textContent = text;
    const talking = next === 'paired';
    const between = next === 'ended' || next === 'idle';
    buttons.next.hidden = !(talking || next === 'searching' || next === 'connecting' || next === 'reconnecting');
    buttons.next.disabled = !talking;
    buttons.again.hidden = !between;
    // While searching, the searching box has the cancel.
    buttons.leave.hidden = !talking;
    buttons.reconnect.hidden = next !== 'stopped';
    buttons.home.hidden = !(between || next === 'stopped');
    // The empty video area repeats the status until someone's video shows.
    $('remote-hint').textContent = talking ? '' : text;
    message.disabled = send.disabled = !talking;
    if (next !== 'searching') showSearching(false);
    if (!talking) showTyping(false);
    disarmEsc();
    updateReport();
  }

  /** Report: the current conversation, or the last one for the server's grace period. */
  function updateReport(): void {
    const current = phase === 'paired';
    const last = !current && Date.now() < reportableUntil;
    buttons.report.disabled = !(current || last);
    buttons.report.textContent = t(last ? 'chat.reportLast' : 'chat.report');
  }

  function reportableFor(ms: number): void {
    reportableUntil = ms > 0 ? Date.now() + ms : 0;
    clearTimeout(reportTimer);
    if (ms > 0) reportTimer = setTimeout(updateReport, ms + 50);
    updateReport();
  }

  /** The searching state: the old conversation cleared, the time waited, a cancel. */
  function showSearching(on: boolean): void {
    clearInterval(searchingTimer);
    searchingBox.hidden = !on;
    if (!on) return;
    const tick = () => {
      const seconds = Math.floor((Date.now() - searchingSince) / 1000);
      searchingTime.textContent = t('chat.searching.waited', { time: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}` });
    };
    tick();
    searchingTimer = setInterval(tick, 1000);
  }

  function startSearching(): void {
    log.replaceChildren();
    say(sendError, '');
    searchingSince = Date.now();
    $('searching-text').textContent = t(entry.interests.length ? 'chat.status.searchingInterests' : 'chat.status.searching');
    say($('searching-note'), lostConversation ? t('chat.ended.lost') : '');
    setPhase('searching', t(entry.interests.length ? 'chat.status.searchingInterests' : 'chat.status.searching'));
    showSearching(true);
  }

  /** A line in the conversation; `quiet` lines repeat the status, which screen readers already heard. */
  function addLine(kind: 'you' | 'stranger' | 'system', text: string, quiet = false): HTMLElement {
    const item = document.createElement('div');
    item.className = `line line-${kind}`;
    if (quiet) item.setAttribute('aria-hidden', 'true');
    if (kind !== 'system') {
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = t(kind === 'you' ? 'chat.you' : 'chat.stranger');
      const colon = document.createElement('span');
      colon.className = 'visually-hidden';
      colon.textContent = ': ';
      who.append(colon);
      item.append(who);
    }
    const body = document.createElement('span');
    body.className = 'text';
    // Each message takes its own direction (Arabic, Hebrew, … read right to left).
    body.dir = 'auto';
    body.textContent = text;
    item.append(body);
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.append(item);
    if (atBottom) log.scrollTop = log.scrollHeight;
    return item;
  }

  /** A short mark under one of your messages ("Not sent", "Sending…", "Not delivered"). */
  function mark(item: HTMLElement, text: string, failed: boolean): void {
    item.querySelector('.mark')?.remove();
    item.classList.toggle('not-sent', failed);
    if (!text) return;
    const note = document.createElement('span');
    note.className = `mark${failed ? ' not-sent-mark' : ''}`;
    note.textContent = text;
    item.append(note);
  }

  function showTyping(on: boolean): void {
    typing.hidden = !on;
  }

  function showVideoMessage(text: string, actions: { retry?: boolean; text?: boolean } = {}): void {
    $('video-message').hidden = !text;
    $('video-message-text').textContent = text;
    $('camera-retry').hidden = !actions.retry;
    $('use-text').hidden = !actions.text;
  }

  function focusIfFree(element: HTMLElement): void {
    if (!dialog.open) element.focus();
  }

  // --- The connection ---

  async function connect(): Promise<void> {
    clearTimeout(retryTimer);
    if (banned || socket) return;
    let ticket = takeTicket();
    if (!ticket) {
      const result = await startSession(entry);
      if (!result.ok) {
        if (result.error.code === 'banned') return ban(banFrom(result.error));
        if (result.status === 0 || result.status === 429 || result.status >= 500) return retryLater();
        // The answers no longer open a session (an invite used up, …): say why and stop.
        const key = `error.${result.error.code}`;
        const why = t(key) === key ? result.error.message || t('error.generic') : t(key);
        return stop(`${t('chat.sessionFailed')} ${why}`);
      }
      ticket = result.data.ticket;
    }
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?ticket=${encodeURIComponent(ticket)}`);
    socket = ws;
    lastFrameAt = Date.now();
    unanswered = [];
    pingsSent = pongsSeen = 0;
    ws.onmessage = (event) => {
      if (socket !== ws) return;
      lastFrameAt = Date.now();
      try {
        receive(JSON.parse(String(event.data)) as ServerMessage);
      } catch {
        // A frame this client does not understand is ignored.
      }
    };
    ws.onclose = (event) => socket === ws && closed(event.code);
  }

  function sendFrame(frame: ClientMessage): boolean {
    if (socket?.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /** Asks the server for a pong; returns the ping's number. */
  function ping(): number {
    if (sendFrame({ type: 'ping' })) {
      pingsSent++;
      unanswered.push(Date.now());
    }
    return pingsSent;
  }

  function ponged(): void {
    pongsSeen++;
    unanswered.shift();
    pending = pending.filter((sent) => {
      if (sent.ping > pongsSeen) return true;
      clearTimeout(sent.timer);
      if (!sent.item.classList.contains('not-sent')) mark(sent.item, '', false);
      return false;
    });
  }

  function retryLater(): void {
    setPhase('reconnecting', t(navigator.onLine ? 'chat.status.reconnecting' : 'chat.status.offline'));
    retryTimer = setTimeout(() => void connect(), retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  function stop(text: string): void {
    endCall();
    releaseCamera();
    addLine('system', text, true);
    setPhase('stopped', text);
    focusIfFree(buttons.reconnect);
  }

  function closed(code: number): void {
    socket = undefined;
    endCall();
    releaseCamera();
    // Whatever the server had not confirmed may never have reached anyone.
    for (const sent of pending) {
      clearTimeout(sent.timer);
      mark(sent.item, t('chat.notDelivered'), true);
    }
    pending = [];
    if (banned) return;
    if (code === CLOSE.Banned) {
      void api<BanStatusResponse>('/api/ban').then((result) => {
        if (result.ok && result.data.banned) ban(result.data);
        else ban({ reason: '', until: null });
      });
      return;
    }
    if (code === CLOSE.Unauthorised) return stop(t('chat.close.4401'));
    if (code === CLOSE.Idle) return stop(t('chat.close.4408'));
    if (code === CLOSE.ProtocolViolation || code === CLOSE.RateLimited || code === CLOSE.TooLarge) return stop(t('chat.close.abuse'));
    // A network drop or a server restart: the conversation is over (the server forgot it); a new
    // session follows, and the search starts again if one was wanted.
    if (phase === 'paired') {
      addLine('system', t('chat.ended.lost'));
      lostConversation = true;
    }
    reportableFor(0);
    retryLater();
  }

  function ban(details: Parameters<typeof showBan>[0]): void {
    banned = true;
    endCall();
    releaseCamera();
    clearInterval(searchingTimer);
    if (dialog.open) dialog.close();
    showBan(details);
  }

  // Dead connections: the browser answers the server's pings by itself and TCP can take minutes
  // to give up, so this side asks after every silence, and after every message it sends.
  setInterval(() => {
    const ws = socket;
    if (!ws || ws.readyState !== WebSocket.OPEN || (phase !== 'searching' && phase !== 'paired')) return;
    const now = Date.now();
    if (unanswered.length && now - unanswered[0]! > PONG_WAIT_MS) {
      socket = undefined;
      ws.close();
      closed(1006);
      return;
    }
    if (!unanswered.length && now - lastFrameAt >= PING_AFTER_SILENCE_MS) ping();
  }, 1000);
  window.addEventListener('online', () => phase === 'reconnecting' && void connect());
  window.addEventListener('offline', () => phase === 'reconnecting' && setPhase('reconnecting', t('chat.status.offline')));
  // Leaving the page: the camera goes off now, not when the browser gets round to it.
  window.addEventListener('pagehide', () => releaseCamera());

  // --- Server messages ---

  function receive(msg: ServerMessage): void {
    switch (msg.type) {
      case 'welcome':
        iceServers = msg.iceServers;
        relayOnly = msg.relayOnly;
        retryMs = 1000;
        showOnline(msg.online);
        availability = msg.availability;
        // The classifier loads while this person searches (video mode only), for their band.
        if (entry.mode === 'video') guard.prepare(msg.band);
        // Video is not offered to this person (an under-18 where there is no relay, or nobody on duty): say why, offer text.
        if (entry.mode === 'video' && !msg.modes.includes('video')) return videoUnavailable(msg.availability.videoReason ?? 'no_relay');
        if (searching) void find();
        else setPhase('idle', t('chat.status.idle'));
        return;
      case 'queued':
        if (phase !== 'searching') startSearching();
        return;
      case 'matched': {
        log.replaceChildren();
        say(sendError, '');
        setPhase('paired', t('chat.status.paired'));
        if (lostConversation) addLine('system', t('chat.ended.lostBefore'));
        lostConversation = false;
        if (msg.commonInterests.length) addLine('system', t('chat.status.common', { interests: msg.commonInterests.join(', ') }));
        if (msg.mode === 'video') startCall(msg.initiator, msg.iceServers ?? iceServers, msg.relayOnly);
        // Ready to type, except on a touch screen in video, where a keyboard would cover the stranger.
        if (!(msg.mode === 'video' && touch.matches) && !dialog.open) message.focus({ preventScroll: msg.mode === 'video' });
        return;
      }
      case 'signal':
        void call?.handle(msg.data);
        return;
      case 'message':
        showTyping(false);
        addLine('stranger', msg.text);
        return;
      case 'typing':
        showTyping(phase === 'paired' && msg.on);
        return;
      case 'ended':
        ended(msg.by, msg.reason);
        return;
      case 'reported':
        void uploadFrames(msg.reportId, msg.evidenceToken);
        return;
      case 'error':
        failed(msg.code, msg.message, msg.reason, msg.opensAt);
        return;
      case 'banned':
        ban({ reason: msg.reason, until: msg.until });
        // The appeal address and the ban's scope come with GET /api/ban.
        void api<BanStatusResponse>('/api/ban').then((result) => result.ok && result.data.banned && showBan(result.data));
        return;
      case 'notice':
        // The closing notice is said in the page's language, with the time the conversation ends.
        $('notice-text').textContent = msg.kind === 'closing' && msg.endsAt ? t('chat.closing', { time: new Intl.DateTimeFormat(document.documentElement.lang, { timeStyle: 'short' }).format(msg.endsAt) }) : msg.text;
        $('notice').hidden = false;
        return;
      case 'availability':
        availability = msg.availability;
        if (msg.availability.open && stoppedClosed) {
          stoppedClosed = false;
          addLine('system', t('chat.reopened'));
        }
        return;
      case 'presence':
        showOnline(msg.online);
        return;
      case 'pong':
        ponged();
        return;
    }
  }

  function showOnline(count: number): void {
    $('online').textContent = t('chat.online', { count });
  }

  function ended(by: EndedBy, reason: EndedReason): void {
    endCall();
    showTyping(false);
    // The conversation just ended stays reportable for the server's grace (not one already reported).
    if (reason !== 'report') reportableFor(Math.max(0, instance.reportGraceMs - REPORT_MARGIN_MS));
    else reportableFor(0);
    if (by === 'self' && reason === 'next') {
      // The server looks for someone new at once (`queued` follows).
      startSearching();
      return;
    }
    const text =
      by === 'self'
        ? t(reason === 'report' ? 'chat.ended.report' : 'chat.ended.self')
        : by === 'stranger'
          ? t(reason === 'disconnected' ? 'chat.ended.disconnected' : 'chat.ended.stranger')
          : reason === 'closed'
            ? t('chat.ended.closed')
            : t('chat.ended.moderator');
    searching = false;
    lostConversation = false;
    releaseCamera();
    addLine('system', text, true);
    setPhase('ended', text);
    focusIfFree(buttons.again);
  }

  function failed(code: WsErrorCode, serverMessage: string, reason: unknown, opensAt?: number | null): void {
    if (code === 'closed' || code === 'paused') {
      // Outside the opening hours, or paused: when it opens again, in the space's time zone.
      const when = opensAt ? new Intl.DateTimeFormat(document.documentElement.lang, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZone: availability?.timeZone }).format(opensAt) : '';
      stoppedClosed = true;
      return stop(when ? t(`chat.${code}`, { when }) : t(`chat.${code}NoTime`));
    }
    let text: string;
    if (code === 'filtered') {
      // Why it was refused (a phone number, a link, …): from the catalog when the server names
      // the reason, else the server's own explanation, which is safe to show.
      const specific = `chat.error.filtered.${String(reason)}`;
      text = t(specific) !== specific ? t(specific) : serverMessage || t('chat.error.filtered');
    } else if (code === 'rate_limited' || code === 'too_large' || code === 'not_matched' || code === 'nothing_to_report') {
      text = t(`chat.error.${code}`, { max: Limits.messageMaxLength });
    } else if (code === 'mode_unavailable') {
      return entry.mode === 'video' ? videoUnavailable(reason === 'no_moderator' ? 'no_moderator' : 'no_relay') : stop(serverMessage || t('chat.error.mode_unavailable'));
    } else {
      return;
    }
    // The refused frame is, as far as this side can tell, the message just sent.
    if (lastSent && Date.now() - lastSent.at < 3000 && code !== 'nothing_to_report') {
      mark(lastSent.item, t('chat.notSent'), true);
      lastSent = undefined;
    }
    if (code === 'nothing_to_report') addLine('system', text);
    else say(sendError, text);
  }

  // --- Actions ---

  async function find(): Promise<void> {
    searching = true;
    say(sendError, '');
    // The camera comes back on for a new search (it went off when the last conversation ended).
    if (entry.mode === 'video' && !media.stream && !(await startCamera())) return;
    if (sendFrame({ type: 'find', mode: entry.mode, ...(entry.interests.length ? { interests: entry.interests } : {}) })) startSearching();
  }

  function next(): void {
    if (phase === 'paired') {
      endCall();
      searching = true;
      sendFrame({ type: 'next' });
      startSearching();
    } else if (phase === 'ended' || phase === 'idle') {
      void find();
    }
  }

  function leave(): void {
    if (phase === 'paired') {
      sendFrame({ type: 'leave' });
      return; // `ended` follows
    }
    if (phase === 'searching') {
      sendFrame({ type: 'leave' });
      searching = false;
      releaseCamera();
      addLine('system', t('chat.stopped'), true);
      setPhase('idle', t('chat.stopped'));
      focusIfFree(buttons.again);
    }
  }

  buttons.next.addEventListener('click', next);
  buttons.again.addEventListener('click', () => void find());
  buttons.leave.addEventListener('click', leave);
  $('cancel').addEventListener('click', leave);
  buttons.reconnect.addEventListener('click', () => {
    searching = true;
    retryMs = 1000;
    setPhase('connecting', t('chat.status.connecting'));
    if (entry.mode === 'video' && !media.stream) void startCamera().then((ok) => ok && void connect());
    else void connect();
  });

  // Esc moves on, but never by accident: not while writing, and only when pressed twice.
  function disarmEsc(): void {
    escArmedUntil = 0;
    clearTimeout(escTimer);
    escHint.textContent = '';
  }
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || dialog.open || event.defaultPrevented || event.target === message) return;
    if (phase !== 'paired' && phase !== 'ended' && phase !== 'idle') return;
    event.preventDefault();
    if (Date.now() < escArmedUntil) {
      disarmEsc();
      next();
      return;
    }
    escArmedUntil = Date.now() + ESC_AGAIN_MS;
    escHint.textContent = t(phase === 'paired' ? 'chat.escAgain' : 'chat.escAgainNew');
    clearTimeout(escTimer);
    escTimer = setTimeout(disarmEsc, ESC_AGAIN_MS);
  });
  $('notice-close').addEventListener('click', () => ($('notice').hidden = true));

  // --- Writing ---

  // A short placeholder where there is no room (phones) for the keyboard hints.
  const narrow = matchMedia('(max-width: 40rem), (pointer: coarse)');
  const touch = matchMedia('(hover: none) and (pointer: coarse)');
  const placeholder = () => (message.placeholder = t(narrow.matches ? 'chat.messagePlaceholderShort' : 'chat.messagePlaceholder'));
  placeholder();
  narrow.addEventListener('change', placeholder);

  /** Characters as the server counts them (code points: an emoji is one). */
  const length = (text: string) => [...text].length;

  function updateCounter(): number {
    const used = length(message.value.trim());
    const left = Limits.messageMaxLength - used;
    counter.hidden = left > COUNTER_FROM;
    counter.classList.toggle('over', left < 0);
    counter.textContent = left < 0 ? t('chat.counter.over', { count: -left }) : t('chat.counter.left', { count: left });
    return left;
  }

  function typingState(on: boolean): void {
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(() => typingState(false), 3000);
    if (on === typingOn) return;
    typingOn = on;
    sendFrame({ type: 'typing', on });
  }

  message.addEventListener('input', () => {
    updateCounter();
    if (phase === 'paired') typingState(message.value.length > 0);
  });
  message.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = message.value.trim();
    if (!text || phase !== 'paired') return;
    if (updateCounter() < 0) {
      // Too long: nothing is cut; the person shortens it.
      say(sendError, t('chat.error.too_large', { max: Limits.messageMaxLength }));
      return;
    }
    say(sendError, '');
    if (!sendFrame({ type: 'message', text })) return;
    typingState(false);
    const item = addLine('you', text);
    lastSent = { item, at: Date.now() };
    // The pong of a ping sent after the message says the server has read it.
    const sent = { item, ping: ping(), timer: setTimeout(() => item.isConnected && !item.classList.contains('not-sent') && mark(item, t('chat.sending'), false), SENDING_MARK_MS) };
    pending.push(sent);
    message.value = '';
    updateCounter();
  });

  // --- Video ---

  /** Video is refused to this person: the camera stops, the page says why and offers text. */
  function videoUnavailable(reason: 'no_relay' | 'no_moderator'): void {
    endCall();
    releaseCamera();
    searching = false;
    const why = t(reason === 'no_moderator' ? 'video.noModerator' : 'video.minorsNeedRelay');
    showVideoMessage(why, { text: true });
    setPhase('stopped', why);
    buttons.reconnect.hidden = true;
    focusIfFree($('use-text'));
  }

  function startCall(initiator: boolean, servers: IceServer[], conversationRelayOnly: boolean): void {
    endCall();
    const stream = media.stream;
    if (!stream) return;
    // The conversation may be relay-only when this person's media is not (the partner's must be).
    const relayed = conversationRelayOnly || relayOnly;
    if (relayed && !hasTurn(servers)) {
      showVideoMessage(t('video.noTurn'));
      return;
    }
    showVideoMessage(t('video.waiting'));
    // Blurred before the first frame arrives, when it must be checked first.
    guard.begin();
    call = new Call({
      stream,
      iceServers: servers,
      relayOnly: relayed,
      initiator,
      remote,
      send: (data) => sendFrame({ type: 'signal', data }),
      onState: (state) => {
        if (state === 'connected') showVideoMessage('');
        else if (state === 'failed') showVideoMessage(t(hasTurn(servers) ? 'video.failedRelay' : relayed ? 'video.noTurn' : 'video.failed'));
      },
    });
    void call.start().catch(() => showVideoMessage(t('video.failed')));
  }

  function endCall(): void {
    call?.close();
    call = undefined;
    guard.end();
    $('unmute').hidden = true;
    if (entry.mode === 'video' && media.stream) showVideoMessage('');
  }

  /** Stops the camera and the microphone: the browser's camera light goes off. */
  function releaseCamera(): void {
    media.stop();
    local.srcObject = null;
    local.hidden = true;
    $('media-controls').hidden = true;
  }

  // Sound may not start by itself (autoplay rules): then the video plays muted with a button.
  remote.addEventListener('loadedmetadata', () => {
    remote.play().catch(() => {
      remote.muted = true;
      $('unmute').hidden = false;
      void remote.play().catch(() => {});
    });
  });
  $('unmute').addEventListener('click', () => {
    remote.muted = false;
    void remote.play();
    $('unmute').hidden = true;
  });

  function toggle(kind: 'video' | 'audio', button: HTMLElement): void {
    button.setAttribute('aria-pressed', String(media.toggle(kind)));
  }
  $('camera').addEventListener('click', (event) => toggle('video', event.currentTarget as HTMLElement));
  $('microphone').addEventListener('click', (event) => toggle('audio', event.currentTarget as HTMLElement));

  /** Turns the camera on; false (with the reason shown) when it cannot be. */
  async function startCamera(): Promise<boolean> {
    setPhase('connecting', t('video.starting'));
    showVideoMessage('');
    const result: CameraResult = await media.start();
    if (result === 'ok') {
      local.srcObject = media.stream!;
      local.hidden = false;
      $('media-controls').hidden = false;
      for (const id of ['camera', 'microphone']) $(id).setAttribute('aria-pressed', 'true');
      return true;
    }
    if (result === 'stopped') return false;
    const text = { denied: 'video.denied', no_device: 'video.noDevice', error: 'video.error' }[result];
    showVideoMessage(t(text), { retry: result !== 'no_device', text: instance.modes.includes('text') });
    setPhase('stopped', t(text));
    buttons.reconnect.hidden = true;
    focusIfFree($(result === 'no_device' ? 'use-text' : 'camera-retry'));
    return false;
  }

  $('camera-retry').addEventListener('click', async () => {
    if (!(await startCamera())) return;
    if (socket) void find();
    else void connect();
  });
  $('use-text').addEventListener('click', () => {
    entry.mode = 'text';
    saveEntry(entry);
    releaseCamera();
    app.dataset.mode = 'text';
    $('video').hidden = true;
    searching = true;
    setPhase('connecting', t('chat.status.connecting'));
    // Already connected when video was refused to this person: look for someone by text at once.
    if (socket?.readyState === WebSocket.OPEN) void find();
    else void connect();
  });

  // --- Reports ---

  function stopCapture(): void {
    clearInterval(frameTimer);
    frameTimer = undefined;
  }

  async function capture(): Promise<void> {
    if (frames.length >= MAX_FRAMES) return stopCapture();
    const frame = await captureFrame(remote);
    if (frame && frames.length < MAX_FRAMES) frames.push(frame);
  }

  /** The report dialog; from the nudity blur, with its reason chosen and the still taken then. */
  function openReport(preset: { reason?: string; still?: Blob | undefined } = {}): void {
    if (buttons.report.disabled || dialog.open) return;
    $<HTMLFormElement>('report-form').reset();
    say($('report-error'), '');
    const last = phase !== 'paired';
    $('report-heading').textContent = t(last ? 'report.headingLast' : 'report.heading');
    $('report-intro').textContent = t(last ? 'report.introLast' : 'report.intro');
    frames = preset.still ? [preset.still] : [];
    const withVideo = entry.mode === 'video' && !last && remote.videoWidth > 0;
    $('report-frames').hidden = !withVideo && !preset.still;
    if (withVideo) {
      // What the reporter saw when pressing Report, then a little more while they write.
      void capture();
      frameTimer = setInterval(() => void capture(), 800);
    }
    dialog.showModal();
    const reason = preset.reason && $<HTMLFormElement>('report-form').querySelector<HTMLInputElement>(`input[name="reason"][value="${preset.reason}"]`);
    if (reason) {
      reason.checked = true;
      $('report-submit').focus();
    }
  }
  buttons.report.addEventListener('click', () => openReport());
  $('report-cancel').addEventListener('click', () => dialog.close());
  $('report-form').addEventListener('change', () => say($('report-error'), ''));
  dialog.addEventListener('close', () => {
    stopCapture();
    if (dialog.returnValue !== 'sent') frames = [];
    dialog.returnValue = '';
    focusIfFree(phase === 'paired' ? message : !buttons.again.hidden ? buttons.again : phase === 'searching' ? $('cancel') : buttons.report.disabled ? buttons.next : buttons.report);
  });
  $<HTMLFormElement>('report-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const reason = new FormData(form).get('reason');
    if (typeof reason !== 'string') {
      say($('report-error'), t('report.reasonRequired'));
      form.querySelector<HTMLInputElement>('input[name="reason"]')?.focus();
      return;
    }
    const note = $<HTMLTextAreaElement>('report-note').value.trim();
    stopCapture();
    framesToUpload = frames;
    frames = [];
    sendFrame({ type: 'report', reason: reason as Extract<ClientMessage, { type: 'report' }>['reason'], ...(note ? { note } : {}) });
    reportableFor(0);
    dialog.close('sent');
  });

  async function uploadFrames(reportId: string, token: string): Promise<void> {
    const uploads = framesToUpload;
    framesToUpload = [];
    let stored = 0;
    for (const frame of uploads) {
      try {
        const res = await fetch(`/api/reports/${encodeURIComponent(reportId)}/evidence`, {
          method: 'POST',
          headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${token}` },
          body: frame,
        });
        if (res.ok) stored++;
      } catch {
        // Counted below: the report stands without this frame.
      }
    }
    addLine('system', uploads.length === 0 ? t('report.sent') : stored > 0 ? t('report.sentFrames', { count: stored }) : t('report.framesFailed'));
  }

  // --- Start ---

  app.dataset.mode = entry.mode;
  $('video').hidden = entry.mode !== 'video';
  setPhase('connecting', t('chat.status.connecting'));
  if (entry.mode === 'video') void startCamera().then((ok) => ok && void connect());
  else void connect();
}
