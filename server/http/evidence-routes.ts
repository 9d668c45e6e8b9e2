// POST /api/reports/:id/evidence: the reporter's browser uploads up to three downscaled JPEG
// frames as raw bodies. Registered before the JSON body parser, so the body is read here only,
// as a stream that is abandoned the moment it passes the size cap.
import Router from '@koa/router';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { tooLarge, type EvidenceService } from '../moderation/evidence.ts';

/** Reads a request body, never holding more than `maxBytes` of it. */
export function readCapped(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onClose = () => {
      done();
      reject(new AppError(400, 'incomplete_body', 'The upload was interrupted.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The token from `Authorization: Bearer …` or `X-Evidence-Token`. */
function evidenceToken(authorization: string, header: string): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer?.[1] ?? (header.trim() || undefined);
}

export function createEvidenceRouter(deps: { evidence: EvidenceService; logger: Logger }): Router {
  const router = new Router();
  router.post('/api/reports/:id/evidence', async (ctx) => {
    const reportId = ctx.params.id!;
    const length = ctx.get('content-length');
    try {
      const frame = await deps.evidence.addFrame(reportId, evidenceToken(ctx.get('authorization'), ctx.get('x-evidence-token')), {
        contentType: ctx.request.type,
        contentLength: length && /^\d+$/.test(length) ? Number(length) : undefined,
        read: (maxBytes) => readCapped(ctx.req, maxBytes),
      });
      deps.logger.info({ reportId, frame: frame.idx, bytes: frame.size }, 'evidence frame stored');
      ctx.status = 201;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { frame: frame.idx, size: frame.size };
    } catch (error) {
      // An oversized body is not drained: the connection closes after the answer.
      if (error instanceof AppError && error.status === 413) ctx.set('Connection', 'close');
      throw error;
    }
  });
  return router;
}
