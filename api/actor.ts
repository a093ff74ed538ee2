import type { FastifyRequest } from 'fastify';
import type { Actor } from '@strix/control';

/** Who made a request, as the audit log records it: the signed-in person (by address), or the key (by prefix). */
export function actorOf(request: FastifyRequest): Actor {
  // `principal` is unset (null) on routes only a person may call.
  const principal = request.principal as FastifyRequest['principal'] | null;
  const person = request.user ? { id: request.user.userId, email: request.user.email } : principal?.user;
  if (person) return { type: 'user', id: person.id, label: person.email, ip: request.ip };
  if (!principal) throw new Error('actorOf: the request carries neither a key nor a session');
  return { type: 'key', id: principal.keyId || principal.keyHash.slice(0, 16), label: principal.keyPrefix ?? '', ip: request.ip };
}
