/**
 * The contract every request and response of the stand-in is held to:
 * api.github.com's published OpenAPI description, cut down to the operations
 * served here so that start-up stays fast, and checked with ajv.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The operations the stand-in serves, by GitHub's operationId. */
export const servedOperationIds = [
  'repos/get',
  'repos/list-releases',
  'repos/create-release',
  'repos/get-release',
  'repos/get-release-by-tag',
  'repos/get-latest-release',
  'repos/update-release',
  'repos/delete-release',
  'repos/list-release-assets',
  'repos/upload-release-asset',
  'repos/get-release-asset',
  'repos/delete-release-asset',
  'pulls/list',
  'pulls/create',
  'pulls/get',
  'pulls/update',
  'rate-limit/get',
  'apps/create-installation-access-token',
  'repos/list-webhooks',
  'repos/create-webhook',
  'repos/get-webhook',
  'repos/update-webhook',
  'repos/list-webhook-deliveries',
  'repos/get-webhook-delivery',
  'repos/redeliver-webhook-delivery',
  'users/get-authenticated',
  'repos/get-collaborator-permission-level',
  'teams/get-membership-for-user-in-org',
  'issues/create',
  'issues/get',
  'issues/create-comment',
  'issues/list-comments',
] as const;

export type OperationId = (typeof servedOperationIds)[number];

export interface Operation {
  id: OperationId;
  method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/releases/{release_id}`. */
  template: string;
}

export interface RoutedOperation {
  operation: Operation;
  params: Record<string, string>;
}

export interface ContractIssue {
  /** Where in the message: `body/assets/0/digest`, `query/per_page`, `path/release_id`. */
  at: string;
  message: string;
}

export interface RequestParts {
  params: Record<string, string>;
  query: Record<string, string>;
  /** The parsed JSON body; undefined when the request had none. */
  body?: unknown;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The part of the description the stand-in serves: its operations and every component they reach. */
export interface PrunedDescription {
  document: JsonObject;
  operations: Operation[];
}

const specId = 'api.github.com';
const methods = ['get', 'post', 'patch', 'put', 'delete'];

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * OpenAPI 3.0's `nullable` is not JSON Schema: ajv's own support needs `type`
 * beside it, while GitHub also puts it on `$ref`/`allOf` schemas. Rewrite each
 * to plain JSON Schema that admits null.
 */
function admitNullWhereNullable(node: Json): Json {
  if (Array.isArray(node)) return node.map(admitNullWhereNullable);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'nullable') out[key] = admitNullWhereNullable(value);
  }
  if (node['nullable'] !== true) return out;
  if (typeof out['type'] === 'string') {
    out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum'])) out['enum'] = [...out['enum'], null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

export function collectRefs(node: Json, found: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, found);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') found.add(value);
    else collectRefs(value, found);
  }
}

export function resolvePointer(root: JsonObject, ref: string): Json | undefined {
  let node: Json | undefined = root;
  for (const raw of ref.replace(/^#\//, '').split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[segment] : undefined;
  }
  return node;
}

export function setPointer(root: JsonObject, ref: string, value: Json): void {
  const segments = ref
    .replace(/^#\//, '')
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (isObject(next)) node = next;
    else {
      const created: JsonObject = {};
      node[segment] = created;
      node = created;
    }
  }
  const last = segments[segments.length - 1];
  if (last !== undefined) node[last] = value;
}

/** The served operations plus every component they reach, and nothing else; media-type examples dropped. */
function pruneDescription(full: JsonObject): PrunedDescription {
  const wanted = new Set<string>(servedOperationIds);
  const document: JsonObject = { paths: {} };
  const operations: Operation[] = [];
  const pending = new Set<string>();
  const paths = isObject(full['paths']) ? full['paths'] : {};
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of methods) {
      const operation = item[method];
      if (!isObject(operation) || typeof operation['operationId'] !== 'string' || !wanted.has(operation['operationId']))
        continue;
      const kept: JsonObject = {
        parameters: operation['parameters'] ?? [],
        responses: operation['responses'] ?? {},
        ...(operation['requestBody'] === undefined ? {} : { requestBody: operation['requestBody'] }),
      };
      setPointer(document, `#/paths/${escapePointer(template)}/${method}`, kept);
      collectRefs(kept, pending);
      operations.push({ id: operation['operationId'] as OperationId, method: method.toUpperCase(), template });
    }
  }
  const copied = new Set<string>();
  while (pending.size > 0) {
    const [ref] = pending;
    if (ref === undefined) break;
    pending.delete(ref);
    if (copied.has(ref)) continue;
    copied.add(ref);
    const target = resolvePointer(full, ref);
    if (target === undefined) throw new Error(`the OpenAPI description refers to ${ref}, which it does not define`);
    setPointer(document, ref, target);
    collectRefs(target, pending);
  }
  const missing = servedOperationIds.filter((id) => !operations.some((operation) => operation.id === id));
  if (missing.length > 0) throw new Error(`the OpenAPI description has no operation ${missing.join(', ')}`);
  const converted = admitNullWhereNullable(document);
  return { document: isObject(converted) ? converted : {}, operations };
}

function issuesOf(errors: ErrorObject[] | null | undefined, prefix: string): ContractIssue[] {
  return (errors ?? []).map((error) => ({
    at: `${prefix}${error.instancePath}`,
    message: error.message ?? error.keyword,
  }));
}

function templateToPattern(template: string): { pattern: RegExp; names: string[]; literals: number } {
  const names: string[] = [];
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_whole, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return {
    pattern: new RegExp(`^${source}$`),
    names,
    literals: template.split('/').filter((part) => !part.startsWith('{')).length,
  };
}

/** Ajv as GitHub's descriptions need it: OpenAPI-only keywords tolerated, GitHub's own formats known. */
export function contractAjv(coerceTypes: boolean): Ajv {
  // strict off: the description carries OpenAPI-only keywords (example, discriminator, x-github, ...).
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes, validateSchema: false, logger: false });
  addFormats(ajv);
  // GitHub-specific formats with no checkable meaning; known to ajv so they are not reported as unknown.
  for (const format of [
    'repo.nwo',
    'int32',
    'int64',
    'binary',
    'uri-template',
    'ssh-key',
    'email',
    'hostname',
    'ipv4',
    'ipv6',
  ]) {
    if (!ajv.formats[format]) ajv.addFormat(format, true);
  }
  return ajv;
}

export class Contract {
  readonly operations: readonly Operation[];
  private readonly document: JsonObject;
  private readonly ajv: Ajv;
  /** Parameters arrive as strings; this instance coerces them to the types the description declares. */
  private readonly parameterAjv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: { operation: Operation; pattern: RegExp; names: string[]; literals: number }[];

  constructor({ document, operations }: PrunedDescription) {
    this.document = document;
    this.operations = operations;
    this.ajv = contractAjv(false);
    this.parameterAjv = contractAjv(true);
    this.ajv.addSchema(document, specId);
    this.parameterAjv.addSchema(document, specId);
    // Literal segments first, so `/releases/tags/{tag}` wins over `/releases/{release_id}/...`-like shapes.
    this.routes = operations
      .map((operation) => ({ operation, ...templateToPattern(operation.template) }))
      .sort((a, b) => b.literals - a.literals);
  }

  route(method: string, path: string): RoutedOperation | undefined {
    for (const route of this.routes) {
      if (route.operation.method !== method.toUpperCase()) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, index) => {
        params[name] = decodeURIComponent(match[index + 1] ?? '');
      });
      return { operation: route.operation, params };
    }
    return undefined;
  }

  private operationPointer(operation: Operation): string {
    return `#/paths/${escapePointer(operation.template)}/${operation.method.toLowerCase()}`;
  }

  private validatorFor(ajv: Ajv, key: string, schema: Json): ValidateFunction {
    const cacheKey = `${ajv === this.ajv ? 'data' : 'params'} ${key}`;
    const cached = this.compiled.get(cacheKey);
    if (cached) return cached;
    const compiled = ajv.compile(schema as object);
    this.compiled.set(cacheKey, compiled);
    return compiled;
  }

  private followRef(node: Json | undefined): { node: Json | undefined; pointer?: string } {
    if (isObject(node) && typeof node['$ref'] === 'string')
      return { node: resolvePointer(this.document, node['$ref']), pointer: node['$ref'] };
    return { node };
  }

  checkRequest(operation: Operation, parts: RequestParts): ContractIssue[] {
    const pointer = this.operationPointer(operation);
    const described = resolvePointer(this.document, pointer);
    if (!isObject(described)) return [{ at: 'operation', message: `${operation.id} is not in the description` }];
    const issues: ContractIssue[] = [];
    const parameters = Array.isArray(described['parameters']) ? described['parameters'] : [];
    for (const location of ['path', 'query'] as const) {
      const properties: JsonObject = {};
      const required: string[] = [];
      for (const entry of parameters) {
        const parameter = this.followRef(entry).node;
        if (!isObject(parameter) || parameter['in'] !== location || typeof parameter['name'] !== 'string') continue;
        properties[parameter['name']] = parameter['schema'] ?? {};
        if (parameter['required'] === true) required.push(parameter['name']);
      }
      const schema: Json = { $id: `${specId}/${operation.id}/${location}`, type: 'object', properties, required };
      const validate = this.validatorFor(this.parameterAjv, `${operation.id} ${location}`, schema);
      const values = { ...(location === 'path' ? parts.params : parts.query) };
      if (!validate(values)) issues.push(...issuesOf(validate.errors, location));
    }
    const requestBody = this.followRef(described['requestBody']).node;
    const content = isObject(requestBody) && isObject(requestBody['content']) ? requestBody['content'] : undefined;
    if (content && isObject(content['application/json'])) {
      if (parts.body === undefined) {
        if (isObject(requestBody) && requestBody['required'] === true)
          issues.push({ at: 'body', message: 'a JSON body is required' });
      } else {
        const validate = this.validatorFor(this.ajv, `${operation.id} request`, {
          $ref: `${specId}${pointer}/requestBody/content/application~1json/schema`,
        });
        if (!validate(parts.body)) issues.push(...issuesOf(validate.errors, 'body'));
      }
    }
    return issues;
  }

  /**
   * A documented status is checked against its JSON schema, if it has one. GitHub documents few error
   * statuses per operation, yet sends the same `basic-error` body for all of them, so an undocumented
   * 4xx/5xx is held to that schema; an undocumented success is itself a violation.
   */
  checkResponse(operation: Operation, status: number, body: unknown): ContractIssue[] {
    const pointer = this.operationPointer(operation);
    const responsePointer = `${pointer}/responses/${status}`;
    const described = resolvePointer(this.document, responsePointer);
    let schemaRef: string | undefined;
    if (described === undefined) {
      if (status < 400) return [{ at: 'status', message: `${operation.id} does not document status ${status}` }];
      schemaRef = `${specId}#/components/schemas/basic-error`;
      if (resolvePointer(this.document, '#/components/schemas/basic-error') === undefined) {
        return [{ at: 'status', message: `${operation.id} does not document status ${status}` }];
      }
    } else {
      const followed = this.followRef(described);
      const base = followed.pointer ?? responsePointer;
      const content =
        isObject(followed.node) && isObject(followed.node['content']) ? followed.node['content'] : undefined;
      if (!content || !isObject(content['application/json'])) return [];
      schemaRef = `${specId}${base}/content/application~1json/schema`;
    }
    const validate = this.validatorFor(this.ajv, schemaRef, { $ref: schemaRef });
    return validate(body) ? [] : issuesOf(validate.errors, 'body');
  }
}

/**
 * A part of one of GitHub's published descriptions (a package's JSON file), pruned once and cached in
 * node_modules/.cache, keyed by the package version, what is kept, and the calling module's own code, so any change
 * rebuilds it. Parsing a description costs about 0.4 s; the pruned part loads in milliseconds.
 */
export function cachedPrune<T>(options: {
  /** e.g. `@octokit/openapi`; its `package.json` gives the version. */
  packageName: string;
  /** The JSON file inside the package. */
  file: string;
  /** What is kept, part of the cache key. */
  kept: readonly string[];
  /** `import.meta.url` of the module that prunes: its code is part of the key. */
  module: string;
  prune: (full: JsonObject) => T;
}): T {
  const require = createRequire(import.meta.url);
  const { version } = JSON.parse(readFileSync(require.resolve(`${options.packageName}/package.json`), 'utf8')) as {
    version: string;
  };
  const key = createHash('sha256')
    .update(`${version}\n${options.kept.join(',')}\n`)
    .update(readFileSync(fileURLToPath(options.module)))
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest('hex')
    .slice(0, 16);
  const name = options.packageName.replace(/^@octokit\//, '');
  const cacheFile = fileURLToPath(
    new URL(`../node_modules/.cache/github-standin/${name}-${version}-${key}.json`, import.meta.url),
  );
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as T;
  } catch {
    // No cache yet (or an unreadable one): prune from the full description below.
  }
  const full = JSON.parse(readFileSync(require.resolve(`${options.packageName}/${options.file}`), 'utf8')) as Json;
  const pruned = options.prune(isObject(full) ? full : {});
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(pruned));
    renameSync(temporary, cacheFile);
  } catch {
    // A read-only install still works; it just prunes on every start.
  }
  return pruned;
}

/** The pinned REST description from @octokit/openapi, cut to the operations the stand-in serves (190 kB of 13 MB). */
export function loadContract(): Contract {
  return new Contract(
    cachedPrune({
      packageName: '@octokit/openapi',
      file: 'generated/api.github.com.json',
      kept: servedOperationIds,
      module: import.meta.url,
      prune: pruneDescription,
    }),
  );
}
