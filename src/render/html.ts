import { reportClientJs } from '../../generated/report-client.js';
import type { OrganizationReport, Report } from '../domain/report.js';

/** Text for HTML element content and attribute values. */
export const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/**
 * JSON inside `<script type="application/json">`: `<` is written as `\u003c`, so no string in the
 * report (a role name, a policy document) can close the script element or open another.
 */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const STYLE = `
:root { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c2833; }
body { margin: 0 auto; max-width: 1400px; padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.meta { color: #566573; } .incomplete { background: #fdecea; border-left: 4px solid #c62828; padding: 8px 12px; }
#summary { display: flex; gap: 8px; flex-wrap: wrap; margin: 12px 0; }
.tile { padding: 8px 14px; border-radius: 6px; color: #fff; min-width: 90px; } .tile b { font-size: 20px; }
.sev-critical { --c: #7b1fa2; } .sev-high { --c: #c62828; } .sev-medium { --c: #ef6c00; } .sev-low { --c: #0277bd; } .sev-info { --c: #607d8b; }
.tile { background: var(--c); } .badge { background: var(--c); color: #fff; border-radius: 4px; padding: 1px 6px; font-size: 12px; text-transform: uppercase; }
#filters { display: flex; gap: 12px; flex-wrap: wrap; align-items: center; position: sticky; top: 0; background: #fff; padding: 8px 0; border-bottom: 1px solid #d5dbdb; z-index: 1; }
#filters .sev { color: var(--c); font-weight: 600; }
#graph { width: 100%; border: 1px solid #d5dbdb; border-radius: 6px; }
.legend { color: #566573; font-size: 12px; }
.finding { border: 1px solid #d5dbdb; border-left: 5px solid var(--c); border-radius: 6px; padding: 8px 14px; margin: 10px 0; }
.finding h3 { font-size: 14px; margin: 4px 0 8px; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: 130px 1fr; gap: 2px 12px; margin: 0; } dt { color: #566573; } dd { margin: 0; overflow-wrap: anywhere; }
code.fix { display: block; white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f6f6; padding: 6px 8px; border-radius: 4px; }
button.copy { margin-top: 4px; }
`;

/**
 * One self-contained HTML file for a report or an organisation report: the summary by severity,
 * findings filterable by severity, account, region and role kind, each with expected, actual and a
 * fix to copy, and the blast-radius graph (workloads, the roles they use, the findings). No external
 * script, style, font or image: it works offline and from an S3 link. The report travels as JSON that
 * the page's script renders as text, so account-controlled strings are never parsed as markup.
 */
export const renderHtml = (report: Report | OrganizationReport): string => {
  const accounts = 'kind' in report ? report.accounts : [report];
  const title = 'kind' in report ? `organisation run, ${accounts.length} accounts` : `account ${report.account}`;
  const incomplete = !report.complete;
  const data = {
    accounts: accounts.map((r) => ({
      account: r.account,
      regions: r.regions,
      complete: r.complete,
      findings: r.findings,
      errors: r.errors,
    })),
  };
  const orgErrors = 'kind' in report ? report.errors : [];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:">
<title>batch-iam-drift: ${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>batch-iam-drift: ${escapeHtml(title)}</h1>
<div class="meta">${escapeHtml(`${report.tool.name} ${report.tool.version}, ${report.startedAt} to ${report.finishedAt}`)}</div>
${incomplete ? `<p class="incomplete" id="incomplete"><b>Audit incomplete</b>: something could not be read (listed at the end). The findings are a lower bound, not a clean bill.</p>` : ''}
<section id="summary" aria-label="findings by severity"></section>
<nav id="filters" aria-label="filters"></nav>
<p id="shown" class="meta"></p>
<h2>Blast radius</h2>
<p class="legend">Left: compute environments (circles), job queues (diamonds), job definitions (triangles), EventBridge rules (stars). Middle: the roles and other resources they use. Right: the findings, coloured by severity. Scroll to zoom, drag to pan.</p>
<div id="graph" role="img" aria-label="blast-radius graph"></div>
<h2>Findings</h2>
<section id="findings"></section>
<h2>Could not read</h2>
<ul id="errors">${orgErrors.map((e) => `<li>${escapeHtml(`${e.account}: ${e.operation} ${e.code}: ${e.message}`)}</li>`).join('')}</ul>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${reportClientJs().replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
};
