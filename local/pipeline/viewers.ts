/** Viewer requests against the primary's domain, as a browser would send them, read as the content version served. */
import type { LocalSite } from './site.js';
import { STAGING_HEADER } from './staging-stack.js';

/** What the probe needs from the emulator: its data plane. */
export interface ViewerSource {
  viewer(
    domainName: string,
    path: string,
    init?: { headers?: Record<string, string> },
  ): Promise<{ status: number; body: string; servedBy?: string; setCookie?: string; xCache?: string; age?: number }>;
}

/**
 * `text` with each `https://<id>.cloudfront.net/` address — what a function tells a reviewer, right for real AWS —
 * replaced by the emulator's viewer path for that domain (`<emulator>/_viewer/<domain>/`), which answers locally as
 * the distribution would, routing by the staging header when the policy does: a `curl` in an approval's text then
 * works as shown. The functions' own output is left as it is; only the local pipeline's display changes.
 */
export function localViewerAddresses(text: string, emulatorUrl: string): string {
  return text.replace(/https:\/\/([a-z0-9]+\.cloudfront\.net)\//g, `${emulatorUrl}/_viewer/$1/`);
}

/** One page as a viewer got it, with the edge cache's answer. */
export interface Page {
  version: string;
  xCache: string;
  age: number | undefined;
}

/** `v2 (Hit from cloudfront, age 3 s)`: the page and where it came from. */
export const describePage = (p: Page) => `${p.version} (${p.xCache}${p.age === undefined ? '' : `, age ${p.age} s`})`;

/** The content version a page names (`site v2`), or a description of what came instead. */
export const versionOf = (body: string) =>
  /site (v\d+)/.exec(body)?.[1] ?? `HTTP body ${JSON.stringify(body.slice(0, 40))}`;

export type ViewerProbe = ReturnType<typeof viewerProbe>;

export function viewerProbe(emulator: ViewerSource, site: LocalSite) {
  const get = async (headers?: Record<string, string>) => {
    const request = () => emulator.viewer(site.primaryDomain, '/', headers ? { headers } : undefined);
    // A kept-alive connection the emulator closed just then fails the request before it was sent: send it again.
    return request().catch(request);
  };
  const header = { [STAGING_HEADER.header]: STAGING_HEADER.value };
  /** The version served, or `HTTP <status>` for an error. */
  const seen = (r: { status: number; body: string }) => (r.status === 200 ? versionOf(r.body) : `HTTP ${r.status}`);
  return {
    once: async () => seen(await get()),
    /** One request without the header, with the cache's `x-cache` and `age`. */
    page: async (): Promise<Page> => {
      const r = await get();
      return { version: seen(r), xCache: r.xCache ?? '(no x-cache)', age: r.age };
    },
    /** One request with the staging header (what header routing sends to staging). */
    withHeader: async () => seen(await get(header)),
    withHeaderTimes: async (n: number) => {
      for (let i = 0; i < n; i++) await get(header);
    },
    sample: async (n: number) => Promise.all(Array.from({ length: n }, async () => seen(await get()))),
    /** `n` requests for `path` without the header, side by side: the HTTP status each got. */
    statusesAt: async (path: string, n: number) =>
      Promise.all(
        Array.from({ length: n }, async () => {
          const request = () => emulator.viewer(site.primaryDomain, path);
          return (await request().catch(request)).status;
        }),
      ),
    /** `n` fresh viewers (no cookie); then one viewer that reached staging keeps its cookie for 20 requests. */
    weighted: async (n: number, stagingVersion: string) => {
      let hits = 0;
      let stickyCookie: string | undefined;
      for (let i = 0; i < n; i++) {
        const r = await get();
        if (versionOf(r.body) === stagingVersion) {
          hits++;
          stickyCookie ??= r.setCookie?.split(';')[0];
        }
      }
      let sticky = stickyCookie !== undefined;
      for (let i = 0; sticky && i < 20; i++)
        sticky = versionOf((await get({ cookie: stickyCookie as string })).body) === stagingVersion;
      return { share: hits / n, sticky };
    },
  };
}

/** `3× v1, 47× v2`: how many viewers got each version. */
export function summarize(versions: string[]): string {
  const counts = new Map<string, number>();
  for (const v of versions) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${n}× ${v}`).join(', ');
}
