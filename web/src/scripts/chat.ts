// The chat page: one WebSocket (protocol v1, docs/protocol.md), the conversation states
// (connecting, searching, paired, ended), text, video, reports with evidence frames, notices,
// the ban screen, and reconnection with a new session after a network drop.
import { CloseCode } from '../../../server/protocol/close-codes.ts';
import type { ClientMessage, EndedBy, EndedReason, IceServer, ServerMessage, WsErrorCode } from '../../../server/protocol/messages.ts';
import type { BanStatusResponse } from '../../../server/http/ban-routes.ts';
import { api } from './lib/api.ts';
import { banFrom, showBan } from './lib/ban.ts';
import { loadEntry, saveEntry, startSession, takeTicket, type Entry } from './lib/entry.ts';
import { $, instance, say, t } from './lib/page.ts';
import { Call, LocalMedia, captureFrame, hasTurn, type CameraResult } from './lib/rtc.ts';

/** The protocol's close codes: one small object imported from the server's protocol module, so they never drift. */
const CLOSE = CloseCode;
/** How long after a conversation ends it may still be reported (the server's default grace). */
const REPORT_GRACE_MS = 110_000;
const PING_EVERY_MS = 25_000;
/** No frame for this long while searching or talking: the connection is dead. */
const DEAD_AFTER_MS = 60_000;
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
  const remote = $<HTMLVideoElement>('remote');
  const dialog = $<HTMLDialogElement>('report-dialog');
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
  const media = new LocalMedia();
  let call: Call | undefined;
  let retryMs = 1000;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let lastFrameAt = Date.now();
  let banned = false;
  let typingOn = false;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastSent: { item: HTMLElement; at: number } | undefined;
  /** A conversation that can still be reported: the current one, or one that just ended. */
  let reportableUntil = 0;
  let frames: Blob[] = [];
  let frameTimer: ReturnType<typeof setInterval> | undefined;
  let framesToUpload: Blob[] = [];

  // --- What the page shows ---

  function setPhase(next: Phase, text: string): void {
    phase = next;
    app.dataset.state = next;
    status.textContent = text;
    const talking = next === 'paired' || next === 'searching';
    const between = next === 'ended' || next === 'idle';
    buttons.next.hidden = !(talking || next === 'connecting' || next === 'reconnecting');
    buttons.next.disabled = next !== 'paired';
    buttons.again.hidden = !between;
    buttons.leave.hidden = !talking;
    buttons.reconnect.hidden = next !== 'stopped';
    buttons.home.hidden = !(between || next === 'stopped');
    // The empty video area repeats the status until someone's video shows.
    $('remote-hint').textContent = next === 'paired' ? '' : text;
    message.disabled = send.disabled = next !== 'paired';
    updateReport();
    if (next !== 'paired') showTyping(false);
  }

  function updateReport(): void {
    buttons.report.disabled = !(phase === 'paired' || Date.now() < reportableUntil);
  }

  /** A line in the conversation; `quiet` lines repeat the status, which screen readers already heard. */
  function addLine(kind: 'you' | 'stranger' | 'system', text: string, quiet = false): HTMLElement {
    const item = document.createElement('li');
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
    body.textContent = text;
    item.append(body);
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.append(item);
    if (atBottom) log.scrollTop = log.scrollHeight;
    return item;
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

  function retryLater(): void {
    setPhase('reconnecting', t(navigator.onLine ? 'chat.status.reconnecting' : 'chat.status.offline'));
    retryTimer = setTimeout(() => void connect(), retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  function stop(text: string): void {
    endCall();
    addLine('system', text, true);
    setPhase('stopped', text);
    focusIfFree(buttons.reconnect);
  }

  function closed(code: number): void {
    socket = undefined;
    endCall();
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
    // A network drop or a server restart: the conversation is over; a new session follows.
    if (phase === 'paired') addLine('system', t('chat.ended.lost'));
    reportableUntil = 0;
    retryLater();
  }

  function ban(details: Parameters<typeof showBan>[0]): void {
    banned = true;
    endCall();
    if (dialog.open) dialog.close();
    showBan(details);
  }

  // Dead connections: browsers answer the server's pings themselves, so this side checks too.
  setInterval(() => {
    if (!socket || socket.readyState !== WebSocket.OPEN || (phase !== 'searching' && phase !== 'paired')) return;
    if (Date.now() - lastFrameAt > DEAD_AFTER_MS) {
      const dead = socket;
      socket = undefined;
      dead.close();
      closed(1006);
      return;
    }
    sendFrame({ type: 'ping' });
  }, PING_EVERY_MS);
  window.addEventListener('online', () => phase === 'reconnecting' && void connect());
  window.addEventListener('offline', () => phase === 'reconnecting' && setPhase('reconnecting', t('chat.status.offline')));

  // --- Server messages ---

  function receive(msg: ServerMessage): void {
    switch (msg.type) {
      case 'welcome':
        iceServers = msg.iceServers;
        relayOnly = msg.relayOnly;
        retryMs = 1000;
        $('online').textContent = t('chat.online', { count: msg.online });
        // Video is not offered to this person (an under-18 where there is no relay): say why, offer text.
        if (entry.mode === 'video' && !msg.modes.includes('video')) return videoUnavailable();
        if (searching) find();
        else setPhase('idle', t('chat.status.idle'));
        return;
      case 'queued':
        setPhase('searching', t(entry.interests.length ? 'chat.status.searchingInterests' : 'chat.status.searching'));
        return;
      case 'matched': {
        log.replaceChildren();
        say(sendError, '');
        setPhase('paired', t('chat.status.paired'));
        if (msg.commonInterests.length) addLine('system', t('chat.status.common', { interests: msg.commonInterests.join(', ') }));
        if (msg.mode === 'video') startCall(msg.initiator, msg.iceServers ?? iceServers, msg.relayOnly);
        focusIfFree(message);
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
        failed(msg.code, msg.message, (msg as { reason?: unknown }).reason);
        return;
      case 'banned':
        ban({ reason: msg.reason, until: msg.until });
        // The appeal address and the ban's scope come with GET /api/ban.
        void api<BanStatusResponse>('/api/ban').then((result) => result.ok && result.data.banned && showBan(result.data));
        return;
      case 'notice':
        $('notice-text').textContent = msg.text;
        $('notice').hidden = false;
        return;
      case 'pong':
        return;
    }
  }

  function ended(by: EndedBy, reason: EndedReason): void {
    endCall();
    showTyping(false);
    if (by === 'self' && reason === 'next') {
      // The server looks for someone new at once (`queued` follows).
      setPhase('searching', t('chat.status.searching'));
      return;
    }
    const text =
      by === 'self'
        ? t(reason === 'report' ? 'chat.ended.report' : 'chat.ended.self')
        : by === 'stranger'
          ? t(reason === 'disconnected' ? 'chat.ended.disconnected' : 'chat.ended.stranger')
          : t('chat.ended.moderator');
    searching = false;
    if (reason !== 'report') reportableUntil = Date.now() + REPORT_GRACE_MS;
    setTimeout(updateReport, REPORT_GRACE_MS + 100);
    addLine('system', text, true);
    setPhase('ended', text);
    focusIfFree(buttons.again);
  }

  function failed(code: WsErrorCode, serverMessage: string, reason: unknown): void {
    let text: string;
    if (code === 'filtered') {
      // Why it was refused (a phone number, a link, …): from the catalog when the server names
      // the reason, else the server's own explanation, which is safe to show.
      const specific = `chat.error.filtered.${String(reason)}`;
      text = t(specific) !== specific ? t(specific) : serverMessage || t('chat.error.filtered');
    } else if (code === 'rate_limited' || code === 'too_large' || code === 'not_matched' || code === 'nothing_to_report') {
      text = t(`chat.error.${code}`);
    } else if (code === 'mode_unavailable') {
      return entry.mode === 'video' ? videoUnavailable() : stop(serverMessage || t('chat.error.mode_unavailable'));
    } else {
      return;
    }
    // The refused frame is, as far as this side can tell, the message just sent.
    if (lastSent && Date.now() - lastSent.at < 3000 && code !== 'nothing_to_report') {
      lastSent.item.classList.add('not-sent');
      const mark = document.createElement('span');
      mark.className = 'not-sent-mark';
      mark.textContent = t('chat.notSent');
      lastSent.item.append(mark);
      lastSent = undefined;
    }
    if (code === 'nothing_to_report') addLine('system', text);
    else say(sendError, text);
  }

  // --- Actions ---

  function find(): void {
    searching = true;
    say(sendError, '');
    if (sendFrame({ type: 'find', mode: entry.mode, ...(entry.interests.length ? { interests: entry.interests } : {}) })) {
      setPhase('searching', t(entry.interests.length ? 'chat.status.searchingInterests' : 'chat.status.searching'));
    }
  }

  function next(): void {
    if (phase === 'paired') {
      endCall();
      searching = true;
      sendFrame({ type: 'next' });
      setPhase('searching', t('chat.status.searching'));
    } else if (phase === 'ended' || phase === 'idle') {
      find();
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
      addLine('system', t('chat.stopped'), true);
      setPhase('idle', t('chat.stopped'));
      focusIfFree(buttons.again);
    }
  }

  buttons.next.addEventListener('click', next);
  buttons.again.addEventListener('click', find);
  buttons.leave.addEventListener('click', leave);
  buttons.reconnect.addEventListener('click', () => {
    searching = true;
    retryMs = 1000;
    setPhase('connecting', t('chat.status.connecting'));
    void connect();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || dialog.open || event.defaultPrevented) return;
    if (phase === 'paired' || phase === 'ended' || phase === 'idle') {
      event.preventDefault();
      next();
    }
  });
  $('notice-close').addEventListener('click', () => ($('notice').hidden = true));

  // --- Writing ---

  function typingState(on: boolean): void {
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(() => typingState(false), 3000);
    if (on === typingOn) return;
    typingOn = on;
    sendFrame({ type: 'typing', on });
  }

  message.addEventListener('input', () => phase === 'paired' && typingState(message.value.length > 0));
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
    say(sendError, '');
    if (!sendFrame({ type: 'message', text })) return;
    typingState(false);
    lastSent = { item: addLine('you', text), at: Date.now() };
    message.value = '';
  });

  // --- Video ---

  /** Video is refused to this person: the camera stops, the page says why and offers text. */
  function videoUnavailable(): void {
    endCall();
    for (const track of media.stream?.getTracks() ?? []) track.stop();
    media.stream = undefined;
    $('local').hidden = true;
    $('media-controls').hidden = true;
    searching = false;
    showVideoMessage(t('video.minorsNeedRelay'), { text: true });
    setPhase('stopped', t('video.minorsNeedRelay'));
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
    $('unmute').hidden = true;
    if (entry.mode === 'video' && media.stream) showVideoMessage('');
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

  async function startCamera(): Promise<void> {
    setPhase('connecting', t('video.starting'));
    showVideoMessage('');
    const result: CameraResult = await media.start();
    if (result === 'ok') {
      const local = $<HTMLVideoElement>('local');
      local.srcObject = media.stream!;
      local.hidden = false;
      $('media-controls').hidden = false;
      void connect();
      return;
    }
    const text = { denied: 'video.denied', no_device: 'video.noDevice', error: 'video.error' }[result];
    showVideoMessage(t(text), { retry: result !== 'no_device', text: instance.modes.includes('text') });
    setPhase('stopped', t(text));
    buttons.reconnect.hidden = true;
    focusIfFree($(result === 'no_device' ? 'use-text' : 'camera-retry'));
  }

  $('camera-retry').addEventListener('click', () => void startCamera());
  $('use-text').addEventListener('click', () => {
    entry.mode = 'text';
    saveEntry(entry);
    app.dataset.mode = 'text';
    $('video').hidden = true;
    setPhase('connecting', t('chat.status.connecting'));
    // Already connected when video was refused to this person: look for someone by text at once.
    if (socket?.readyState === WebSocket.OPEN) find();
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

  buttons.report.addEventListener('click', () => {
    if (buttons.report.disabled) return;
    $<HTMLFormElement>('report-form').reset();
    say($('report-error'), '');
    frames = [];
    const withVideo = entry.mode === 'video' && remote.videoWidth > 0;
    $('report-frames').hidden = !withVideo;
    if (withVideo) {
      // What the reporter saw when pressing Report, then a little more while they write.
      void capture();
      frameTimer = setInterval(() => void capture(), 800);
    }
    dialog.showModal();
  });
  $('report-cancel').addEventListener('click', () => dialog.close());
  $('report-form').addEventListener('change', () => say($('report-error'), ''));
  dialog.addEventListener('close', () => {
    stopCapture();
    if (dialog.returnValue !== 'sent') frames = [];
    dialog.returnValue = '';
    focusIfFree(phase === 'paired' ? message : buttons.again.hidden ? buttons.next : buttons.again);
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
    reportableUntil = 0;
    dialog.close('sent');
  });

  async function uploadFrames(reportId: string, token: string): Promise<void> {
    const pending = framesToUpload;
    framesToUpload = [];
    let stored = 0;
    for (const frame of pending) {
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
    addLine('system', pending.length === 0 ? t('report.sent') : stored > 0 ? t('report.sentFrames', { count: stored }) : t('report.framesFailed'));
  }

  // --- Start ---

  app.dataset.mode = entry.mode;
  $('video').hidden = entry.mode !== 'video';
  setPhase('connecting', t('chat.status.connecting'));
  if (entry.mode === 'video') void startCamera();
  else void connect();
}
