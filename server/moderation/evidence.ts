// Evidence frames: up to a few downscaled JPEG stills the reporter's browser uploads after a
// report, authorised by the report's evidence token. Checked before they are stored: the token
// (timing-safe), that the reported conversation was a video one (a text conversation has no
// frames: anything uploaded for it is fabricated), the upload window, the count, the size (while
// streaming) and the JPEG markers.
import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { AppError } from '../errors.ts';
import { evidenceTokenHash } from './reports.ts';

/** Largest frame accepted; the browser sends a downscaled still, well under this. */
export const EVIDENCE_MAX_FRAME_BYTES = 300 * 1024;
/** Frames per report. */
export const EVIDENCE_MAX_FRAMES = 3;
/** How long after the report its frames may be uploaded. */
export const EVIDENCE_UPLOAD_WINDOW_MS = 10 * 60_000;

/** A JPEG starts with SOI (FF D8) and a marker (FF), and ends with EOI (FF D9). */
export function isJpeg(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff && bytes[n - 2] === 0xff && bytes[n - 1] === 0xd9;
}

/** The upload as the HTTP layer hands it over: the body is read only once everything else passed. */
export interface FrameUpload {
  /** The media type without parameters. */
  contentType: string;
  /** Declared Content-Length, when there is one. */
  contentLength: number | undefined;
  /** Reads the body, rejecting with 413 `too_large` as soon as it passes `maxBytes`. */
  read(maxBytes: number): Promise<Buffer>;
}

export function tooLarge(): AppError {
  return new AppError(413, 'too_large', `A frame is limited to ${EVIDENCE_MAX_FRAME_BYTES / 1024} KiB.`);
}

export class EvidenceService {
  readonly #db: Db;
  readonly #secret: string;
  readonly #now: () => number;

  constructor(deps: { db: Db; secret: string; now: () => number }) {
    this.#db = deps.db;
    this.#secret = deps.secret;
    this.#now = deps.now;
  }

  /** Stores one frame; returns its index. */
  async addFrame(reportId: string, token: string | undefined, upload: FrameUpload): Promise<{ idx: number; size: number }> {
    if (!token) throw new AppError(401, 'unauthorised', 'The evidence token is missing.');
    const report = await this.#db
      .selectFrom('reports')
      .select(['evidence_token_hash', 'created_at', 'evidence_purged_at', 'mode'])
      .where('id', '=', reportId)
      .executeTakeFirst();
    // An unknown report and a wrong token look the same, so report ids cannot be probed.
    const expected = Buffer.from(report?.evidence_token_hash ?? evidenceTokenHash(this.#secret, '\0no report'));
    const given = Buffer.from(evidenceTokenHash(this.#secret, token));
    if (!report || expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new AppError(403, 'invalid_token', 'This evidence token does not belong to this report.');
    }
    if (report.mode !== 'video') throw new AppError(409, 'not_video', 'This report is about a text conversation: it takes no video frames.');
    if (report.evidence_purged_at !== null || this.#now() - Number(report.created_at) > EVIDENCE_UPLOAD_WINDOW_MS) {
      throw new AppError(410, 'expired', 'Evidence for this report can no longer be added.');
    }
    if (upload.contentType !== 'image/jpeg') throw new AppError(415, 'not_jpeg', 'Evidence frames must be JPEG images (Content-Type: image/jpeg).');
    if ((await this.#frameCount(reportId)) >= EVIDENCE_MAX_FRAMES) throw tooManyFrames();
    if (upload.contentLength !== undefined && upload.contentLength > EVIDENCE_MAX_FRAME_BYTES) throw tooLarge();
    const jpeg = await upload.read(EVIDENCE_MAX_FRAME_BYTES);
    if (!isJpeg(jpeg)) throw new AppError(415, 'not_jpeg', 'That file is not a JPEG image.');
    // The primary key (report, idx) settles two uploads racing for the same slot.
    for (;;) {
      const idx = await this.#frameCount(reportId);
      if (idx >= EVIDENCE_MAX_FRAMES) throw tooManyFrames();
      try {
        await this.#db
          .insertInto('report_frames')
          .values({ report_id: reportId, idx, jpeg, size: jpeg.length, created_at: this.#now() })
          .execute();
        return { idx, size: jpeg.length };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
  }

  async #frameCount(reportId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('report_frames')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('report_id', '=', reportId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}

function tooManyFrames(): AppError {
  return new AppError(409, 'too_many_frames', `A report holds at most ${EVIDENCE_MAX_FRAMES} frames.`);
}
