import type { Waiver } from './baseline.js';
import { byReportOrder, type Finding, mergeFindings } from './finding.js';
import { wildcardMatch } from './wildcard.js';

/** A finding a waiver accepted: kept in the JSON report, left out of alerts and of the exit code. */
export type WaivedFinding = Finding & { readonly waiver: Omit<Waiver, 'rule' | 'resource'> };

/** How many days ahead a waiver counts as expiring soon. */
export const EXPIRING_SOON_DAYS = 14;

/** The outcome of applying waivers to a run's findings. */
export interface WaiverOutcome {
  /** Findings still reported, with a `waiver-expired` finding for each expired waiver. */
  readonly findings: Finding[];
  readonly waived: WaivedFinding[];
  /** Waivers still in force that expire within {@link EXPIRING_SOON_DAYS} days. */
  readonly expiringSoon: Waiver[];
}

const day = (date: Date): string => date.toISOString().slice(0, 10);

const covers = (waiver: Waiver, finding: Finding): boolean =>
  (waiver.rule === '*' || waiver.rule === finding.rule) &&
  (wildcardMatch(waiver.resource, finding.resource.arn) || wildcardMatch(waiver.resource, finding.resource.name));

/**
 * Waives the findings that an unexpired waiver covers (rule and resource glob). A waiver is in force
 * through its `expires` day (UTC); after that it waives nothing and is reported as `waiver-expired`.
 */
export const applyWaivers = (findings: readonly Finding[], waivers: readonly Waiver[], now: Date): WaiverOutcome => {
  const today = day(now);
  const soon = day(new Date(now.getTime() + EXPIRING_SOON_DAYS * 86_400_000));
  const active = waivers.filter((w) => w.expires >= today);
  const expired = waivers.filter((w) => w.expires < today);
  const kept: Finding[] = [];
  const waived: WaivedFinding[] = [];
  for (const finding of findings) {
    const waiver = active.find((w) => covers(w, finding));
    if (waiver) {
      waived.push({ ...finding, waiver: { reason: waiver.reason, owner: waiver.owner, expires: waiver.expires } });
    } else {
      kept.push(finding);
    }
  }
  const expiredFindings = expired.map((w) => ({
    rule: 'waiver-expired' as const,
    severity: 'low' as const,
    title: `Waiver for ${w.rule} on ${w.resource} expired on ${w.expires}`,
    resource: { type: 'waiver' as const, arn: w.resource, name: `${w.rule} ${w.resource}` },
    roleKind: null,
    subject: w.expires,
    dependents: [],
    expected: `a waiver in force, or no finding to waive (owner ${w.owner}: ${w.reason})`,
    actual: `expired on ${w.expires}: the findings it covered are reported again`,
    remediation: 'Fix what the waiver covered, or review it and set a new expires date in the baseline',
  }));
  return {
    findings: [...kept, ...mergeFindings(expiredFindings)].sort(byReportOrder),
    waived,
    expiringSoon: active.filter((w) => w.expires <= soon),
  };
};
