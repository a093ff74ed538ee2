import { join } from 'node:path';
import { createAnalytics } from '@strix/analytics';
import { apiRoutes } from '@strix/api';
import { deriveSecret } from '@strix/control';
import { DeadLetters } from '@strix/processors/dead-letters';
import { dashboardRoutes } from '@strix/dashboards';
import { mountSqlGateway } from '@strix/sql-gateway';
import { SmtpMailer } from '@strix/workflows';
import { ensureDefaultProject, ensureOwnerSignIn } from '../bootstrap.ts';
import { issueScanTrigger } from '../issue-scans.ts';
import type { RoleContext, RunningRole } from './role.ts';

/**
 * The read and management API for agent keys, and the SQL gateway for analysts
 * over the chDB store this process hosts (with a ClickHouse server, analysts use
 * its own users). Bootstraps the default project on first start.
 */
export async function startApiRole(ctx: RoleContext): Promise<RunningRole> {
  const { config, warehouse, control, issues } = ctx;
  if (!control || !issues) throw new Error('the api role needs the control plane');
  const { publicUrl, smtpUrl, from } = config.mail;
  const made = await ensureDefaultProject(control, config.dataDir, config.defaultRetentionDays);
  const bootstrap = await ensureOwnerSignIn(control, config.dataDir, made, { publicUrl, printSignIn: config.printSignIn });
  const scans = issueScanTrigger(config, issues);
  // Sign-in codes and invitations; the jobs' digests have their own mailer (scheduling.ts).
  const mailer = smtpUrl ? new SmtpMailer(smtpUrl) : undefined;
  await ctx.app.register(apiRoutes, {
    analytics: createAnalytics({ warehouse, savedFunnels: control.funnels() }),
    issues,
    control,
    deadLetters: new DeadLetters({ warehouse }),
    scanIssues: (projectId: string) => scans.scan(projectId),
    ...(ctx.jobs && { jobs: ctx.jobs }),
    secretKey: ctx.secretKey,
    ...(ctx.blobs && { attachments: { blobs: ctx.blobs, signingSecret: deriveSecret(ctx.secretKey, 'attachment downloads') } }),
    publicUrl,
    ...(mailer && { mail: { mailer, from, publicUrl } }),
  });
  // The web app people sign in to, on the API's origin.
  await ctx.app.register(dashboardRoutes);
  const closeSql =
    config.warehouse.kind === 'chdb'
      ? await mountSqlGateway(ctx.app, { dataPath: join(config.dataDir, 'chdb'), adminPassword: config.sqlAdminPassword, ...config.sql }, ctx.keys)
      : undefined;
  return {
    bootstrap,
    async stop() {
      await scans.close();
      closeSql?.();
      await mailer?.close();
    },
  };
}
