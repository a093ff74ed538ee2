import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PageviewDeduper, isIdSegment, normalizePagePath } from './pageviews.ts';

describe('normalizePagePath', () => {
  const cases: [string, string][] = [
    // Paths and URLs: scheme, host, query and anchors go.
    ['', '/'],
    ['/', '/'],
    ['   ', '/'],
    ['/acme/issues', '/acme/issues'],
    ['/acme/issues/', '/acme/issues'],
    ['acme/issues', '/acme/issues'],
    ['//acme///issues//', '/acme/issues'],
    ['/acme/issues?status=open&sort=new', '/acme/issues'],
    ['/acme/issues#filters', '/acme/issues'],
    ['/acme/issues/?q=a/b#x?y', '/acme/issues'],
    ['https://app.example.com/acme/settings?code=secret&state=x', '/acme/settings'],
    ['HTTP://App.Example.com:8080/Acme/Settings', '/Acme/Settings'],
    ['https://app.example.com', '/'],
    ['https://app.example.com?ref=mail', '/'],
    ['//cdn.example.com/docs/intro', '/cdn.example.com/docs/intro'],
    ['myapp://settings/profile', '/settings/profile'],
    ['file:///docs/intro', '/docs/intro'],
    // Client-side routers keep their route in the hash.
    ['https://example.com/#/users/42/edit?tab=1', '/users/:id/edit'],
    ['https://example.com/app/#!/projects/8d5c3a4e-1f2b-4c5d-8e9f-0a1b2c3d4e5f', '/app/projects'],
    // Dot segments resolve.
    ['/docs/./guide/../api', '/docs/api'],
    ['/../../etc', '/etc'],
    // The seed's example: a resource's page is its collection.
    ['/acme/issues/8d5c3a4e-1f2b-4c5d-8e9f-0a1b2c3d4e5f', '/acme/issues'],
    ['/acme/issues/8D5C3A4E-1F2B-4C5D-8E9F-0A1B2C3D4E5F', '/acme/issues'],
    ['/acme/issues/MUL-12', '/acme/issues'],
    ['/acme/issues/MUL-12?tab=activity#comment-3', '/acme/issues'],
    // Ids in the middle stand as `:id`; trailing ids all go.
    ['/users/123/settings', '/users/:id/settings'],
    ['/users/123', '/users'],
    ['/123', '/'],
    ['/orgs/7/repos/42', '/orgs/:id/repos'],
    ['/a/1/2/b', '/a/:id/:id/b'],
    ['/a/b/1/2', '/a/b'],
    ['/reports/2024-05-12/summary', '/reports/:id/summary'],
    ['/docs/1.2.3/install', '/docs/:id/install'],
    ['/blog/2024', '/blog'],
    ['/commits/a1b2c3d', '/commits'],
    ['/commits/4f9e0c2b7d1a8e6f5c3b2a1d0e9f8c7b6a5d4e3f/files', '/commits/:id/files'],
    ['/objects/507f1f77bcf86cd799439011', '/objects'],
    ['/pages/Meeting-notes-8d5c1e2f3a4b4c5d6e7f8a9b0c1d2e3f', '/pages'],
    ['/p/my-first-post-a1b2c3d4e5f6', '/p'],
    ['/users/jane%40example.com/orders', '/users/:id/orders'],
    ['/users/jane@example.com', '/users'],
    ['/s/V1StGXR8_Z5jdHi6B-myT', '/s'],
    ['/items/01ARZ3NDEKTSV4RRFFQ69G5FAV', '/items'],
    ['/items/ckl2o7x9z0000abcd1234efgh/edit', '/items/:id/edit'],
    ['/customers/cus_NffrFeUfNV2Hib', '/customers'],
    ['/pay/pi_3MtwBwLkdIwHu7ix28a3tqPa', '/pay'],
    ['/invite/eyJhbGciOiJIUzI1NiJ9', '/invite'],
    // Words stay, with or without digits, whatever their case.
    ['/settings', '/settings'],
    ['/api/v2/keys', '/api/v2/keys'],
    ['/account/2fa', '/account/2fa'],
    ['/onboarding/step-2', '/onboarding/step-2'],
    ['/shop/iphone-15-pro-max-review', '/shop/iphone-15-pro-max-review'],
    ['/docs/getting-started-with-strix', '/docs/getting-started-with-strix'],
    ['/docs/x86_64-linux-gnu-toolchain', '/docs/x86_64-linux-gnu-toolchain'],
    ['/blog/top-10-tips-for-2024', '/blog/top-10-tips-for-2024'],
    ['/blog/release-notes-2024-q3-v2', '/blog/release-notes-2024-q3-v2'],
    ['/wiki/MyGreatArticleAboutThings', '/wiki/MyGreatArticleAboutThings'],
    ['/wiki/Windows10Pro2023Edition', '/wiki/Windows10Pro2023Edition'],
    ['/wiki/thisIsALongCamelCaseName', '/wiki/thisIsALongCamelCaseName'],
    ['/acme/Issues/Board', '/acme/Issues/Board'],
    ['/docs/deadbeef', '/docs/deadbeef'],
    ['/caf%C3%A9/menu', '/café/menu'],
    ['/files/a%2Fb/view', '/files/a%2Fb/view'],
    ['/bad/%E0%A4%A/x', '/bad/%E0%A4%A/x'],
    // An already-normalized route is left as it is.
    ['/users/:id/settings', '/users/:id/settings'],
  ];

  for (const [raw, section] of cases) {
    it(`${JSON.stringify(raw)} → ${section}`, () => {
      assert.equal(normalizePagePath(raw), section);
    });
  }

  it('is idempotent', () => {
    for (const [raw] of cases) {
      const once = normalizePagePath(raw);
      assert.equal(normalizePagePath(once), once, raw);
    }
  });

  it('fits screen_name, cutting whole segments', () => {
    const long = `/${Array.from({ length: 100 }, (_, i) => `section${String.fromCharCode(97 + (i % 26))}`).join('/')}`;
    const section = normalizePagePath(long);
    assert.ok(section.length <= 256, `${section.length} characters`);
    assert.ok(long.startsWith(`${section}/`), 'a prefix of whole segments');
    assert.equal(normalizePagePath(`/${'word'.repeat(100)}`).length, 256);
    assert.equal(normalizePagePath(`/users/123/${'section/'.repeat(40)}`).startsWith('/users/:id/section/'), true);
  });

  it('does not count a number-like word as an id unless it is one', () => {
    assert.equal(isIdSegment('v2'), false);
    assert.equal(isIdSegment('2024'), true);
    assert.equal(isIdSegment('mul-12'), false, 'issue keys are uppercase');
    assert.equal(isIdSegment('COVID-19'), true, 'the trade of that rule');
  });
});

describe('PageviewDeduper', () => {
  it('drops a consecutive repeat of a section, per key', () => {
    const d = new PageviewDeduper();
    assert.equal(d.isRepeat('p\0s1', '/acme/issues'), false);
    assert.equal(d.isRepeat('p\0s1', '/acme/issues'), true);
    assert.equal(d.isRepeat('p\0s1', '/acme/issues'), true);
    assert.equal(d.isRepeat('p\0s2', '/acme/issues'), false, 'another session has its own history');
    assert.equal(d.isRepeat('q\0s1', '/acme/issues'), false, 'another project too');
  });

  it('a different section in between makes the next view count', () => {
    const d = new PageviewDeduper();
    const views = ['/a', '/a', '/b', '/a', '/a', '/b', '/b', '/c'].map((s) => d.isRepeat('k', s));
    assert.deepEqual(views, [false, true, false, false, true, false, true, false]);
  });

  it('forgets the least recently seen key beyond its capacity', () => {
    const d = new PageviewDeduper(3);
    for (const k of ['a', 'b', 'c']) d.isRepeat(k, '/home');
    assert.equal(d.isRepeat('a', '/home'), true, 'touching a makes b the oldest');
    assert.equal(d.isRepeat('d', '/home'), false);
    assert.equal(d.size, 3);
    assert.equal(d.isRepeat('b', '/home'), false, 'b was forgotten');
    assert.equal(d.isRepeat('a', '/home'), true, 'a was kept');
    assert.equal(d.isRepeat('d', '/home'), true);
    assert.equal(d.size, 3);
  });

  it('stays within its bound under many keys', () => {
    const d = new PageviewDeduper(1000);
    for (let i = 0; i < 10_000; i++) d.isRepeat(`k${i}`, '/x');
    assert.equal(d.size, 1000);
    assert.equal(d.isRepeat('k9999', '/x'), true);
    assert.equal(d.isRepeat('k0', '/x'), false);
  });
});
