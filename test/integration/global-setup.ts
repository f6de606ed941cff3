import type { TestProject } from 'vitest/node';
import { startMoto } from '../support/moto.js';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/** Starts one moto_server for the integration project and stops it by pid afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  return () => moto.stop();
}
