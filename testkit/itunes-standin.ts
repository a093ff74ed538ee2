/**
 * A local stand-in for the App Store's lookup endpoint (Apple's iTunes Search
 * API), on node:http: `GET /lookup?bundleId=…&country=…` answered with the
 * shape of recorded answers, from the apps it is given, with faults on demand.
 *
 * The result keys and their types follow a recorded answer for a published
 * app ("wrapperType":"software", "kind":"software", "trackId":1303221657,
 * "bundleId":"com.aney00.Briefinsta", "version":"0.1.3",
 * "currentVersionReleaseDate":"2017-11-01T17:33:14Z", "fileSizeBytes" as a
 * string, prices as numbers…) and Apple's archived "Understanding Search
 * Results" page (developer.apple.com/library/archive/documentation/AudioVideo/
 * Conceptual/iTuneSearchAPI/UnderstandingSearchResults.html): "All JSON results
 * are encoded as UTF-8". An app the storefront does not list answers 200 with
 * `{"resultCount":0,"results":[]}`, as clients of the endpoint handle it
 * ("results not empty | response.results.length === 0 | … is not released",
 * deepwiki.com/watanabeyu/react-native-store-version). The live endpoint
 * labels its JSON `text/javascript`, which clients accept alongside
 * `application/json` (programmer.group/5dc2aa22aa5bf.html): so does this one.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinApp {
  bundleId: string;
  version: string;
  trackId?: number;
  trackName?: string;
  /** ISO 8601, as `currentVersionReleaseDate`. */
  releasedAt?: string;
  /** Storefronts listing the app (two letters, lower case); every one when absent. */
  countries?: readonly string[];
}

export interface StandinFault {
  /** Answer this status (with an HTML error page) instead of the lookup. */
  status?: number;
  /** Answer this raw body with status 200 instead of the lookup (a malformed answer). */
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Only for lookups of this bundle id. */
  bundleId?: string;
  /** How many requests it applies to; every one until cleared when absent. */
  times?: number;
}

export interface StandinRequest {
  /** When it arrived (epoch ms). */
  at: number;
  path: string;
  bundleId: string | null;
  country: string | null;
  status: number;
}

export interface ITunesStandin {
  /** The base URL to give the client (`{baseUrl}/lookup`). */
  readonly baseUrl: string;
  /** Every request answered so far, in order. */
  readonly requests: StandinRequest[];
  setApp(app: StandinApp): void;
  removeApp(bundleId: string): void;
  /** Faults apply in the order added, the first matching one to each request. */
  inject(fault: StandinFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

let nextTrackId = 1_533_526_463;

function softwareResult(app: StandinApp, country: string): Record<string, unknown> {
  const trackId = app.trackId ?? 0;
  const name = app.trackName ?? app.bundleId.split('.').at(-1) ?? app.bundleId;
  const released = app.releasedAt ?? '2024-11-20T13:36:18Z';
  const artwork = (size: number) => `https://is1-ssl.mzstatic.com/image/thumb/Purple211/v4/ee/7d/b5/${trackId}/AppIcon-0-0-1x_U007epad-0-1-85-220.png/${size}x${size}bb.jpg`;
  // Key order and value types as in the recorded answers.
  return {
    isGameCenterEnabled: false,
    supportedDevices: ['iPhone5s-iPhone5s'],
    features: ['iosUniversal'],
    advisories: [],
    kind: 'software',
    screenshotUrls: [],
    ipadScreenshotUrls: [],
    appletvScreenshotUrls: [],
    artworkUrl512: artwork(512),
    artistViewUrl: `https://apps.apple.com/${country}/developer/example/id1533526465?uo=4`,
    artworkUrl60: artwork(60),
    artworkUrl100: artwork(100),
    price: 0,
    primaryGenreName: 'Utilities',
    primaryGenreId: 6002,
    trackId,
    trackName: name,
    genreIds: ['6002', '6007'],
    releaseNotes: 'Bug fixes and performance improvements.',
    bundleId: app.bundleId,
    releaseDate: '2020-10-18T07:00:00Z',
    isVppDeviceBasedLicensingEnabled: true,
    sellerName: 'Example Inc.',
    currentVersionReleaseDate: released,
    version: app.version,
    wrapperType: 'software',
    currency: 'USD',
    description: `${name}: an app of the stand-in store.`,
    languageCodesISO2A: ['EN'],
    fileSizeBytes: '2650112',
    formattedPrice: 'Free',
    userRatingCountForCurrentVersion: 6,
    trackContentRating: '4+',
    averageUserRatingForCurrentVersion: 4.83333,
    trackCensoredName: name,
    trackViewUrl: `https://apps.apple.com/${country}/app/${encodeURIComponent(name.toLowerCase())}/id${trackId}?uo=4`,
    contentAdvisoryRating: '4+',
    averageUserRating: 4.83333,
    minimumOsVersion: '17.0',
    artistId: 1533526465,
    artistName: 'Example Inc.',
    genres: ['Utilities', 'Productivity'],
    userRatingCount: 6,
  };
}

const errorPage = (status: number) => `<html><head><title>Error</title></head><body>${status}</body></html>`;

/** Starts the stand-in on 127.0.0.1, on a free port, holding `apps`. */
export async function startITunesStandin(options: { apps?: readonly StandinApp[] } = {}): Promise<ITunesStandin> {
  const apps = new Map<string, StandinApp>();
  // A listed app keeps its trackId from one answer to the next, as in the store.
  const setApp = (app: StandinApp) => void apps.set(app.bundleId, { ...app, trackId: app.trackId ?? apps.get(app.bundleId)?.trackId ?? nextTrackId++ });
  for (const app of options.apps ?? []) setApp(app);
  const faults: StandinFault[] = [];
  const requests: StandinRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const takeFault = (bundleId: string | null): StandinFault | undefined => {
    const index = faults.findIndex((f) => f.bundleId === undefined || f.bundleId === bundleId);
    const fault = faults[index];
    if (!fault) return undefined;
    if (fault.times !== undefined && --fault.times <= 0) faults.splice(index, 1);
    return fault;
  };

  const server = createServer((req, res) => {
    const arrived = Date.now();
    const url = new URL(req.url ?? '/', 'http://standin');
    const bundleId = url.searchParams.get('bundleId');
    const country = url.searchParams.get('country');
    const send = (status: number, contentType: string, body: string) => {
      requests.push({ at: arrived, path: url.pathname, bundleId, country, status });
      // A client that gave up (timeout) has closed the socket: nothing to answer.
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }).end(body);
    };
    const lookup = () => {
      const storefront = (country ?? 'us').toLowerCase();
      if (!/^[a-z]{2}$/.test(storefront)) {
        // The refusal of a bad parameter: its wording is not from a recording, and clients should not read it.
        return send(400, 'text/javascript; charset=utf-8', JSON.stringify({ errorMessage: 'Invalid value(s) for key(s): [country]', queryParameters: { country } }));
      }
      const app = bundleId === null ? undefined : apps.get(bundleId);
      const listed = app && (!app.countries || app.countries.includes(storefront));
      const results = listed ? [softwareResult(app, storefront)] : [];
      // Blank lines around the JSON, as live answers have them: a client parses the body, it does not compare it.
      send(200, 'text/javascript; charset=utf-8', `\n\n\n${JSON.stringify({ resultCount: results.length, results }, null, 1)}\n\n\n`);
    };
    if (req.method !== 'GET' || url.pathname !== '/lookup') return send(404, 'text/html; charset=utf-8', errorPage(404));
    const fault = takeFault(bundleId);
    const respond = () => {
      if (fault?.status !== undefined) return send(fault.status, 'text/html; charset=utf-8', errorPage(fault.status));
      if (fault?.body !== undefined) return send(200, 'text/javascript; charset=utf-8', fault.body);
      lookup();
    };
    if (!fault?.delayMs) return respond();
    const timer = setTimeout(() => {
      timers.delete(timer);
      respond();
    }, fault.delayMs);
    timers.add(timer);
  });

  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    setApp,
    removeApp: (bundleId) => void apps.delete(bundleId),
    inject: (fault) => void faults.push({ ...fault }),
    clearFaults: () => void faults.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
