import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/domain/finding.js';
import { renderText, terminalSafe } from '../../../src/render/text.js';
import { findingOf, reportOf } from '../../support/report.js';

const finding = (severity: Finding['severity'], title: string): Finding => findingOf(1, severity, title);
const report = (findings: Finding[]) => reportOf(findings);

describe('renderText', () => {
  it('groups findings by severity, most severe first', () => {
    const text = renderText(report([finding('critical', 'first'), finding('high', 'second')]));
    expect(text.indexOf('CRITICAL (1)')).toBeLessThan(text.indexOf('HIGH (1)'));
    expect(text).toMatch(/1 critical, 1 high/);
    expect(text).toMatch(/affects: {3}ce-1/);
  });

  it('says no drift only for a complete, clean audit', () => {
    expect(renderText(report([]))).toMatch(/No drift found\./);
  });

  it('strips terminal control sequences from account-supplied text', () => {
    const text = renderText(report([finding('low', 'role \u001b[2Jevil\u0007')]));
    expect(text).not.toContain('\u001b');
    expect(text).toContain('role ?[2Jevil?');
    expect(terminalSafe('a\nb')).toBe('a\nb');
  });
});
