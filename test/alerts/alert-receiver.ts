/** A local HTTP webhook receiver for the alert tests: records every alert with its idempotency key and signature check. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '../../lib/alerts/alert.js';
import { verifyAlertSignature } from '../../lib/alerts/webhook.js';

/** One received alert. */
export interface ReceivedAlert {
  alert: Alert;
  key: string | undefined;
  /** Whether `X-Mlops-Signature` verifies with the receiver's secret. */
  signed: boolean;
}

/** A running receiver: its URL, what it received so far (in arrival order), and how to stop it. */
export interface AlertReceiver {
  url: string;
  received: ReceivedAlert[];
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (a free port) answering 200 to every POST. */
export async function startAlertReceiver(secret: string): Promise<AlertReceiver> {
  const received: ReceivedAlert[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const signed = verifyAlertSignature({
        body,
        timestamp: req.headers['x-mlops-timestamp'] as string | undefined,
        signature: req.headers['x-mlops-signature'] as string | undefined,
        secret,
      });
      received.push({ alert: JSON.parse(body) as Alert, key: req.headers['idempotency-key'] as string, signed });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
