import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ServerEnvironment } from './app.js';

export interface RunningHttpServer {
  /** e.g. `http://127.0.0.1:8787` */
  url: string;
  port: number;
  /** Stops accepting connections, ends idle ones and waits for requests in flight. */
  close(): Promise<void>;
}

/** Serves the app on Node's HTTP server; port 0 picks a free port. */
export function startHttpServer(app: Hono<ServerEnvironment>, options: { port: number; host: string }): Promise<RunningHttpServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined = undefined;
    const onError = (error: Error) => reject(error);
    server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, (info: AddressInfo) => {
      server?.off('error', onError);
      const host = info.address.includes(':') ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done, fail) => {
            // Plain HTTP (no TLS, no HTTP/2 options): the server is a node:http Server.
            const http = server as Server;
            http.close((error) => (error === undefined ? done() : fail(error)));
            http.closeIdleConnections();
          }),
      });
    });
    server.on('error', onError);
  });
}
