// The documentation holds together: every relative link in docs/, the README, CONTRIBUTING and
// the CHANGELOG reaches a file that exists (and a heading that exists, for #anchors); every page
// of docs/ is reachable from docs/index.md; every CLI command has its section in docs/cli.md; and
// every `strangerchat …` command line the docs show names a real command, subcommand and options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command, Option } from 'commander';
import { allCommands, commandPath } from '../../cli/help.ts';
import { buildProgram } from '../../cli/main.ts';
import { headingAnchor } from '../../scripts/gen-config-docs.ts';
import { fakeContext } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';

const ROOT = join(import.meta.dirname, '../..');
const DOCS = join(ROOT, 'docs');
const PAGES = [
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS, name)),
  ...['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md'].map((name) => join(ROOT, name)),
];

/** Markdown with fenced code blocks and inline code spans blanked (links there are examples). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/(`+)[^`\n]*?\1/g, '');
}

interface Link {
  page: string;
  target: string;
}

/** Inline links and images `[text](target "title")` and reference definitions `[x]: target`. */
export function linksIn(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*(?:<([^>\n]*)>|([^)\s]+))(?:\s+["'(][^)]*)?\)/g)].map((m) => m[1] ?? m[2]!);
  const references = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!);
  return [...inline, ...references];
}

/** The anchors a page offers: its headings (GitHub's slugs, with -1, -2 for repeats) and explicit ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = headingAnchor(match[1]!);
    const seen = counts.get(slug) ?? 0;
    counts.set(slug, seen + 1);
    anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
  }
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

const links: Link[] = PAGES.filter((page) => existsSync(page)).flatMap((page) => linksIn(readFileSync(page, 'utf8')).map((target) => ({ page, target })));

test('the link reader finds inline, image and reference links, and skips code', () => {
  const sample = '[a](one.md) ![b](img/two.png "t") `[c](code.md)` <x>\n\n```\n[d](block.md)\n```\n[e]: three.md#part\n[f](<four five.md>)';
  assert.equal(linksIn(sample), ['one.md', 'img/two.png', 'four five.md', 'three.md#part']);
  assert.equal([...anchorsOf('# Title\n## `server.port`\n## Secrets (.env)\n## Title\n```\n# not a heading\n```')], ['title', 'serverport', 'secrets-env', 'title-1']);
});

test('every relative link in the docs, README, CONTRIBUTING and CHANGELOG resolves, anchors included', () => {
  assert.ok(links.length > 50, `links were found (${links.length})`);
  const problems: string[] = [];
  for (const { page, target } of links) {
    if (isExternal(target)) continue;
    const [path = '', anchor] = target.split('#');
    const file = path ? resolve(dirname(page), decodeURIComponent(path)) : page;
    const where = `${relative(ROOT, page)}: ${target}`;
    if (!file.startsWith(ROOT)) {
      problems.push(`${where} points outside the repository`);
      continue;
    }
    if (!existsSync(file)) {
      problems.push(`${where}: ${relative(ROOT, file)} does not exist`);
      continue;
    }
    if (anchor !== undefined && anchor !== '') {
      if (statSync(file).isDirectory() || !file.endsWith('.md')) {
        problems.push(`${where}: an anchor into something that is not a markdown page`);
      } else if (!anchorsOf(readFileSync(file, 'utf8')).has(anchor)) {
        problems.push(`${where}: no heading in ${relative(ROOT, file)} gives #${anchor}`);
      }
    }
  }
  assert.equal(problems, []);
});

test('every page in docs/ is linked from docs/index.md', () => {
  const index = join(DOCS, 'index.md');
  const linked = new Set(
    linksIn(readFileSync(index, 'utf8'))
      .filter((target) => !isExternal(target))
      .map((target) => resolve(DOCS, target.split('#')[0]!)),
  );
  for (const page of PAGES.filter((p) => dirname(p) === DOCS && p !== index)) assert.ok(linked.has(page), `${relative(ROOT, page)} is linked from docs/index.md`);
});

const program = await buildProgram(fakeContext({ cwd: tempDir() }).ctx);
const commands = allCommands(program).slice(1);

test('every CLI command appears in docs/cli.md', () => {
  const cliDocs = readFileSync(join(DOCS, 'cli.md'), 'utf8');
  assert.ok(commands.length >= 20, 'the program was read');
  for (const command of commands) {
    const path = commandPath(command);
    assert.match(cliDocs, new RegExp(`^### ${path}$`, 'm'), `${path} has a section`);
    assert.ok(cliDocs.includes(command.description()), `${path}: its description`);
  }
});

// ---- command lines shown in the docs name real commands and options ---------------------------

/** Splits a shell line into words, honouring quotes; stops at a pipe, redirection, `;`, `&&` or a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      started = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (started) words.push(word);
      word = '';
      started = false;
      continue;
    }
    if ('|;><&#'.includes(c) && !started) break;
    word += c;
    started = true;
  }
  if (started) words.push(word);
  return words;
}

function findOption(chain: Command[], flag: string): Option | undefined {
  for (const command of chain) {
    const found = command.options.find((option) => option.short === flag || option.long === flag || option.long === flag.replace(/^--no-/, '--'));
    if (found) return found;
  }
  return flag === '--help' || flag === '-h' ? ({ required: false, optional: false } as Option) : undefined;
}

/** Problems with one `strangerchat …` invocation (its words after "strangerchat"). */
export function checkInvocation(words: string[]): string[] {
  const problems: string[] = [];
  const chain: Command[] = [program];
  let expectSubcommand = true;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (/^[<[]|^…|^\.\.\.$/.test(word)) {
      expectSubcommand = false;
      continue;
    }
    if (word.startsWith('-') && word !== '-') {
      const flag = word.split('=')[0]!;
      const option = findOption(chain, flag);
      if (!option) problems.push(`unknown option ${flag} for "${chain.map((c) => c.name()).join(' ')}"`);
      else if ((option.required || option.optional) && !word.includes('=')) i++;
      continue;
    }
    const current = chain.at(-1)!;
    if (expectSubcommand && current.commands.length > 0) {
      const sub = current.commands.find((c) => c.name() === word || c.aliases().includes(word));
      if (!sub && word !== 'help') {
        problems.push(`"${word}" is not a command of "${chain.map((c) => c.name()).join(' ')}"`);
        break;
      }
      if (sub) chain.push(sub);
      continue;
    }
    // A positional argument: the rest are arguments too.
    expectSubcommand = false;
  }
  return problems;
}

/** `strangerchat …` command lines in code: fenced blocks (continuations joined) and inline spans. */
function invocations(markdown: string): string[] {
  const lines: string[] = [];
  for (const match of markdown.matchAll(/^(```|~~~)([^\n]*)\n([\s\S]*?)^\1[^\n]*$/gm)) {
    if (/^\s*(json|ini|yaml|caddy|nginx)/.test(match[2]!)) continue;
    lines.push(...match[3]!.replace(/\\\n\s*/g, ' ').split('\n'));
  }
  const withoutBlocks = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of withoutBlocks.matchAll(/(`+)([^`\n]+?)\1/g)) lines.push(match[2]!);
  const found: string[] = [];
  for (const line of lines) {
    // "strangerchat" as a command word: at the start, or after npx, sudo, $, a pipe, &&, or `docker exec <name>`.
    for (const match of line.matchAll(/(?:^|\$ |npx |&& |\| |; |exec \S+ |\.bin\/)strangerchat(?:\s+(.*))?$/g)) {
      if (match[1] !== undefined) found.push(match[1]);
    }
  }
  return found;
}

test('the command checker knows commands, subcommands and options', () => {
  assert.equal(checkInvocation(shellWords('-C my-chat config set trustedProxies \'["127.0.0.1", "::1"]\'')), []);
  assert.equal(checkInvocation(shellWords('deploy caddy --write > /etc/caddy/Caddyfile')), []);
  assert.equal(checkInvocation(shellWords('mod add alice --role moderator')), []);
  assert.equal(checkInvocation(shellWords('zeppelin launch')), ['"zeppelin" is not a command of "strangerchat"']);
  assert.equal(checkInvocation(shellWords('config frobnicate x')), ['"frobnicate" is not a command of "strangerchat config"']);
  assert.equal(checkInvocation(shellWords('start --altitude 3')), ['unknown option --altitude for "strangerchat start"']);
  assert.equal(shellWords(`a "b c" 'd' e | f`), ['a', 'b c', 'd', 'e']);
});

test('every strangerchat command line shown in the docs exists, with its options', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const page of PAGES.filter((p) => existsSync(p) && !p.endsWith('cli.md'))) {
    for (const invocation of invocations(readFileSync(page, 'utf8'))) {
      checked++;
      for (const problem of checkInvocation(shellWords(invocation))) problems.push(`${relative(ROOT, page)}: strangerchat ${invocation}: ${problem}`);
    }
  }
  assert.ok(checked > 40, `command lines were found (${checked})`);
  assert.equal(problems, []);
});

test('npm scripts and repository files named in the docs exist', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const problems: string[] = [];
  for (const page of PAGES.filter((p) => existsSync(p))) {
    const text = readFileSync(page, 'utf8');
    for (const match of text.matchAll(/\bnpm run ([\w:-]+)/g)) if (!pkg.scripts[match[1]!]) problems.push(`${relative(ROOT, page)}: npm run ${match[1]}`);
    for (const match of text.matchAll(/\bnode ((?:scripts|bench|bin)\/[\w./-]*\w)/g)) if (!existsSync(join(ROOT, match[1]!))) problems.push(`${relative(ROOT, page)}: node ${match[1]}`);
  }
  assert.equal(problems, []);
});

test.run();
