import { readFile } from 'node:fs/promises';
import { AWS_DEFAULT_BASELINE, type Baseline, overlayBaseline } from '../domain/baseline.js';
import { ConfigError } from '../errors.js';
import { parseBaselineText } from './parse.js';

/** The AWS defaults with a team's baseline text laid over them; throws a BaselineError for a bad file. */
export const baselineFromText = (text: string, source: string): Baseline =>
  overlayBaseline(AWS_DEFAULT_BASELINE, parseBaselineText(text, source));

/** Reads and validates a baseline file. */
export const loadBaselineFile = async (path: string): Promise<Baseline> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the baseline ${path}: ${(error as Error).message}`, { cause: error });
  }
  return baselineFromText(text, path);
};
