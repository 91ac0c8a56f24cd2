/**
 * HttpClient port: the few outbound HTTP calls functions make themselves (the payment sandbox posting
 * its webhooks). Adapter: `fetchHttpClient` (Node's fetch), in `adapters/fetch-http-client.ts`.
 */
export interface HttpResponse {
  status: number;
  body: string;
}

export interface HttpClient {
  post(url: string, body: string, headers: Record<string, string>, options?: { timeoutMs?: number }): Promise<HttpResponse>;
}
