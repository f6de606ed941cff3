import { describe, expect, it } from 'vitest';
import type { Waiver } from '../../../src/domain/baseline.js';
import { applyWaivers } from '../../../src/domain/waivers.js';
import { findingOf } from '../../support/report.js';

const waiver = (overrides: Partial<Waiver>): Waiver => ({
  rule: 'managed-policy-unexpected',
  resource: 'arn:aws:iam::123456789012:role/role-1',
  reason: 'migration ticket BATCH-42',
  owner: 'platform-team',
  expires: '2026-12-31',
  ...overrides,
});

const NOW = new Date('2026-11-29T03:00:00Z');

describe('applyWaivers', () => {
  it('waives a finding whose rule and resource glob match, keeping the waiver with it', () => {
    const outcome = applyWaivers(
      [findingOf(1, 'medium'), findingOf(2, 'high')],
      [waiver({ resource: '*role-1' })],
      NOW,
    );
    expect(outcome.findings.map((f) => f.resource.name)).toEqual(['role-2']);
    expect(outcome.waived).toEqual([
      {
        ...findingOf(1, 'medium'),
        waiver: { reason: 'migration ticket BATCH-42', owner: 'platform-team', expires: '2026-12-31' },
      },
    ]);
  });

  it.each([
    ['another rule', waiver({ rule: 'dangerous-permission' }), 1],
    ['a glob over names', waiver({ resource: 'role-?' }), 0],
    ['every rule', waiver({ rule: '*' }), 0],
    ['its last day', waiver({ expires: '2026-11-29' }), 0],
  ])('applies a waiver for %s as expected', (_label, w, remaining) => {
    expect(applyWaivers([findingOf(1, 'medium')], [w], NOW).findings).toHaveLength(remaining);
  });

  it('stops waiving after the expiry day and reports the expired waiver', () => {
    const outcome = applyWaivers([findingOf(1, 'medium')], [waiver({ expires: '2026-11-28' })], NOW);
    expect(outcome.waived).toEqual([]);
    expect(outcome.findings.map((f) => [f.rule, f.severity, f.resource.type])).toEqual([
      ['managed-policy-unexpected', 'medium', 'role'],
      ['waiver-expired', 'low', 'waiver'],
    ]);
    expect(outcome.findings[1]?.title).toBe(
      'Waiver for managed-policy-unexpected on arn:aws:iam::123456789012:role/role-1 expired on 2026-11-28',
    );
  });

  it('lists waivers expiring within 14 days', () => {
    const soon = waiver({ expires: '2026-12-13' });
    const later = waiver({ expires: '2026-12-14' });
    expect(applyWaivers([], [soon, later], NOW).expiringSoon).toEqual([soon]);
  });
});
