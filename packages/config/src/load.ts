/**
 * Reading a project's release config from a YAML or JSON file. Every way it can fail is an InputError naming the
 * file, and the place in it, with what to do; nothing is started before the whole config is known to be good.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { type ParseError, parse as parseJsonText, printParseErrorCode } from 'jsonc-parser';
import { LineCounter, parseDocument } from 'yaml';
import { InputError } from '@relforge/errors';
import { expandAddresses } from './expand.js';
import { formatIssues, configErrorMap } from './issues.js';
import { ProjectConfig } from './schema.js';

const jsonSchemaHint = 'the JSON Schema packages/config/relforge.schema.json lets an editor check the file as you type';

const formats: Record<string, 'yaml' | 'json'> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

/** Validates an already-parsed config; `source` names where it came from in the error. */
export function parseProjectConfig(value: unknown, source: string): ProjectConfig {
  // Inputs are reported into the issues only so formatIssues can tell a missing field from a wrong one; the
  // ZodError itself never leaves this function, and the messages quote no values.
  const result = ProjectConfig.safeParse(value, { error: configErrorMap, reportInput: true });
  if (result.success) return result.data;
  const lines = formatIssues(result.error.issues).map((line) => `  ${line}`);
  throw new InputError([`${source}: invalid release config`, ...lines].join('\n'), {
    fix: `correct the fields listed above in ${source}; ${jsonSchemaHint}`,
  });
}

/** Reads, expands `${VAR}` in the address fields from `env`, and validates. */
export async function loadProjectConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ProjectConfig> {
  const format = formats[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new InputError(`${path}: not a YAML or JSON file`, {
      fix: 'write the release config as relforge.yaml (or .yml) or relforge.json, and give that path',
    });
  }
  const text = await readConfigText(path);
  const parsed = format === 'yaml' ? parseYaml(text, path) : parseJson(text, path);
  return parseProjectConfig(expandAddresses(parsed, path, env), path);
}

/** Several projects' files, by project name (the worker's and the gateway's list); a project named twice is refused. */
export async function loadProjectConfigs(
  paths: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ files: Map<string, string>; configs: Map<string, ProjectConfig> }> {
  const files = new Map<string, string>();
  const configs = new Map<string, ProjectConfig>();
  for (const path of paths) {
    const config = await loadProjectConfig(path, env);
    const other = files.get(config.project);
    if (other) {
      throw new InputError(`project "${config.project}" is configured twice: ${other} and ${path}`, {
        fix: 'give each project one config file (--config or RELFORGE_PROJECTS)',
      });
    }
    files.set(config.project, path);
    configs.set(config.project, config);
  }
  return { files, configs };
}

const unreadable: Record<string, [problem: string, fix: string]> = {
  ENOENT: ['no such file', 'check the path; the release config is usually relforge.yaml at the top of the repository'],
  EISDIR: ['is a directory', 'give the path of the config file itself, e.g. relforge.yaml in that directory'],
  EACCES: ['cannot be read: permission denied', 'let the user running Relforge read the file'],
};

async function readConfigText(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown error';
    const [problem, fix] = unreadable[code] ?? [
      `cannot be read (${code})`,
      'check that the file exists and this user can read it',
    ];
    throw new InputError(`${path}: ${problem}`, { fix, cause: error });
  }
  // Editors on Windows may save a byte-order mark, which neither parser wants.
  text = text.replace(/^\uFEFF/, '');
  if (text.trim() === '')
    throw new InputError(`${path}: the file is empty`, { fix: `write the release config into it; ${jsonSchemaHint}` });
  return text;
}

function syntaxError(path: string, language: string, line: number, column: number, reason: string): InputError {
  return new InputError(`${path}:${line}:${column}: invalid ${language}: ${reason}`, {
    fix: `fix the ${language} at line ${line}, column ${column} of ${path}`,
  });
}

function parseYaml(text: string, path: string): unknown {
  const lineCounter = new LineCounter();
  // prettyErrors would append the offending source line, which may hold a secret pasted into the wrong place.
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const [error] = document.errors;
  if (error !== undefined) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw syntaxError(path, 'YAML', line, col, error.message);
  }
  return document.toJS();
}

const jsonReasons: Record<ReturnType<typeof printParseErrorCode>, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a double-quoted property name (JSON allows no trailing comma)',
  ValueExpected: 'expected a value (JSON allows no trailing comma)',
  ColonExpected: 'expected ":" after the property name',
  CommaExpected: 'expected "," between items',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'malformed \\u escape',
  InvalidEscapeCharacter: 'malformed escape sequence',
  InvalidCharacter: 'control character in a string (write a newline as \\n)',
  '<unknown ParseErrorCode>': 'not valid JSON',
};

/*
 * JSON.parse is not used: its messages on Node 20 quote the text around the error (a pasted secret, perhaps) and
 * often give no position. jsonc-parser, in strict mode, reports an offset and a code instead.
 */
function parseJson(text: string, path: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parseJsonText(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  const [error] = errors;
  if (error !== undefined) {
    const before = text.slice(0, error.offset);
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    throw syntaxError(path, 'JSON', line, column, jsonReasons[printParseErrorCode(error.error)]);
  }
  return value;
}
