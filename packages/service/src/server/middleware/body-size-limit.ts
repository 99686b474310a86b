/**
 * The request body limit. A body that declares its length is judged by its `content-length`
 * header alone, without touching the body: reading `c.req.raw.body` (as Hono's own bodyLimit does
 * first) turns @hono/node-server's direct read of the socket into a web stream, which cost about a
 * tenth of the service's CPU per ask. Node's HTTP parser delivers exactly `content-length` bytes,
 * so the header is the size. A chunked body (no length) is counted as it streams, by Hono's
 * bodyLimit.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export interface BodySizeLimitOptions {
  maxBytes: number;
  /** The answer to a body over the limit. */
  onTooLarge: Parameters<typeof bodyLimit>[0]['onError'] & {};
}

export function bodySizeLimit({ maxBytes, onTooLarge }: BodySizeLimitOptions): MiddlewareHandler {
  const streamed = bodyLimit({ maxSize: maxBytes, onError: onTooLarge });
  return async (context, next) => {
    const method = context.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = context.req.header('content-length');
    if (length !== undefined && context.req.header('transfer-encoding') === undefined) {
      // A malformed length never gets here: Node's HTTP parser answers 400 itself.
      return Number(length) > maxBytes ? onTooLarge(context) : next();
    }
    return streamed(context, next);
  };
}
