// The small part of Markdown that rules files use — headings, paragraphs, lists, emphasis, code
// and links — rendered to HTML for the site's pages. Everything is escaped first, so an operator's
// file can never inject markup; links keep only http(s), mailto and same-site targets.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Inline Markdown of one escaped line: code, links, bold, italics. */
function inline(text: string): string {
  const codes: string[] = [];
  let html = escapeHtml(text.replace(/\u0000/g, '')).replace(/`([^`]+)`/g, (_, code: string) => `\u0000${codes.push(`<code>${code}</code>`) - 1}\u0000`);
  html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label: string, href: string) =>
    /^(https?:\/\/|mailto:|\/(?!\/)|#)/i.test(href) ? `<a href="${href}">${label}</a>` : whole,
  );
  html = html.replace(/\*\*(.+?)\*\*|__(.+?)__/g, (_, a?: string, b?: string) => `<strong>${a ?? b}</strong>`);
  html = html.replace(/\*(?!\s)(.+?)\*|(?<![\p{L}\p{N}])_(?!\s)(.+?)_(?![\p{L}\p{N}])/gu, (_, a?: string, b?: string) => `<em>${a ?? b}</em>`);
  return html.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codes[Number(i)]!);
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
