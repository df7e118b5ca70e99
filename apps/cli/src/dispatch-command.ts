/**
 * `relforge dispatch <operation> --project <p> -f key=value …`: runs a named operation through the gateway, as the
 * person whose GitHub token it sends, authorized by the project's access rules and recorded in the audit trail.
 * `--list` shows the operations and their inputs, as the gateway serves them.
 */
import { Command } from 'commander';
import { InputError, StackError } from '@relforge/errors';
import type { OperationDescription } from '@relforge/operations';
import { defaultListen } from '@relforge/gateway';
import { exitCodes } from './errors.js';
import { gatewayCaller, gatewayUrl } from './gateway-target.js';

interface DispatchOptions {
  project?: string;
  field: string[];
  list?: boolean;
  gateway?: string;
  tokenEnv: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

async function call(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new StackError(`the gateway at ${new URL(url).origin} did not answer (${(error as Error).message})`, {
      fix: 'start it (locally: `relforge stack up`), or point --gateway / RELFORGE_GATEWAY_URL at yours',
    });
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new StackError(`the gateway answered ${response.status} with no JSON`, {
      fix: 'check --gateway points at a relforge gateway',
    });
  }
}

function inputLine(input: OperationDescription['inputs'][number]): string {
  const type = input.choices ? input.choices.join('|') : input.type;
  const extra = input.required
    ? 'required'
    : input.default !== undefined
      ? `default ${String(input.default)}`
      : 'optional';
  return `    ${input.name.padEnd(14)} ${type.padEnd(8)} ${extra}${input.description ? `  ${input.description}` : ''}`;
}

/** `-f key=value`: the value is text; the gateway reads it as the type the operation declares. */
function fieldsOf(fields: string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const field of fields) {
    const equals = field.indexOf('=');
    if (equals <= 0)
      throw new InputError(`-f ${field}: expected key=value`, {
        fix: 'write each input as -f key=value, e.g. -f version=1.5.0',
      });
    inputs[field.slice(0, equals)] = field.slice(equals + 1);
  }
  return inputs;
}

export function dispatchCommand(): Command {
  return new Command('dispatch')
    .description(
      'run an operation (release, abort, approve, train-next, …: see --list) through the gateway, as your GitHub user',
    )
    .argument('[operation]', 'the operation; see --list')
    .option('-p, --project <name>', 'the project to run it on')
    .option('-f, --field <key=value>', 'an input of the operation (repeat)', collect, [])
    .option('--list', 'list the operations and their inputs')
    .option(
      '--gateway <url>',
      `the gateway (env RELFORGE_GATEWAY_URL; default the local stack's, http://${defaultListen} unless it runs on another port)`,
    )
    .option('--token-env <variable>', 'the environment variable holding your GitHub token', 'RELFORGE_GITHUB_TOKEN')
    .option('--json', "print the gateway's answer as JSON")
    .action(async (operation: string | undefined, options: DispatchOptions) => {
      if (options.list) {
        const { body } = await call(`${gatewayUrl(options.gateway).url}/api/operations`);
        if (options.json) return console.log(JSON.stringify(body, null, 2));
        for (const listed of (body['operations'] ?? []) as OperationDescription[]) {
          console.log(`${listed.name}  ${listed.description}`);
          for (const input of listed.inputs) console.log(inputLine(input));
        }
        return;
      }
      if (!operation)
        throw new InputError('name the operation to dispatch', {
          fix: 'e.g. relforge dispatch release --project hello -f version=1.5.0; see relforge dispatch --list',
        });
      if (!options.project)
        throw new InputError('--project is required', { fix: 'name the project, e.g. --project hello' });
      const { url: base, token } = gatewayCaller(
        options.gateway,
        options.tokenEnv,
        'dispatch sends your GitHub token to the gateway',
      );
      const { status, body } = await call(`${base}/api/dispatch/${encodeURIComponent(operation)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ project: options.project, inputs: fieldsOf(options.field) }),
      });
      if (options.json) console.log(JSON.stringify(body, null, 2));
      if (status < 300) {
        if (!options.json) console.log(`${String(body['message'])} (workflow ${String(body['workflowId'])})`);
        return;
      }
      if (!options.json) {
        console.error(`relforge: ${operation} refused (${status}): ${String(body['error'])}`);
        console.error(`  fix: ${String(body['fix'])}`);
        if (body['rule']) console.error(`  rule: ${String(body['rule'])}`);
      }
      // Bad input is a usage error; a refusal by the rules or the release's state a failure; a gateway that cannot act, the environment.
      process.exitCode = [400, 404, 422].includes(status)
        ? exitCodes.usage
        : status >= 500
          ? exitCodes.environment
          : exitCodes.failed;
    });
}
