// The HTML report's script, bundled (with Cytoscape.js and its dagre layout) into every report file
// by scripts/generate.mjs. It reads the report data from the page and builds the summary, the
// filters, the blast-radius graph and the findings. Every account-controlled string is set with
// textContent or as a Cytoscape label, never parsed as HTML.
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';

cytoscape.use(dagre);

interface Finding {
  id: string;
  rule: string;
  severity: string;
  title: string;
  resource: { type: string; arn: string; name: string };
  roleKind: string | null;
  computeEnvironments: string[];
  jobQueues: string[];
  jobDefinitions: string[];
  eventRules: string[];
  expected: string;
  actual: string;
  remediation: string;
  status?: string;
  firstSeen?: string;
}

interface AccountReport {
  account: string;
  regions: string[];
  complete: boolean;
  findings: Finding[];
  errors: { operation: string; resource: { type: string; name: string }; code: string; message: string }[];
}

interface Row {
  account: string;
  regions: string[];
  finding: Finding;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
const COLOURS: Record<string, string> = {
  critical: '#7b1fa2',
  high: '#c62828',
  medium: '#ef6c00',
  low: '#0277bd',
  info: '#607d8b',
};

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
};

const shortName = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1) || arn;
const regionOf = (arn: string): string => arn.split(':')[3] ?? '';

const data = JSON.parse(document.getElementById('report-data')?.textContent ?? '{"accounts":[]}') as {
  accounts: AccountReport[];
};

const rows: Row[] = data.accounts.flatMap((report) =>
  report.findings.map((finding) => {
    const arns = [
      ...finding.computeEnvironments,
      ...finding.jobQueues,
      ...finding.jobDefinitions,
      ...finding.eventRules,
    ];
    const regions = [...new Set(arns.map(regionOf).filter(Boolean))].sort();
    return { account: report.account, regions, finding };
  }),
);

// ---- Filters ----------------------------------------------------------------------------------
const state = {
  severities: new Set(SEVERITIES),
  account: '',
  region: '',
  roleKind: '',
  text: '',
};

const visible = (row: Row): boolean =>
  state.severities.has(row.finding.severity) &&
  (state.account === '' || row.account === state.account) &&
  (state.region === '' || row.regions.includes(state.region)) &&
  (state.roleKind === '' || (row.finding.roleKind ?? 'none') === state.roleKind) &&
  (state.text === '' ||
    `${row.finding.title} ${row.finding.rule} ${row.finding.resource.arn}`.toLowerCase().includes(state.text));

const select = (id: string, label: string, values: string[], onChange: (value: string) => void): HTMLElement => {
  const box = el('select', { id, 'aria-label': label });
  box.append(el('option', { value: '' }, `every ${label}`));
  for (const value of values) box.append(el('option', { value }, value));
  box.addEventListener('change', () => onChange(box.value));
  return el('label', {}, `${label} `, box);
};

const filters = document.getElementById('filters') as HTMLElement;
for (const severity of SEVERITIES) {
  const box = el('input', { type: 'checkbox', id: `sev-${severity}`, checked: '' });
  box.addEventListener('change', () => {
    if (box.checked) state.severities.add(severity);
    else state.severities.delete(severity);
    refresh();
  });
  filters.append(el('label', { class: `sev sev-${severity}` }, box, ` ${severity}`));
}
const unique = (pick: (row: Row) => string[]) => [...new Set(rows.flatMap(pick))].sort();
filters.append(
  select(
    'filter-account',
    'account',
    unique((r) => [r.account]),
    (v) => {
      state.account = v;
      refresh();
    },
  ),
  select(
    'filter-region',
    'region',
    unique((r) => r.regions),
    (v) => {
      state.region = v;
      refresh();
    },
  ),
  select(
    'filter-kind',
    'role kind',
    unique((r) => [r.finding.roleKind ?? 'none']),
    (v) => {
      state.roleKind = v;
      refresh();
    },
  ),
);
const search = el('input', { type: 'search', id: 'filter-text', placeholder: 'search title, rule, ARN' });
search.addEventListener('input', () => {
  state.text = search.value.trim().toLowerCase();
  refresh();
});
filters.append(search);

// ---- Summary ----------------------------------------------------------------------------------
const summary = document.getElementById('summary') as HTMLElement;
for (const severity of SEVERITIES) {
  const count = rows.filter((r) => r.finding.severity === severity).length;
  summary.append(
    el('div', { class: `tile sev-${severity}`, 'data-severity': severity }, el('b', {}, String(count)), ` ${severity}`),
  );
}

// ---- Findings ---------------------------------------------------------------------------------
const copy = async (text: string, button: HTMLButtonElement) => {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'copied';
  } catch {
    // Clipboard access needs a secure context or permission: select the text for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents(button.previousElementSibling as Node);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    button.textContent = 'selected: press Ctrl+C';
  }
};

const list = document.getElementById('findings') as HTMLElement;
const cards = new Map<Row, HTMLElement>();
for (const row of rows) {
  const f = row.finding;
  const fix = el('code', { class: 'fix' }, f.remediation);
  const button = el('button', { type: 'button', class: 'copy' }, 'copy fix');
  button.addEventListener('click', () => void copy(f.remediation, button));
  const affected = [...f.computeEnvironments, ...f.jobQueues, ...f.jobDefinitions, ...f.eventRules].map(shortName);
  const card = el(
    'article',
    { class: `finding sev-${f.severity}`, 'data-id': f.id },
    el('h3', {}, el('span', { class: 'badge' }, f.severity), ` [${f.rule}] `, f.title),
    el(
      'dl',
      {},
      el('dt', {}, 'resource'),
      el('dd', {}, `${f.resource.type} ${f.resource.arn}`),
      el('dt', {}, 'account, regions'),
      el('dd', {}, `${row.account}, ${row.regions.join(', ') || '-'}`),
      ...(f.status
        ? [
            el('dt', {}, 'status'),
            el('dd', {}, `${f.status}${f.firstSeen ? `, first seen ${f.firstSeen.slice(0, 10)}` : ''}`),
          ]
        : []),
      el('dt', {}, 'expected'),
      el('dd', {}, f.expected),
      el('dt', {}, 'actual'),
      el('dd', {}, f.actual),
      el('dt', {}, 'affects'),
      el('dd', {}, affected.join(', ') || 'no workload in the audited regions'),
      el('dt', {}, 'fix'),
      el('dd', {}, fix, button),
    ),
  );
  cards.set(row, card);
  list.append(card);
}

const errors = document.getElementById('errors') as HTMLElement;
for (const report of data.accounts) {
  for (const e of report.errors) {
    errors.append(
      el('li', {}, `${report.account}: ${e.operation} ${e.resource.type} ${e.resource.name}: ${e.code}: ${e.message}`),
    );
  }
}

// ---- Blast-radius graph -----------------------------------------------------------------------
const elements: cytoscape.ElementDefinition[] = [];
const nodes = new Set<string>();
const node = (id: string, label: string, kind: string, extra: Record<string, string> = {}) => {
  if (nodes.has(id)) return;
  nodes.add(id);
  elements.push({ data: { id, label, kind, ...extra } });
};
const edges = new Set<string>();
const edge = (source: string, target: string) => {
  const id = `${source}->${target}`;
  if (edges.has(id)) return;
  edges.add(id);
  elements.push({ data: { id, source, target } });
};
for (const { account, finding: f } of rows) {
  const resource = `r:${f.resource.arn}`;
  const findingNode = `f:${account}:${f.id}`;
  node(resource, f.resource.name, 'resource');
  node(findingNode, `${f.severity}: ${f.rule}`, 'finding', { severity: f.severity });
  edge(resource, findingNode);
  const workloads: [string[], string][] = [
    [f.computeEnvironments, 'compute-environment'],
    [f.jobQueues, 'job-queue'],
    [f.jobDefinitions, 'job-definition'],
    [f.eventRules, 'event-rule'],
  ];
  for (const [arns, kind] of workloads) {
    for (const arn of arns) {
      node(`w:${arn}`, shortName(arn), kind);
      edge(`w:${arn}`, resource);
    }
  }
}

const container = document.getElementById('graph') as HTMLElement;
container.style.height = '600px';
const graph = cytoscape({
  container,
  elements,
  style: [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        'font-size': 10,
        'text-valign': 'center',
        'text-halign': 'right',
        'text-margin-x': 4,
        width: 12,
        height: 12,
        'background-color': '#90a4ae',
      },
    },
    { selector: 'node[kind = "resource"]', style: { shape: 'round-rectangle', 'background-color': '#455a64' } },
    { selector: 'node[kind = "job-queue"]', style: { shape: 'diamond' } },
    { selector: 'node[kind = "job-definition"]', style: { shape: 'triangle' } },
    { selector: 'node[kind = "event-rule"]', style: { shape: 'star' } },
    ...SEVERITIES.map((severity) => ({
      selector: `node[severity = "${severity}"]`,
      style: { 'background-color': COLOURS[severity] as string },
    })),
    { selector: 'edge', style: { width: 1, 'line-color': '#b0bec5', 'curve-style': 'bezier' } },
    { selector: '.hidden', style: { display: 'none' } },
  ],
  layout: { name: 'dagre', rankDir: 'LR', nodeSep: 6, rankSep: 180, animate: false } as cytoscape.LayoutOptions,
});

const refresh = () => {
  let shown = 0;
  for (const [row, card] of cards) {
    const on = visible(row);
    card.hidden = !on;
    if (on) shown++;
  }
  (document.getElementById('shown') as HTMLElement).textContent = `${shown} of ${rows.length} findings shown`;
  graph.batch(() => {
    const keep = new Set<string>();
    for (const row of rows) if (visible(row)) keep.add(`f:${row.account}:${row.finding.id}`);
    graph.nodes('[kind = "finding"]').forEach((n) => {
      n.toggleClass('hidden', !keep.has(n.id()));
    });
    // A role or workload is shown while it leads to a shown finding.
    graph.nodes('[kind != "finding"]').forEach((n) => {
      const reaches = n
        .successors('node[kind = "finding"]')
        .filter((f) => !f.hasClass('hidden'))
        .nonempty();
      n.toggleClass('hidden', !reaches);
    });
  });
  const shownElements = graph.elements().not('.hidden');
  if (shownElements.nonempty()) focus(shownElements);
};

// Legible first: labels at 10 px or more on screen (zoom 1 to 1.4), the graph as wide as the page
// allows, as tall as it needs up to 4,000 px; beyond that, scroll to zoom and drag to pan.
const box = graph.elements().boundingBox();
const zoom = Math.max(1, Math.min(1.4, (container.clientWidth - 40) / Math.max(box.w, 1)));
container.style.height = `${Math.round(Math.min(Math.max(box.h * zoom + 40, 240), 4000))}px`;
graph.resize();

/** Shows these elements from their top, as large as fits between zoom 1 and 1.4. */
const focus = (shown: cytoscape.CollectionReturnValue) => {
  const b = shown.boundingBox();
  const fit = Math.min(
    (container.clientWidth - 40) / Math.max(b.w, 1),
    (container.clientHeight - 40) / Math.max(b.h, 1),
  );
  const z = Math.max(1, Math.min(1.4, fit));
  graph.zoom(z);
  graph.pan({ x: (container.clientWidth - b.w * z) / 2 - b.x1 * z, y: 20 - b.y1 * z });
};
focus(graph.elements());
document.body.dataset.graphZoom = String(graph.zoom());
document.body.dataset.graphNodes = String(graph.nodes().length);

refresh();
document.body.dataset.ready = 'true';
