// The ban screen: why, until when, and where to appeal. Replaces the page's content (#app).
import { $, formatDate, t } from './page.ts';

export interface BanDetails {
  reason: string;
  until: number | null;
  severity?: 'no_access' | 'no_matching';
  appealUrl?: string;
}

export function showBan(details: BanDetails): void {
  const app = document.getElementById('app');
  if (app) app.hidden = true;
  $('ban-heading').textContent = t('ban.heading');
  $('ban-reason').textContent = t('ban.reason', { reason: details.reason });
  $('ban-until').textContent = details.until === null ? t('ban.permanent') : t('ban.until', { date: formatDate(details.until) });
  const scope = $('ban-scope');
  scope.textContent = t('ban.noMatching');
  scope.hidden = details.severity !== 'no_matching';
  const appeal = $<HTMLAnchorElement>('ban-appeal');
  appeal.textContent = t('ban.appeal');
  appeal.href = details.appealUrl && /^(https?:\/\/|\/(?!\/))/.test(details.appealUrl) ? details.appealUrl : '/appeal';
  $('ban').hidden = false;
  $('ban-heading').focus();
}

/** The ban fields of a `403 banned` answer, whatever else it holds. */
export function banFrom(error: Record<string, unknown>): BanDetails {
  return {
    reason: typeof error.reason === 'string' ? error.reason : String(error.message ?? ''),
    until: typeof error.until === 'number' ? error.until : null,
    severity: error.severity === 'no_matching' ? 'no_matching' : 'no_access',
    appealUrl: typeof error.appealUrl === 'string' ? error.appealUrl : undefined,
  };
}
