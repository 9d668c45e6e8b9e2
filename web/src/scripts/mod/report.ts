// One report: what happened, who (sessions, device, address), the evidence when the role may open
// it (the transcript; frames blurred until clicked, each click a separate, audited request) and
// the decision: dismiss, ban the reported person, lift their quarantine, end their session.
import type { OpenedReport, ReportDetails, ReportParty, ResolveResult } from '../../../../server/protocol/moderation.ts';
import { get, getBlob, post } from './api.ts';
import { $, say, t } from '../lib/page.ts';
import { bandLabel, reasonLabel, reportStatus } from './reports.ts';
import { badge, can, confirmDialog, endsText, errorText, h, session, time, tOr, when } from './ui.ts';

const heading = $('report-heading');
const error = $('report-error');
const body = $('report-body');
const facts = $('report-facts');
const explain = $('evidence-explain');
const evidence = $('evidence');
const transcript = $('transcript');
const frames = $('frames');
const resolvedAs = $('resolved-as');
const resolveStatus = $('resolve-status');
const resolveForm = $<HTMLFormElement>('resolve-form');
const resolveError = $('resolve-error');
const target = $<HTMLSelectElement>('resolve-target');
const reason = $<HTMLInputElement>('resolve-reason');
const note = $<HTMLTextAreaElement>('resolve-note');
const liftButton = $<HTMLButtonElement>('resolve-lift');

let current: ReportDetails | undefined;
/** Object URLs of the frames on show, revoked when the report is left. */
let frameUrls: string[] = [];
let generation = 0;

function fact(label: string, ...value: Array<Node | string>): Node[] {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function party(who: ReportParty): HTMLElement {
  const list = h('ul', { class: 'party' });
  // Whole ids: a moderator may copy one into a ban (device:<id>) or the terminal.
  list.append(h('li', {}, `${t('mod.party.session')} `, h('code', {}, who.sessionId)));
  if (who.deviceId) list.append(h('li', {}, `${t('mod.party.device')} `, h('code', {}, who.deviceId)));
  list.append(h('li', {}, `${t('mod.party.address')} `, who.address ? h('code', {}, who.address) : t('mod.party.addressGone')));
  if (who.identityHash) list.append(h('li', {}, `${t('mod.party.identity')} `, h('code', {}, who.identityHash)));
  return list;
}

function renderFacts(report: ReportDetails): void {
  const reasonValue: Array<Node | string> = [reasonLabel(report.reason)];
  if (report.sensitive) reasonValue.push(' ', badge(t('mod.reports.sensitive'), 'sensitive'));
  facts.replaceChildren(
    ...fact(t('mod.col.received'), time(report.createdAt)),
    ...fact(t('mod.col.reason'), ...reasonValue),
    ...fact(t('mod.report.note'), report.note ? h('q', { class: 'quote' }, report.note) : report.noteWithheld ? t('mod.report.noteWithheld') : t('mod.report.noNote')),
    ...fact(t('mod.col.mode'), report.mode ? tOr(`mod.mode.${report.mode}`, report.mode) : '–'),
    ...fact(t('mod.col.band'), bandLabel(report.reportedBand)),
    ...fact(t('mod.col.status'), reportStatus(report)),
    ...fact(t('mod.report.against'), String(report.reportsAgainstReported)),
    ...fact(t('mod.report.quarantine'), report.quarantined ? badge(t('mod.report.quarantineYes'), 'warn') : t('mod.report.quarantineNo')),
    ...fact(t('mod.report.sameNetwork'), report.sameNetwork ? badge(t('mod.report.sameNetworkYes'), 'warn') : t('mod.report.sameNetworkNo')),
    ...fact(t('mod.report.bandSwitches'), report.reportedBandSwitches ? badge(String(report.reportedBandSwitches), 'warn') : '0'),
    ...fact(t('mod.report.reported'), party(report.reported)),
    ...fact(t('mod.report.reporter'), party(report.reporter)),
  );
}

function renderEvidence(opened: OpenedReport): void {
  const { report } = opened;
  const role = tOr(`mod.role.${session.me?.moderator.role}`, session.me?.moderator.role ?? '');
  let why = '';
  if (report.evidencePurged) why = t('mod.evidence.purged');
  else if (opened.evidenceHidden) why = report.sensitive ? t('mod.evidence.hiddenSensitive', { role }) : t('mod.evidence.hiddenRole', { role });
  say(explain, why);
  evidence.hidden = !opened.evidence;
  if (!opened.evidence) {
    transcript.replaceChildren();
    frames.replaceChildren();
    return;
  }
  const lines = opened.evidence.transcript.map((line) =>
    h(
      'li',
      { class: `said said-${line.by}` },
      h('span', { class: 'said-who' }, t(`mod.evidence.by.${line.by}`), ' · ', time(line.at)),
      h('span', { class: 'said-text' }, line.text),
    ),
  );
  transcript.replaceChildren(...(lines.length ? lines : [h('li', { class: 'said-none' }, t('mod.evidence.noMessages'))]));
  $('frames-hint').textContent = opened.evidence.frames.length ? t('mod.evidence.framesHint') : t('mod.evidence.noFrames');
  frames.replaceChildren(...opened.evidence.frames.map((frame) => frameItem(report.id, frame.idx, frame.createdAt)));
}

/** A frame, covered: clicking fetches it (one audited request) and shows it; "Hide" covers it again. */
function frameItem(reportId: string, idx: number, takenAt: number): HTMLLIElement {
  const item = h('li', { class: 'frame', 'data-frame': idx });
  const number = idx + 1;
  const cover = () => {
    const button = h(
      'button',
      { type: 'button', class: 'frame-cover', 'aria-describedby': 'frames-hint' },
      h('span', { class: 'frame-cover-text' }, t('mod.evidence.showFrame', { n: number })),
    );
    button.addEventListener('click', () => void reveal(button));
    item.replaceChildren(button);
    return button;
  };
  const reveal = async (button: HTMLButtonElement) => {
    button.disabled = true;
    const result = await getBlob(`/api/mod/reports/${encodeURIComponent(reportId)}/frames/${idx}`);
    if (!result.ok) {
      button.disabled = false;
      item.append(h('p', { class: 'form-error', role: 'alert' }, errorText(result.error, result.status)));
      return;
    }
    const url = URL.createObjectURL(result.data);
    frameUrls.push(url);
    const hide = h('button', { type: 'button', class: 'secondary small' }, t('mod.evidence.hideFrame'));
    hide.addEventListener('click', () => {
      URL.revokeObjectURL(url);
      cover().focus();
    });
    item.replaceChildren(
      h(
        'figure',
        {},
        h('img', { src: url, alt: t('mod.evidence.frameAlt', { n: number }) }),
        h('figcaption', {}, t('mod.evidence.frameTaken', { n: number, date: when(takenAt) }), ' ', hide),
      ),
    );
    hide.focus();
  };
  cover();
  return item;
}

function renderResolution(report: ReportDetails): void {
  current = report;
  say(resolveError, '');
  if (report.status !== 'open') {
    const how = tOr(`mod.resolution.${report.resolution}`, String(report.resolution));
    const text = t('mod.resolve.done', { how, by: report.resolvedBy ?? '?', date: report.resolvedAt ? when(report.resolvedAt) : '' });
    say(resolvedAs, report.resolutionNote ? `${text} ${t('mod.resolve.doneNote', { note: report.resolutionNote })}` : text);
    resolveForm.hidden = true;
    return;
  }
  if (!can('reports.resolve')) {
    say(resolvedAs, t('mod.resolve.readOnly', { role: tOr(`mod.role.${session.me?.moderator.role}`, '') }));
    resolveForm.hidden = true;
    return;
  }
  say(resolvedAs, '');
  resolveForm.hidden = false;
  // The ban target is chosen from what the report holds, never typed.
  const available: Record<string, boolean> = {
    device: !!report.reported.deviceId,
    address: !!report.reported.address,
    network: !!report.reported.address,
    identity: !!report.reported.identityHash,
  };
  for (const option of target.options) option.disabled = !available[option.value];
  if (target.selectedOptions[0]?.disabled) target.value = Object.keys(available).find((key) => available[key]) ?? 'device';
  liftButton.hidden = !report.quarantined;
}

export async function show(id: string): Promise<void> {
  const mine = ++generation;
  leave();
  heading.textContent = t('mod.report.heading');
  body.hidden = true;
  say(error, '');
  say(resolveStatus, '');
  note.value = '';
  const result = await get<OpenedReport>(`/api/mod/reports/${encodeURIComponent(id)}`);
  if (mine !== generation) return;
  if (!result.ok) {
    say(error, errorText(result.error, result.status));
    return;
  }
  const { report } = result.data;
  heading.textContent = t('mod.report.headingReason', { reason: reasonLabel(report.reason) });
  // A suggested reason, in plain words, for the person to read; `other` has none: write one.
  reason.value = tOr(`mod.banReason.${report.reason}`, '');
  renderFacts(report);
  renderEvidence(result.data);
  renderResolution(report);
  body.hidden = false;
}

/** Forgets the report on show: its frames' object URLs are released. */
export function leave(): void {
  for (const url of frameUrls) URL.revokeObjectURL(url);
  frameUrls = [];
  frames.replaceChildren();
  transcript.replaceChildren();
}

async function resolve(body: Record<string, unknown>, done: (result: ResolveResult) => string): Promise<void> {
  if (!current) return;
  const buttons = resolveForm.querySelectorAll('button');
  buttons.forEach((button) => (button.disabled = true));
  const text = note.value.trim();
  const result = await post<ResolveResult>(`/api/mod/reports/${encodeURIComponent(current.id)}/resolve`, { ...body, ...(text ? { note: text } : {}) });
  buttons.forEach((button) => (button.disabled = false));
  if (!result.ok) {
    say(resolveError, errorText(result.error, result.status));
    if (result.error.code === 'already_resolved') void show(current.id);
    return;
  }
  // The answer withholds a sensitive report's note (it is evidence, shown only in an audited opening): keep the one on show.
  renderFacts(result.data.report.noteWithheld ? { ...result.data.report, note: current.note, noteWithheld: current.noteWithheld } : result.data.report);
  renderResolution(result.data.report);
  say(resolveStatus, done(result.data));
  resolveStatus.focus();
}

$('resolve-dismiss').addEventListener('click', () => void resolve({ action: 'dismiss' }, () => t('mod.resolve.dismissed')));
liftButton.addEventListener('click', () => void resolve({ action: 'lift_quarantine' }, () => t('mod.resolve.lifted')));
$('resolve-ban').addEventListener('click', () => {
  const text = reason.value.trim();
  if (!text) {
    say(resolveError, t('mod.ban.reasonRequired'));
    reason.focus();
    return;
  }
  const ban = {
    target: target.value,
    severity: $<HTMLSelectElement>('resolve-severity').value,
    duration: $<HTMLSelectElement>('resolve-duration').value,
    reason: text,
  };
  void resolve({ action: 'ban', ban }, (result) => t('mod.resolve.banned', { ends: endsText(result.ban?.expiresAt ?? null) }));
});
$('kill-session').addEventListener('click', async () => {
  if (!current) return;
  const why = await confirmDialog({
    title: t('mod.kill.title'),
    text: t('mod.kill.text'),
    ok: t('mod.kill.ok'),
    input: { label: t('mod.kill.reason') },
  });
  if (why === null) return;
  const result = await post<{ ended: boolean }>(`/api/mod/sessions/${encodeURIComponent(current.reported.sessionId)}/kill`, why ? { reason: why } : {});
  if (!result.ok) return say(resolveError, errorText(result.error, result.status));
  say(resolveStatus, result.data.ended ? t('mod.kill.done') : t('mod.kill.already'));
  resolveStatus.focus();
});
resolveForm.addEventListener('submit', (event) => event.preventDefault());
