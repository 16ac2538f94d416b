import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** The committed OpenAPI document of the API (`npm run openapi` writes it from the routes' schemas). */
export const SPEC_FILE = join(__dirname, '..', '..', '..', 'apps', 'api', 'openapi.json');

export type JsonSchema = Record<string, unknown>;

export interface MediaTypeObject {
  schema?: JsonSchema;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}

export interface OperationObject {
  summary?: string;
  security?: unknown[];
  parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { required?: boolean; content: Record<string, MediaTypeObject> };
  responses: Record<
    string,
    {
      description: string;
      headers?: Record<string, { schema?: JsonSchema }>;
      content?: Record<string, MediaTypeObject>;
    }
  >;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<string, OperationObject>>>;
}

export function loadSpec(file = SPEC_FILE): OpenApiDocument {
  return JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** Every operation of the document, as `METHOD /path/{template}` with its object. */
export function operationsOf(
  spec: OpenApiDocument,
): { method: string; path: string; operation: OperationObject }[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => (item[method] ? [{ method, path, operation: item[method] }] : [])),
  );
}

/** A response that the document does not allow: the status is not documented, or the body breaks its schema. */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

/**
 * Checks answers of the API against the OpenAPI document: each (method, path template, status) must be documented,
 * its body must be of a documented media type and valid against that response's schema (Ajv, JSON Schema
 * 2020-12, as OpenAPI 3.1 has it; formats checked), and each documented header it carries valid against its own.
 */
export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { path: string; pattern: RegExp; params: number }[];

  constructor(readonly spec: OpenApiDocument = loadSpec()) {
    addFormats(this.ajv);
    this.templates = Object.keys(spec.paths)
      .map((path) => ({
        path,
        pattern: new RegExp(
          `^${path
            .split(/\{[^}]+\}/)
            .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
            .join('[^/]+')}$`,
        ),
        params: (path.match(/\{/g) ?? []).length,
      }))
      // A literal segment wins over a parameter (`/a/list` over `/a/{id}`).
      .sort((a, b) => a.params - b.params);
  }

  /** The path template a concrete path was answered by (`/v1/documents/1f…` -> `/v1/documents/{id}`). */
  templateOf(pathname: string): string | undefined {
    return this.templates.find((t) => t.pattern.test(pathname))?.path;
  }

  /** A validator of a schema of the document, compiled once. */
  validator(key: string, schema: JsonSchema): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** Throws ContractViolation unless the answer is one the document allows. */
  check(
    method: string,
    template: string,
    status: number,
    contentType: string | null,
    text: string,
    headers: Headers = new Headers(),
  ): void {
    const where = `${method.toUpperCase()} ${template} answered ${status}`;
    const operation = this.spec.paths[template]?.[method.toLowerCase()];
    if (!operation) throw new ContractViolation(`${where}, but the document has no such operation`);
    const response = operation.responses[String(status)] ?? operation.responses.default;
    if (!response) {
      throw new ContractViolation(
        `${where}, a status it does not document (documented: ${Object.keys(operation.responses).join(', ')}): ${text.slice(0, 500)}`,
      );
    }
    for (const [header, { schema }] of Object.entries(response.headers ?? {})) {
      const value = headers.get(header);
      if (value === null || !schema) continue;
      const validate = this.validator(`${method} ${template} ${status} header ${header}`, schema);
      const shown = value; // the guard below narrows `value` itself to never
      if (!validate(value)) {
        throw new ContractViolation(
          `${where} with header ${header}: ${shown}, which its schema refuses: ${this.ajv.errorsText(validate.errors)}`,
        );
      }
    }
    if (!response.content) {
      if (text.length > 0) throw new ContractViolation(`${where} with a body; the document says none`);
      return;
    }
    const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const media = response.content[mediaType];
    if (!media) {
      throw new ContractViolation(
        `${where} as ${mediaType || 'no content type'}; documented: ${Object.keys(response.content).join(', ')}`,
      );
    }
    if (!media.schema) return;
    let body: unknown = text;
    if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new ContractViolation(`${where} with a body that is not JSON: ${text.slice(0, 200)}`);
      }
    }
    const validate = this.validator(`${method} ${template} ${status} ${mediaType}`, media.schema);
    if (!validate(body)) {
      throw new ContractViolation(
        `${where} with a body its schema refuses: ${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}\n${text.slice(0, 1000)}`,
      );
    }
  }

  /** Checks a fetch Response (read from a clone, so the caller can still read it). */
  async checkResponse(method: string, template: string, response: Response): Promise<void> {
    const text = await response.clone().text();
    this.check(
      method,
      template,
      response.status,
      response.headers.get('content-type'),
      text,
      response.headers,
    );
  }
}
