import { micromark } from 'micromark';

/**
 * A comment's markdown as HTML that cannot run script: micromark escapes every
 * raw HTML tag and drops link and image URLs whose scheme is not http(s),
 * mailto or a relative one (no `javascript:`, no `data:`).
 */
export function renderMarkdown(source: string): string {
  return micromark(source, { allowDangerousHtml: false, allowDangerousProtocol: false });
}
