import { platformEnvironments, platforms, type Platform } from '@strix/contracts';
import type { BatchField, ValidatedBatch } from './validate-events.ts';

/**
 * The environments that name a platform (ios, android, web…). An event may
 * carry a deployment environment instead (production, staging…): those are
 * not a platform's, and any app may send them.
 */
const platformOf = new Map<string, Platform>(platforms.flatMap((p) => platformEnvironments[p].map((env) => [env, p] as const)));

/**
 * Refuses, one by one, accepted events whose `environment` names another
 * platform than their app's (an iOS event sent with an Android app's key):
 * the error names both. Keys without an app platform (agent keys, tests) pass.
 */
export function refuseForeignEnvironments(batch: ValidatedBatch, field: BatchField, app: { appId: string; platform?: Platform | undefined }): void {
  const { platform } = app;
  if (!platform) return;
  let kept = 0;
  let refused = false;
  batch.accepted.forEach((event, i) => {
    const environment = event.environment?.trim().toLowerCase();
    const named = environment === undefined ? undefined : platformOf.get(environment);
    if (named !== undefined && named !== platform) {
      batch.errors.push({
        index: batch.indexes[i]!,
        message: `${field}[${batch.indexes[i]}].environment: "${environment}" is a ${named} environment; app ${app.appId} is a ${platform} app (allowed: ${platformEnvironments[platform].join(', ')})`,
      });
      refused = true;
      return;
    }
    batch.accepted[kept] = event;
    batch.indexes[kept] = batch.indexes[i]!;
    kept++;
  });
  batch.accepted.length = kept;
  batch.indexes.length = kept;
  if (refused) batch.errors.sort((a, b) => a.index - b.index);
}
