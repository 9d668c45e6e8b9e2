// The evidence package of `reports export`: one report's case in a folder a safeguarding lead can
// hand to the police or a child-protection officer, with a SHA256SUMS manifest that
// `sha256sum -c SHA256SUMS` checks, and optionally the same folder as a .tar.gz (the `tar`
// package). Files are private to the user who exported them (folder 0700, files 0600).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EvidenceExport } from '../server/protocol/moderation.ts';
import { terminalSafe } from './services.ts';

/** The manifest, in sha256sum's format: `<hex>  <path>` a line, paths relative to the folder. */
export const MANIFEST = 'SHA256SUMS';
const PRIVATE_FILE = 0o600;
const PRIVATE_DIR = 0o700;

export interface PackageFile {
  /** Relative to the package folder, "/"-separated. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface WrittenPackage {
  dir: string;
  files: PackageFile[];
  manifest: string;
  /** The .tar.gz, when asked for. */
  archive: { path: string; sha256: string; bytes: number } | null;
}

/** What the package holds, about whom, from where: for the instance's name and the README. */
export interface PackageContext {
  instanceName: string;
  version: string;
  /** How a time reads in the README: UTC ISO 8601. */
  iso(ms: number): string;
}

/** True when `dir` is missing or an empty folder (a package never mixes with other files). */
export function isFreshFolder(dir: string): boolean {
  if (!existsSync(dir)) return true;
  return statSync(dir).isDirectory() && readdirSync(dir).length === 0;
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function readme(data: EvidenceExport, context: PackageContext, files: string[]): string {
  const r = data.report;
  return [
    `Evidence package: report ${r.id}`,
    '',
    `Instance:      ${context.instanceName} (strangerchat ${context.version})`,
    `Reason:        ${r.reason}${r.sensitive ? ' (sensitive: minor or illegal)' : ''}`,
    `Filed:         ${context.iso(r.createdAt)}`,
    `Status:        ${r.status === 'open' ? 'open' : `resolved (${r.resolution}) by ${r.resolvedBy} at ${context.iso(r.resolvedAt!)}`}`,
    `Exported by:   ${data.exportedBy}`,
    `Exported at:   ${context.iso(data.exportedAt)}`,
    '',
    'What is here',
    '  report.json      the report: reason, the reporter\'s note, times, and both sides as the server',
    '                   recorded them (chat session, device, verified identity, network address)',
    '  transcript.txt   the conversation as the server relayed it, times in UTC (control characters',
    '                   are shown as \\uXXXX; transcript.json holds the exact text)',
    '  transcript.json  the same, exactly as stored',
    '  frames/          still images of the reported person\'s video, as the reporter\'s browser sent them',
    '  bans.json        the bans made from this report and any automatic quarantine of the person',
    '  audit.json       the instance\'s audit log entries about this report and those bans, with their',
    '                   hashes (each entry chains to the one before it on the instance)',
    `  ${MANIFEST}        the SHA-256 of every other file`,
    '',
    ...(data.transcript === null ? ['The transcript, frames and note were removed by the instance\'s retention before this export.', ''] : []),
    'Checking it',
    `  In this folder: sha256sum -c ${MANIFEST}   (every line must say OK)`,
    '  On the instance: strangerchat audit verify   (the audit log the entries come from is intact)',
    '',
    'Handling it',
    '  This folder may hold images of a child and personal data. Keep it on encrypted storage, give',
    '  it only to the agency the referral is for, and delete your copy once it is handed over, as your',
    '  safeguarding policy says. Its creation is recorded in the instance\'s audit log (evidence.export).',
    '',
    `Files: ${files.length}`,
    '',
  ].join('\n');
}

/**
 * Writes the package into `dir` (which must be missing or empty; the caller checks) and its
 * manifest; with `archive`, also `<dir>.tar.gz`. Returns every file with its checksum.
 */
export async function writeEvidencePackage(dir: string, data: EvidenceExport, context: PackageContext, options: { archive?: boolean } = {}): Promise<WrittenPackage> {
  const contents: Array<{ path: string; data: Uint8Array | string }> = [];
  contents.push({ path: 'report.json', data: `${JSON.stringify(data.report, null, 2)}\n` });
  if (data.transcript !== null) {
    const lines = data.transcript.map((line) => `${new Date(line.at).toISOString()}  ${line.by.padEnd(8)}  ${terminalSafe(line.text)}`);
    contents.push({ path: 'transcript.txt', data: `${lines.join('\n')}${lines.length ? '\n' : '(no messages)\n'}` });
    contents.push({ path: 'transcript.json', data: `${JSON.stringify(data.transcript, null, 2)}\n` });
  }
  for (const frame of data.frames) contents.push({ path: `frames/frame-${frame.idx}.jpg`, data: frame.jpeg });
  contents.push({ path: 'bans.json', data: `${JSON.stringify(data.bans, null, 2)}\n` });
  contents.push({ path: 'audit.json', data: `${JSON.stringify(data.audit, null, 2)}\n` });
  contents.push({ path: 'README.txt', data: readme(data, context, contents.map((c) => c.path).concat('README.txt')) });

  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  chmodSync(dir, PRIVATE_DIR);
  const files: PackageFile[] = [];
  for (const item of contents) {
    const path = join(dir, ...item.path.split('/'));
    mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR });
    writeFileSync(path, item.data, { mode: PRIVATE_FILE });
    files.push({ path: item.path, bytes: typeof item.data === 'string' ? Buffer.byteLength(item.data) : item.data.byteLength, sha256: sha256(item.data) });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest = join(dir, MANIFEST);
  writeFileSync(manifest, files.map((file) => `${file.sha256}  ${file.path}\n`).join(''), { mode: PRIVATE_FILE });

  let archive: WrittenPackage['archive'] = null;
  if (options.archive) {
    const path = `${dir.replace(/\/+$/, '')}.tar.gz`;
    // Imported here: only an export with --tar needs it.
    const tar = await import('tar');
    // portable: no owner names or uids of this machine in the archive.
    await tar.create({ gzip: true, file: path, cwd: dirname(dir), portable: true }, [basename(dir)]);
    chmodSync(path, PRIVATE_FILE);
    const bytes = readFileSync(path);
    archive = { path, sha256: sha256(bytes), bytes: bytes.byteLength };
  }
  return { dir, files, manifest, archive };
}
