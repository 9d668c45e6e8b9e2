// Links in the rules (server/http/markdown.ts): hostile targets an edited or pasted rules file could
// hold, through the real renderer. Only http(s), mailto and same-site paths with exactly one leading
// `/` (and `#fragment`) become links; everything else stays text, and nothing breaks out of href.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMarkdown, safeLinkTarget } from '../../server/http/markdown.ts';

/** Targets that must render as text: each leaves the site, runs script, or hides how it does. */
const HOSTILE: string[] = [
  '/\\evil.example/x',
  '/\\\\evil.example',
  '//evil.example/x',
  '///evil.example',
  '/%5Cevil.example',
  '/%5cevil.example',
  '/%255Cevil.example',
  '/%2Fevil.example',
  '/%2fevil.example',
  '/%252Fevil.example',
  '/%25252F%25252Fevil.example',
  '/%09/evil.example',
  '/%0A/evil.example',
  '/%0d%0a/evil.example',
  '/%00/evil.example',
  '/%E2%80%A8/evil.example',
  '/%C2%85/evil.example',
  '/%E0%A4%A/x',
  '/\u2028/evil.example',
  '/\u00a0/evil.example',
  '\uff0f\uff0fevil.example',
  '/\uff3cevil.example',
  '%2F%2Fevil.example',
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  'javascript://example.org/%0Aalert(1)',
  'jav&#x09;ascript:alert(1)',
  '&#106;avascript:alert(1)',
  'java%0ascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'ftp://evil.example/',
  'blob:https://evil.example/1',
  'intent://evil.example#Intent;end',
  'https:evil.example',
  'https:/evil.example',
  'https:\\\\evil.example',
  'https:///evil.example',
  'https://school.example@evil.example/',
  'https://user:password@evil.example/',
  'https://evil.example%5C@school.example/',
  'mailto:',
  'evil.example/x',
  './x',
  '../x',
  '?next=//evil.example',
  '#',
  '#x"onmouseover=alert(1)',
];

/** Markdown whose link never parses as one (whitespace, line breaks): it must stay text too. */
const NOT_LINKS: string[] = [
  '[x](\t/\t/evil.example)',
  '[x](/ /evil.example)',
  '[x]( //evil.example)',
  '[x](java\nscript:alert(1))',
  '[x](java\r\nscript:alert(1))',
  '[x](/\n/evil.example)',
  '[x](/\u000b/evil.example)',
  '[x](/\u000c/evil.example)',
];

const SAFE: Array<[string, string]> = [
  ['https://example.org/x', 'https://example.org/x'],
  ['http://example.org', 'http://example.org'],
  ['HTTPS://EXAMPLE.ORG/', 'HTTPS://EXAMPLE.ORG/'],
  ['https://example.org/a%20b?q=1&r=2#top', 'https://example.org/a%20b?q=1&amp;r=2#top'],
  ['https://example.org/*not*_emphasis_', 'https://example.org/*not*_emphasis_'],
  ['mailto:safeguarding@school.example', 'mailto:safeguarding@school.example'],
  ['/privacy', '/privacy'],
  ['/', '/'],
  ['/rules#be-kind', '/rules#be-kind'],
  ['/a_b_/-_c_-', '/a_b_/-_c_-'],
  ['/x"onmouseover="alert', '/x&quot;onmouseover=&quot;alert'],
  ["/x'y", '/x&#39;y'],
  ['#be-kind', '#be-kind'],
];

test('hostile link targets render as text, never as a link', () => {
  for (const href of HOSTILE) {
    assert.is(safeLinkTarget(href), undefined, href);
    const html = renderMarkdown(`Read [the guide](${href}) first.`);
    assert.not.match(html, /<a[\s>]/i, `${JSON.stringify(href)} became a link: ${html}`);
    assert.match(html, /^<p>Read \[the guide\]\(/, `${JSON.stringify(href)} is shown as written`);
  }
});

test('markdown whose target holds whitespace or a line break is not a link at all', () => {
  for (const source of NOT_LINKS) {
    const html = renderMarkdown(source);
    assert.not.match(html, /<a[\s>]/i, `${JSON.stringify(source)}: ${html}`);
  }
});

test('http(s), mailto, same-site paths and fragments become links, their target escaped, nothing inside it rewritten', () => {
  for (const [href, attribute] of SAFE) {
    const html = renderMarkdown(`See [the **rules**](${href}).`);
    assert.is(html, `<p>See <a href="${attribute}">the <strong>rules</strong></a>.</p>`, href);
    // One attribute, quoted: nothing broke out of it.
    assert.match(html, /^<p>See <a href="[^"<>]*">/, href);
  }
  assert.is(renderMarkdown('[`code`](/x) and *this*'), '<p><a href="/x"><code>code</code></a> and <em>this</em></p>');
});

test('the same holds in headings, lists and quotes', () => {
  const html = renderMarkdown('# [a](/\\evil.example)\n\n- [b](//evil.example)\n\n> [c](javascript:alert(1))\n\n1. [ok](/rules)\n');
  assert.equal([...html.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]), ['/rules']);
});

test.run();
