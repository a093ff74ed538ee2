import { z } from 'zod';
import { StackFrame } from '@strix/contracts';
import { explainGrouping, isGroupingConfigId, type GroupingExplanation, type GroupingInput } from '@strix/grouping';
import type { StoredError } from '@strix/warehouse';

const StoredFrames = z.array(StackFrame);

/** Frames as the processors stored them (validated JSON); undefined when there were none or they do not parse. */
function storedFrames(json: string): StackFrame[] | undefined {
  if (json === '') return undefined;
  try {
    const parsed = StoredFrames.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Inputs grouping may read that `events` does not keep. */
const unstored = ['client_fingerprint', 'exception_value'];

/**
 * Why a stored error has its fingerprint: grouping re-run, under the config the error
 * was grouped by, on what the row keeps of it. The row does not keep the client's
 * fingerprint or the exception's value; when the fingerprint comes out as stored they
 * did not decide it and the explanation is exact, and when it does not, one of them did
 * and the explanation says so, showing what the stored fields alone would give.
 */
export function explainStoredError(error: StoredError): GroupingExplanation {
  // Rows stored before grouping was versioned read '' and carry strix-1 fingerprints (sql/006).
  const configId = error.grouping_config === '' ? 'strix-1' : error.grouping_config;
  if (!isGroupingConfigId(configId)) {
    return {
      config: error.grouping_config,
      basis: 'unknown',
      fingerprint: error.fingerprint,
      summary: `Grouped under config ${error.grouping_config}, which this version of Strix does not know.`,
      components: [],
    };
  }
  const frames = storedFrames(error.stack_frames);
  const type = error.exception_type === '' ? undefined : error.exception_type;
  const input: GroupingInput = {
    app_id: error.app_id,
    is_dev: error.is_dev,
    level: 'error',
    message: error.message,
    source_module: error.source_module === '' ? undefined : error.source_module,
    exception: type === undefined && frames === undefined ? undefined : { type, stacktrace: frames && { frames } },
  };
  const explanation = explainGrouping(input, configId);
  if (explanation.fingerprint === error.fingerprint) {
    return {
      ...explanation,
      summary: `${explanation.summary} Recomputed from the issue's latest stored error, which has this fingerprint.`,
      components: explanation.components.map((c) =>
        unstored.includes(c.name) && !c.contributes ? { ...c, hint: 'not stored with events; the fingerprint comes out as stored without it, so it did not decide' } : c,
      ),
    };
  }
  return {
    config: configId,
    basis: 'unknown',
    fingerprint: error.fingerprint,
    summary:
      "This error's stored fingerprint does not come out of its stored fields: events do not keep the client fingerprint or the exception value, " +
      `so one of them decided. The stored fields alone would give: ${explanation.summary}`,
    components: explanation.components.map((c) => {
      if (unstored.includes(c.name)) return { ...c, contributes: false, values: [], hint: 'not stored with events: cannot be shown' };
      return c.contributes ? { ...c, contributes: false, hint: `would contribute from the stored fields alone: ${c.hint}` } : c;
    }),
  };
}
