// The small part of Markdown that rules files use — headings, paragraphs, lists, emphasis, code
// and links — rendered to HTML for the site's pages. Everything is escaped first, so an operator's
// file can never inject markup; links keep only http(s), mailto and same-site targets.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const UNESCAPES: Record<string, string> = Object.fromEntries(Object.entries(ESCAPES).map(([c, entity]) => [entity, c]));

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Link schemes that leave the site only for what they say (no script, no data, no app handlers). */
const LINK_SCHEMES = new Set(['http:', 'https:', 'mailto:']);
/** A link target is visible ASCII: no space, control character or look-alike a browser would strip or fold. */
const LINK_CHARS = /^[\x21-\x7e]+$/;
/** What percent-encoding may not hide: a backslash, control characters, Unicode line breaks. */
const HIDDEN_IN_ENCODING = /[\x00-\x1f\x7f-\x9f\u2028\u2029\\]/;
/** Percent-decoding rounds before a target that still decodes further is refused. */
const MAX_DECODE_ROUNDS = 3;
/** `#heading` on the same page. */
const FRAGMENT = /^#[A-Za-z0-9_-]{1,64}$/;

/**
 * The link target as it may appear in `href`, or undefined to render the link as text. Allowed:
 * `http:`, `https:` (with a host and no user name) and `mailto:` URLs; same-site paths that start
 * with exactly one `/`; `#fragment`. A space, a backslash or a control character (raw, or for the
 * last two percent-encoded: `/%5Cevil`, `/%09/evil`), and a second leading `/` hidden by encoding
 * (`/%2Fevil`, `/%252Fevil`), are refused: browsers read `/\\evil.example` as `//evil.example`,
 * another site.
 */
export function safeLinkTarget(href: string): string | undefined {
  if (!LINK_CHARS.test(href) || href.includes('\\')) return undefined;
  if (FRAGMENT.test(href)) return href;
  let decoded = href;
  for (let round = 0; /%[0-9a-f]{2}/i.test(decoded); round++) {
    if (round === MAX_DECODE_ROUNDS) return undefined;
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return undefined;
    }
  }
  if (HIDDEN_IN_ENCODING.test(decoded)) return undefined;
  if (href.startsWith('/')) return /^\/(?![/\\])/.test(decoded) ? href : undefined;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  if (!LINK_SCHEMES.has(url.protocol) || !href.toLowerCase().startsWith(url.protocol)) return undefined;
  if (url.protocol === 'mailto:') return url.pathname ? href : undefined;
  // `https://school.example@evil.example/` shows one site and opens another.
  if (!/^https?:\/\/[^/]/i.test(href) || !url.hostname || url.username || url.password) return undefined;
  return href;
}

/** Inline Markdown of one escaped line: code, links, bold, italics. */
function inline(text: string): string {
  // Code spans and links are held out of the later passes, so no emphasis lands inside an href.
  const held: string[] = [];
  const hold = (html: string) => `\u0000${held.push(html) - 1}\u0000`;
  let html = escapeHtml(text.replace(/\u0000/g, '')).replace(/`([^`]+)`/g, (_, code: string) => hold(`<code>${code}</code>`));
  html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label: string, escaped: string) => {
    const target = safeLinkTarget(escaped.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => UNESCAPES[entity]!));
    return target === undefined ? whole : hold(`<a href="${escapeHtml(target)}">${emphasis(label)}</a>`);
  });
  const restore = (part: string): string => part.replace(/\u0000(\d+)\u0000/g, (_, i: string) => restore(held[Number(i)]!));
  return restore(emphasis(html));
}

/** Bold and italics in escaped text. */
function emphasis(html: string): string {
  html = html.replace(/\*\*(.+?)\*\*|__(.+?)__/g, (_, a?: string, b?: string) => `<strong>${a ?? b}</strong>`);
  return html.replace(/\*(?!\s)(.+?)\*|(?<![\p{L}\p{N}])_(?!\s)(.+?)_(?![\p{L}\p{N}])/gu, (_, a?: string, b?: string) => `<em>${a ?? b}</em>`);
}

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'quote'; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] };

function parse(source: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  for (const raw of source.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trimEnd();
    const heading = /^(#{1,6})\s+(.*?)\s*#*$/.exec(line);
    const item = /^\s{0,3}(?:(\d{1,9})[.)]|[-*+])\s+(.*)$/.exec(line);
    if (!line.trim()) {
      current = undefined;
    } else if (heading) {
      blocks.push({ kind: 'heading', level: heading[1]!.length, text: heading[2]! });
      current = undefined;
    } else if (item) {
      const ordered = item[1] !== undefined;
      if (current?.kind !== 'list' || current.ordered !== ordered) blocks.push((current = { kind: 'list', ordered, items: [] }));
      current.items.push(item[2]!);
    } else if (current?.kind === 'list' && /^\s+/.test(raw)) {
      current.items[current.items.length - 1] += ` ${line.trim()}`;
    } else if (/^>\s?/.test(line)) {
      const text = line.replace(/^>\s?/, '');
      if (current?.kind === 'quote') current.text += ` ${text}`;
      else blocks.push((current = { kind: 'quote', text }));
    } else if (current?.kind === 'paragraph') {
      current.text += ` ${line.trim()}`;
    } else {
      blocks.push((current = { kind: 'paragraph', text: line.trim() }));
    }
  }
  return blocks;
}

/** Renders Markdown to HTML; `headingOffset` shifts heading levels (a page's own h1 comes first). */
export function renderMarkdown(source: string, { headingOffset = 0 } = {}): string {
  return parse(source)
    .map((block) => {
      switch (block.kind) {
        case 'heading': {
          const level = Math.min(6, block.level + headingOffset);
          return `<h${level}>${inline(block.text)}</h${level}>`;
        }
        case 'paragraph':
          return `<p>${inline(block.text)}</p>`;
        case 'quote':
          return `<blockquote><p>${inline(block.text)}</p></blockquote>`;
        case 'list': {
          const tag = block.ordered ? 'ol' : 'ul';
          return `<${tag}>${block.items.map((text) => `<li>${inline(text)}</li>`).join('')}</${tag}>`;
        }
      }
    })
    .join('\n');
}

/**
 * A short list for the landing page: the bold lead of each item of the rules' first list
 * ("**Be kind.** No insults…" gives "Be kind."), else the item itself; without a list, the first paragraph.
 */
export function summariseRules(source: string): string {
  const blocks = parse(source);
  const list = blocks.find((block) => block.kind === 'list');
  if (list?.kind === 'list') {
    const items = list.items.map((text) => /^\*\*(.+?)\*\*/.exec(text)?.[1] ?? text);
    return `<ul>${items.map((text) => `<li>${inline(text)}</li>`).join('')}</ul>`;
  }
  const paragraph = blocks.find((block) => block.kind === 'paragraph');
  return paragraph ? `<p>${inline(paragraph.text)}</p>` : '';
}
