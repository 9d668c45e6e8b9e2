// French, whole: the rules people accept and the instance's description in the visitor's language
// (rules.fr.md beside rules.md, a description per language), with a fallback for languages the
// instance does not write in — on the pages and in /api/config; and the moderators' audit log in
// words in both languages, a moderator's private note never labelled "reason".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { assertBrowserTestsCanRun, launchBrowser, newPerson, screenshot, unexpectedErrors } from '../helpers/browser.ts';
import { pair } from '../helpers/client.ts';
import { createModerator, loginModerator, TEST_PASSWORD } from '../helpers/moderators.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const RULES_EN = '# Our rules\n\n1. **Be kind.** No insults.\n2. **Stay safe.** No phone numbers.\n';
const RULES_FR = '# Nos règles\n\n1. **Soyez aimable.** Aucune insulte.\n2. **Restez prudent.** Aucun numéro de téléphone.\n';
const server: TestServer = await newServer(
  { name: 'Érable', language: 'en', description: { en: 'Meet someone new at Maple.', fr: 'Rencontrez quelqu’un de nouveau à l’Érable.' } },
  { rules: RULES_EN, rulesByLanguage: { fr: RULES_FR } },
);
const browser: Browser = await launchBrowser();
test.after(async () => {
  await browser.close();
  await server.stop();
});

test('a French visitor reads the French rules and description; others the English ones; an unwritten language falls back', async () => {
  for (const [locale, expected] of [
    ['fr-FR', { lang: 'fr', rules: /Soyez aimable/, summary: 'Soyez aimable.', description: 'Rencontrez quelqu’un de nouveau à l’Érable.' }],
    ['en-GB', { lang: 'en', rules: /Be kind/, summary: 'Be kind.', description: 'Meet someone new at Maple.' }],
    // German: the site has no German pages and the instance no German texts: English (the instance's language).
    ['de-DE', { lang: 'en', rules: /Be kind/, summary: 'Be kind.', description: 'Meet someone new at Maple.' }],
  ] as const) {
    const visitor = await newPerson(browser, server.url, { locale });
    const { page } = visitor;
    await page.goto('/');
    assert.is(await page.locator('html').getAttribute('lang'), expected.lang, locale);
    assert.is(await page.locator('.hero .lead').innerText(), expected.description, `${locale}: the description`);
    assert.is(await page.locator('meta[name="description"]').getAttribute('content'), expected.description);
    assert.match(await page.locator('.rules-summary').innerText(), new RegExp(expected.summary.replace('.', '\\.')), `${locale}: the summary`);
    await page.locator('#start-text').click();
    await page.locator('#entry-step').waitFor();
    assert.match(await page.locator('#entry-step .rules-text').innerText(), expected.rules, `${locale}: the rules to accept`);
    if (locale === 'fr-FR') await screenshot(page, 'entry-rules-fr-desktop-light');
    await page.goto('/rules');
    assert.match(await page.locator('main').innerText(), expected.rules, `${locale}: the rules page`);
    assert.equal(unexpectedErrors(visitor.errors), []);
    await visitor.context.close();
  }
  // /api/config answers in the language asked for, with the same fallback.
  const french = await fetch(`${server.url}/api/config`, { headers: { 'accept-language': 'fr-CA,fr;q=0.9' } });
  assert.is(french.headers.get('content-language'), 'fr');
  assert.match(french.headers.get('vary') ?? '', /Accept-Language/);
  const frBody = await french.json();
  assert.is(frBody.description, 'Rencontrez quelqu’un de nouveau à l’Érable.');
  assert.is(frBody.rules, RULES_FR);
  const chosen = await (await fetch(`${server.url}/api/config?lang=en`, { headers: { 'accept-language': 'fr' } })).json();
  assert.is(chosen.rules, RULES_EN, '?lang= wins');
  const german = await (await fetch(`${server.url}/api/config`, { headers: { 'accept-language': 'de' } })).json();
  assert.is(german.description, 'Meet someone new at Maple.');
});

test('the audit log names every action in both languages, and a private note is never labelled "reason"', async () => {
  await createModerator(server, 'mia', 'owner');
  // A real report, resolved with a private note, and a ban with a reason and a note.
  const [reporter, reported] = await pair(server.url);
  reporter.send({ type: 'report', reason: 'harassment' });
  const { reportId } = await reporter.next('reported');
  const mia = await loginModerator(server, 'mia');
  const dismissed = await mia.request(`/api/mod/reports/${reportId}/resolve`, { method: 'POST', body: { action: 'dismiss', note: 'they were joking, both laughing' } });
  assert.is(dismissed.status, 200);
  const banned = await mia.request('/api/mod/bans', { method: 'POST', body: { target: '203.0.113.9', reason: 'Spam links', duration: '1d', note: 'seen three times today' } });
  assert.is(banned.status, 201, await banned.clone().text());
  reporter.ws.close();
  reported.ws.close();

  for (const [locale, words] of [
    ['en-GB', { dismissed: 'Report dismissed', banAdded: 'Ban added', note: 'Private note', reportedFor: 'Reported for: Harassment or bullying', banReason: 'Reason shown to the person: Spam links', reason: /\breason: /i }],
    ['fr-FR', { dismissed: 'Signalement classé', banAdded: 'Exclusion ajoutée', note: 'Note privée', reportedFor: 'Signalé pour : Harcèlement ou intimidation', banReason: 'Motif montré à la personne : Spam links', reason: /\bmotif : (?!montré)/i }],
  ] as const) {
    const person = await newPerson(browser, server.url, { locale });
    const { page } = person;
    await page.goto('/mod');
    await page.locator('#login-username').fill('mia');
    await page.locator('#login-password').fill(TEST_PASSWORD);
    await page.locator('#login-form button[type="submit"]').click();
    await page.locator('#dash').waitFor();
    await page.evaluate(() => (location.hash = '#audit'));
    await page.locator('#audit-table tbody tr[data-entry]').first().waitFor();
    const dismissRow = page.locator('#audit-table tbody tr', { hasText: 'report.dismiss' });
    const banRow = page.locator('#audit-table tbody tr', { hasText: 'ban.add' });
    assert.match(await dismissRow.innerText(), new RegExp(words.dismissed), `${locale}: the action in words`);
    assert.match(await banRow.innerText(), new RegExp(words.banAdded));
    const dismissText = (await dismissRow.innerText()).replace(/\s+/g, ' ');
    assert.match(dismissText, new RegExp(`${words.note} ?: they were joking`), `${locale}: the note is a private note`);
    assert.ok(dismissText.includes(words.reportedFor.replace(/\s+/g, ' ')), `${locale}: the report's own reason, in words: ${dismissText}`);
    const banText = (await banRow.innerText()).replace(/\s+/g, ' ');
    assert.ok(banText.includes(words.banReason), `${locale}: what the banned person reads: ${banText}`);
    assert.match(banText, new RegExp(`${words.note} ?: seen three times today`));
    for (const text of [dismissText, banText]) assert.not.match(text, words.reason, `${locale}: nothing labelled just "reason"`);
    // Every action the datalist offers has words in this language.
    const options = await page.$$eval('#audit-actions option', (list) => list.map((o) => [(o as HTMLOptionElement).value, (o as HTMLOptionElement).label]));
    for (const [value, label] of options) assert.ok(label && label !== value && !label.startsWith('mod.'), `${locale}: ${value} has a label (${label})`);
    await screenshot(page, `mod-audit-${locale}-desktop-light`);
    // Before signing in, the page's session check answers 401.
    assert.equal(unexpectedErrors(person.errors, [/status of 401/]), []);
    await person.context.close();
  }
});

test.run();
