/**
 * A path with a literal colon inside a segment (`/v1/track:batch`), as the router
 * must be given it: unescaped, `:batch` would be a parameter and `/v1/trackfoo`
 * would reach the endpoint.
 */
export const literalPath = (path: string): string => path.replace(/([^/:]):(?!:)/g, '$1::');

/** A registered route's path as clients send it (`::` is the router's escaped colon). */
export const clientPath = (url: string): string => url.replaceAll('::', ':');
