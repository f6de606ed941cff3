import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does to a request a rule matches. */
export type Fault =
  /** Accept and never answer. */
  | 'hang'
  /** 200 with an empty body. */
  | 'empty'
  /** 200 with a body that is not XML or JSON. */
  | 'garbage'
  /** Close the connection without answering. */
  | 'drop'
  /** IAM's throttling answer (HTTP 400, `Throttling`). */
  | 'throttle'
  /** IAM's denial (HTTP 403, `AccessDenied`). */
  | 'deny';

/** A fault for the requests whose form body (IAM/STS query protocol) or path contains every `match` string. */
export interface FaultRule {
  readonly match: string | readonly string[];
  readonly fault: Fault;
  /** Apply to this many matching requests, then pass them through (default: every one). */
  readonly times?: number;
}

/** A fault-injecting HTTP proxy on a free loopback port, in front of an AWS endpoint (moto). */
export interface FaultProxy {
  readonly endpoint: string;
  /** Requests seen, by what matched (`pass` when no rule did). */
  readonly seen: Record<string, number>;
  setRules(rules: readonly FaultRule[]): void;
  close(): Promise<void>;
}

const xmlError = (status: number, code: string, message: string) => ({
  status,
  body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`,
});

/** Starts the proxy; requests no rule matches go to `target` unchanged. */
export const startFaultProxy = async (target: string): Promise<FaultProxy> => {
  const upstream = new URL(target);
  let rules: { rule: FaultRule; left: number }[] = [];
  const seen: Record<string, number> = {};
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    const out = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = `${req.url ?? ''}\n${body.toString('utf8')}`;
      const hit = rules.find(
        (r) =>
          r.left > 0 &&
          (typeof r.rule.match === 'string' ? [r.rule.match] : r.rule.match).every((m) => text.includes(m)),
      );
      if (!hit) {
        seen.pass = (seen.pass ?? 0) + 1;
        forward(req, body, res);
        return;
      }
      hit.left--;
      const key = String(hit.rule.match);
      seen[key] = (seen[key] ?? 0) + 1;
      switch (hit.rule.fault) {
        case 'hang':
          return;
        case 'drop':
          req.socket.destroy();
          return;
        case 'empty':
          res.writeHead(200, { 'content-type': 'text/xml' }).end('');
          return;
        case 'garbage':
          res.writeHead(200, { 'content-type': 'text/xml' }).end('<<<not xml at all');
          return;
        case 'throttle': {
          const e = xmlError(400, 'Throttling', 'Rate exceeded');
          res.writeHead(e.status, { 'content-type': 'text/xml' }).end(e.body);
          return;
        }
        case 'deny': {
          const e = xmlError(403, 'AccessDenied', 'User is not authorized to perform this action');
          res.writeHead(e.status, { 'content-type': 'text/xml' }).end(e.body);
          return;
        }
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    setRules(next) {
      rules = next.map((rule) => ({ rule, left: rule.times ?? Number.POSITIVE_INFINITY }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
