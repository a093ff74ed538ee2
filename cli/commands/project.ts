/** What an agent key may list of its project: the project, its apps, and the key itself. */
import type { CommandSpec } from '../command.ts';
import type { Row } from '../output.ts';

export const projectCommands: CommandSpec[] = [
  {
    path: ['projects'],
    summary: "The key's project and its settings",
    details: 'An agent key belongs to one project (GET /v1/project, projects:read); a signed-in person sees every project of their teams in the dashboard.',
    output: true,
    remote: true,
    async run(ctx) {
      const project = await (await ctx.client()).get<Row>('/v1/project');
      ctx.print({
        rows: [project],
        columns: [{ key: 'id' }, { key: 'name' }, { key: 'slug' }, { key: 'retention_days', numeric: true }, { key: 'issue_alert_frequency' }, { key: 'created_at' }],
      });
    },
  },
  {
    path: ['apps'],
    summary: "The project's apps",
    details: 'GET /v1/apps (apps:read). An app id narrows most reads: --app APP_ID.',
    output: true,
    remote: true,
    async run(ctx) {
      const { apps } = await (await ctx.client()).get<{ apps: Row[] }>('/v1/apps');
      ctx.print({ rows: apps, columns: [{ key: 'id' }, { key: 'name' }, { key: 'platform' }, { key: 'bundle_id' }, { key: 'latest_app_version' }, { key: 'created_at' }] });
    },
  },
  {
    path: ['keys'],
    summary: 'The key in use: its type, project and permissions',
    details:
      "An agent key may list itself only (GET /v1/me): a project's keys are created, rotated and revoked\n" +
      'by its signed-in admins (the dashboard, or /v1/projects/:id/keys), so a leaked key cannot mint others.',
    output: true,
    remote: true,
    async run(ctx) {
      const me = await (await ctx.client()).get<Row>('/v1/me');
      ctx.print({
        rows: [me],
        columns: [{ key: 'prefix' }, { key: 'key_type' }, { key: 'project_id' }, { key: 'expires_at' }, { key: 'permissions' }],
      });
    },
  },
];
