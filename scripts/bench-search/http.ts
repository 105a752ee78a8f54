/** tRPC over plain HTTP, as any program (or `curl`) calls a Parley node: JSON, no transformer. */
export class TrpcError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    message: string,
  ) {
    super(`${path}: ${status} ${message}`);
  }
}

export interface Caller {
  query<T>(path: string, input?: unknown): Promise<T>;
  mutate<T>(path: string, input?: unknown): Promise<T>;
}

export function caller(baseUrl: string, token?: string): Caller {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const answer = async <T>(path: string, response: Response): Promise<T> => {
    const body = (await response.json()) as { result?: { data: T }; error?: { message: string } };
    if (!response.ok || !body.result) throw new TrpcError(path, response.status, body.error?.message ?? 'no result');
    return body.result.data;
  };
  return {
    async query<T>(path: string, input?: unknown) {
      const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
      return answer<T>(path, await fetch(`${baseUrl}/trpc/${path}${query}`, { headers }));
    },
    async mutate<T>(path: string, input?: unknown) {
      return answer<T>(path, await fetch(`${baseUrl}/trpc/${path}`, { method: 'POST', headers, body: JSON.stringify(input ?? {}) }));
    },
  };
}
