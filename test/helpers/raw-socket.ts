/**
 * Bytes on a bare socket, for what no HTTP client sends: malformed requests, and a client that hangs up
 * half-way through its body.
 */
import { connect } from 'node:net';

/** Writes `bytes` and reads everything until the server closes the connection. */
export function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

/** Sends `head` (request line and headers promising a 1 MB body), 64 KB of it, then resets the connection. */
export function hangUpMidBody(port: number, head: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${head}Content-Length: 1048576\r\n\r\n`);
      socket.write(Buffer.alloc(64 * 1024, 1), () => {
        socket.resetAndDestroy();
        resolve();
      });
    });
    socket.on('error', reject);
  });
}

/**
 * Sends one complete request on a keep-alive connection, reads its whole answer (by its Content-Length), then
 * resets the now idle connection — what a load generator or an agent's pool does to its sockets when it stops.
 */
export function resetIdleAfterOneRequest(port: number, request: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(received.subarray(0, headEnd).toString('latin1'));
      if (!length || received.length < headEnd + 4 + Number(length[1])) return;
      socket.resetAndDestroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

/** The malformed requests every emulator must answer in its own error shape. */
export const MALFORMED_REQUESTS: Array<[string, string, number]> = [
  ['both Content-Length and chunked encoding', 'POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
  ['a broken request line', 'GARBAGE\r\n\r\n', 400],
  ['an invalid header name', 'GET /x HTTP/1.1\r\nHost: localhost\r\nBad Header: 1\r\n\r\n', 400],
  ['oversized headers', `GET /x HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431],
];

/** Splits a raw HTTP answer into status, lower-cased headers and body. */
export function parseAnswer(answer: string): { status: number; headers: Record<string, string>; body: Buffer } {
  const end = answer.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = answer.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: Buffer.from(answer.slice(end + 4), 'latin1') };
}
