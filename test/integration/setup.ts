import { beforeEach, inject } from 'vitest';

const endpoint = inject('motoEndpoint');
// Every SDK client in the process, the auditor's included, goes to moto.
process.env.AWS_ENDPOINT_URL = endpoint;
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

beforeEach(async () => {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
});
