import type { FastifyRequest } from 'fastify';
import type { Actor } from '@strix/control';

/** Who made a request, as the audit log records it. */
export function actorOf(request: FastifyRequest): Actor {
  const { principal } = request;
  return { type: 'key', id: principal.keyId || principal.keyHash.slice(0, 16), label: principal.keyPrefix ?? '', ip: request.ip };
}
