/** What the CLI lists of its project: the project, its apps, and the key itself (or, signed in as a person, the project's keys). */
import type { CommandSpec } from '../command.ts';
import type { Row } from '../output.ts';

export const projectCommands: CommandSpec[] = [
  {
    path: ['projects'],
    summary: "The project (the key's, or the one a session acts on) and its settings",
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
    summary: "The key in use (its type, project and permissions), or signed in as a person, the project's keys",
    details:
      "An agent key may list itself only (GET /v1/me): a project's keys are created, rotated and revoked\n" +
      'by its signed-in admins (the dashboard, or /v1/projects/:id/keys), so a leaked key cannot mint others.\n' +
      "Signed in by email (strix login --email), an admin lists the project's keys, revoked and expired ones included.",
    output: true,
    remote: true,
    async run(ctx) {
      const client = await ctx.client();
      const project = client.sessionProject;
      if (project !== undefined) {
        const { keys } = await client.get<{ keys: Row[] }>(`/v1/projects/${encodeURIComponent(project)}/keys`);
        ctx.print({ rows: keys, columns: [{ key: 'prefix' }, { key: 'type' }, { key: 'name' }, { key: 'status' }, { key: 'expires_at' }, { key: 'permissions' }] });
        return;
      }
      const me = await client.get<Row>('/v1/me');
      ctx.print({
        rows: [me],
        columns: [{ key: 'prefix' }, { key: 'key_type' }, { key: 'project_id' }, { key: 'expires_at' }, { key: 'permissions' }],
      });
    },
  },
];
