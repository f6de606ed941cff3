import pkg from '../package.json' with { type: 'json' };

/** Name and version written into every report. */
export const TOOL = { name: pkg.name, version: pkg.version } as const;
