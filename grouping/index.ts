/**
 * @strix/grouping — which issue an error belongs to, and why.
 *
 * Only error-level events are grouped. The processors call `groupEvent` for each of
 * them (the hot path: no words are built there); the issue detail calls
 * `explainGrouping` to say, component by component, what decided the fingerprint.
 *
 * Files
 * - grouping.ts — `groupEvent`: an event's fingerprint under the current config and
 *   under the config it replaced (so an upgrade of the rules never regroups issues),
 *   its basis, exception type and culprit.
 * - grouping-configs.ts — the versioned configs (strix-1, strix-2) with their
 *   changelog: which components each hashes, and why it leaves the others out.
 * - explanation.ts — `explainGrouping` and the `grouping_explanation` shape
 *   (components with `contributes`, values and a hint), built from the configs' own
 *   decisions, so it cannot disagree with the fingerprint.
 * - fingerprint.ts — the hash (SHA-256 over the parts as JSON) and the frozen strix-1 parts.
 * - normalize-message.ts — message shapes: ids, numbers, addresses, times and quoted
 *   values become tokens, with linear-time patterns.
 * - stack-frames.ts — in-app versus library/runtime/OS frames, and each frame's
 *   stable identity (function and normalized file: no lines, build paths or hashes).
 * - grouping-cases.ts (`@strix/grouping/cases`) — message pairs that must or must not
 *   group, shared by the unit tests and the end-to-end issue suite.
 */
export { becomesIssue, groupEvent, type Grouping } from './grouping.ts';
export {
  currentGroupingConfig,
  groupingConfigs,
  isGroupingConfigId,
  type GroupingBasis,
  type GroupingConfig,
  type GroupingConfigId,
  type GroupingInput,
} from './grouping-configs.ts';
export { explainGrouping, GroupingComponent, GroupingExplanation } from './explanation.ts';
export { normalizeMessage } from './normalize-message.ts';
export { describeCulprit, isInAppFrame, normalizeFilename } from './stack-frames.ts';
