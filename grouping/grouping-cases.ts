/**
 * Pairs of error messages and whether they must land in the same issue. Shared test
 * data: the message normalizer is tested against it here, and the issue scan reuses it
 * end to end, so a change in grouping shows up in both places.
 */
export interface GroupingCase {
  readonly a: string;
  readonly b: string;
  readonly group: boolean;
}

export const groupingCases: GroupingCase[] = [
  // Must group: only variable parts differ.
  { a: 'User 123 not found', b: 'User 456 not found', group: true },
  { a: 'Timeout after 30s on db-7', b: 'Timeout after 45s on db-2', group: true },
  {
    a: 'Failed to load 550e8400-e29b-41d4-a716-446655440000',
    b: 'Failed to load 6BA7B810-9DAD-11D1-80B4-00C04FD430C8',
    group: true,
  },
  { a: "Key 'abc' missing", b: "Key 'xyz' missing", group: true },
  { a: 'Request to https://api.x.com/users/1?x=2 failed', b: 'Request to https://api.y.com/orders failed', group: true },
  { a: 'Socket ws://localhost:8080/live closed', b: 'Socket wss://rt.example.com/live?token=abc closed', group: true },
  { a: 'Cannot deliver to alice@example.com', b: 'Cannot deliver to bob.smith+tag@mail.example.co.uk', group: true },
  { a: 'Connection to 10.0.0.1 refused', b: 'Connection to 192.168.1.254:5432 refused', group: true },
  { a: 'Connection to ::1 refused', b: 'Connection to fe80::1ff:fe23:4567:890a refused', group: true },
  { a: 'Connection to 10.0.0.1 refused', b: 'Connection to 2001:db8::8a2e:370:7334 refused', group: true },
  { a: 'Peer ::ffff:192.168.1.1 reset', b: 'Peer 172.16.0.9 reset', group: true },
  { a: 'Job for 2024-01-15 failed', b: 'Job for 2023-12-31T23:59:59Z failed', group: true },
  {
    a: 'Request at 2024-01-15 10:30:00.123+02:00 timed out',
    b: 'Request at 2023-06-01T08:00:00-05:00 timed out',
    group: true,
  },
  { a: 'Report for 01/15/2024 missing', b: 'Report for 15.01.2024 missing', group: true },
  { a: 'Invoice dated Jan 15, 2024 rejected', b: 'Invoice dated 3 March 2023 rejected', group: true },
  { a: 'Lock held since 10:30:00', b: 'Lock held since 23:59:59.999', group: true },
  { a: 'Query took 150ms', b: 'Query took 1.5s', group: true },
  { a: 'Retry in 30 seconds', b: 'Retry in 2 minutes', group: true },
  { a: 'Slow call: 100µs over budget', b: 'Slow call: 3h over budget', group: true },
  { a: 'Segfault at 0x7ffee4b2c8a0', b: 'Segfault at 0x0', group: true },
  { a: 'Commit a1b2c3d not found', b: 'Commit 0123456789abcdef0123456789abcdef01234567 not found', group: true },
  { a: 'ObjectId 507f1f77bcf86cd799439011 invalid', b: 'ObjectId 5f8d0d55b54764421b7156c9 invalid', group: true },
  { a: 'Session sess_9f8e7d6c5b4a expired', b: 'Session sess_0a1b2c3d4e5f expired', group: true },
  { a: 'Pod api-7f9c8d6b5 OOMKilled', b: 'Pod api-5d4c3b2a1 OOMKilled', group: true },
  { a: 'Value "foo" is invalid', b: 'Value "bar \\"baz\\"" is invalid', group: true },
  { a: 'Expected `string`, got `number`', b: 'Expected `int`, got `null`', group: true },
  { a: "Can't retry 'upload' for user 5", b: "Can't retry 'sync' for user 61", group: true },
  { a: 'Temperature -3.5 below threshold', b: 'Temperature 1e-3 below threshold', group: true },
  { a: 'Worker worker-12 crashed', b: 'Worker worker-3 crashed', group: true },
  { a: 'Order ORD-2024-0001 not paid', b: 'Order ORD-2023-9999 not paid', group: true },
  { a: 'Cache miss for user:42:profile', b: 'Cache miss for user:7:profile', group: true },
  { a: 'Shard 3 of 16 is read-only', b: 'Shard 11 of 32 is read-only', group: true },
  { a: 'Node [::1]:8080 unreachable', b: 'Node [2001:db8::1]:9090 unreachable', group: true },
  { a: '  User 1   NOT found\n', b: 'user 2 not found', group: true },
  { a: 'Server error 500', b: 'Server error 503', group: true },
  { a: 'at handler (app.js:10:30)', b: 'at handler (app.js:120:5)', group: true },

  // Must not group: the words differ, or a token of a different kind sits in the same place.
  { a: 'User not found', b: 'Order not found', group: false },
  { a: 'Connection refused', b: 'Connection reset', group: false },
  { a: 'Timeout after 30s on db-7', b: 'Timeout after 30s on cache-7', group: false },
  { a: "Key 'abc' missing", b: "Key 'abc' invalid", group: false },
  {
    a: 'Failed to load 550e8400-e29b-41d4-a716-446655440000',
    b: 'Failed to save 550e8400-e29b-41d4-a716-446655440000',
    group: false,
  },
  { a: 'User 5 not found', b: 'User 5 not authorized', group: false },
  { a: 'Query took 150ms', b: 'Query took 150 rows', group: false },
  { a: 'Retry in 30 seconds', b: 'Retry in 30 attempts', group: false },
  { a: 'Payment declined', b: 'Payment approved', group: false },
  {
    a: "Cannot read properties of undefined (reading 'id')",
    b: "Cannot read properties of null (reading 'id')",
    group: false,
  },
  { a: 'Bounce from https://a.example.com', b: 'Bounce from alice@a.example.com', group: false },
  { a: 'std::vector index out of range', b: 'std::map index out of range', group: false },
  { a: "Can't connect to database", b: "Can't connect to cache", group: false },
  { a: 'TypeError: x is not a function', b: 'TypeError: x is not iterable', group: false },
  { a: 'Lock held since 10:30:00', b: 'Lock released since 10:30:00', group: false },
  { a: 'Failed to decode utf8 payload', b: 'Failed to decode latin1 payload', group: false },
  { a: 'Value "a" rejected', b: "Value 'a' rejected", group: false },
  { a: 'Invalid token', b: 'Expired token', group: false },
];
