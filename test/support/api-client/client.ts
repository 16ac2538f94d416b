import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { ContractChecker, ContractViolation } from './contract';
import type { paths } from './openapi';

/** The typed client of the API (openapi-fetch over the types generated from apps/api/openapi.json). */
export type ApiClient = Client<paths>;

let shared: ContractChecker | undefined;
/** One checker per test file: the document is read and each schema compiled once. */
export const contractChecker = (): ContractChecker => (shared ??= new ContractChecker());

/** Validates every answer the client receives against the document; a mismatch fails the request. */
export function contractMiddleware(checker = contractChecker()): Middleware {
  return {
    async onResponse({ request, response, schemaPath }) {
      await checker.checkResponse(request.method, schemaPath, response);
      return undefined;
    },
  };
}

/**
 * A client of the API at `base` (http://host:port), as the holder of `apiKey` (none: an anonymous caller), whose
 * every answer is checked against the OpenAPI document.
 */
export function apiClient(base: string, apiKey?: string, checker = contractChecker()): ApiClient {
  const client = createClient<paths>({
    baseUrl: base,
    headers: apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` },
  });
  client.use(contractMiddleware(checker));
  return client;
}

/**
 * fetch, with the answer checked against the document as the client's are: for requests the typed client cannot
 * make (a hand-built multipart body, a body that is not JSON on purpose). The path must be one the document has.
 */
export async function checkedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const checker = contractChecker();
  const { pathname } = new URL(url);
  const template = checker.templateOf(pathname);
  if (!template) throw new ContractViolation(`${pathname} matches no path of the document`);
  const response = await fetch(url, init);
  await checker.checkResponse(init.method ?? 'GET', template, response);
  return response;
}

/** The data of a successful answer of the client; any other answer fails the test, showing its status and body. */
export async function ok<T>(answer: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await answer;
  if (!response.ok) {
    throw new Error(`${response.status} from ${response.url}: ${JSON.stringify(error)}`);
  }
  return data as T;
}
