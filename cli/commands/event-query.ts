/** What the event commands share: the filters they send and the page they read. */
import { z } from 'zod';
import type { Query } from '../client.ts';
import type { Context, OptionSpec } from '../command.ts';
import type { Column } from '../output.ts';
import { text } from '../read-scope.ts';
import { levels } from '../vocabulary.ts';

/** A page of `GET /v1/events`: the fields the CLI relies on are checked, the rest passed on. */
export const EventRow = z.looseObject({ event_id: z.string(), timestamp: z.string() });
export type EventRow = z.infer<typeof EventRow>;
export const EventsPage = z.object({ events: z.array(EventRow), next_cursor: z.string().nullable() });

export const eventFilterOptions = {
  level: { type: 'string', valueName: 'LEVEL', choices: levels, description: `One of ${levels.join(', ')}` },
  name: { type: 'string', valueName: 'NAME', description: 'Only events of this name' },
  user: { type: 'string', valueName: 'USER_ID', description: "Only this user's events" },
  session: { type: 'string', valueName: 'SESSION_ID', description: "Only this session's events" },
} as const satisfies Record<string, OptionSpec>;

export function eventFilters(ctx: Pick<Context, 'options'>): Query {
  return { level: text(ctx.options, 'level'), name: text(ctx.options, 'name'), user_id: text(ctx.options, 'user'), session_id: text(ctx.options, 'session') };
}

export const eventColumns: Column[] = [
  { key: 'timestamp' },
  { key: 'level' },
  { key: 'name' },
  { key: 'message' },
  { key: 'user_id' },
  { key: 'session_id' },
  { key: 'app_version' },
];
