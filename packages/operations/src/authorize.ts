/**
 * May this person run this operation, with these inputs, on this project? The project's `access` rule for the
 * operation (or the default), then the rule of each input they set, each checked against the forge: the login lists,
 * team memberships, and the role on the project's source repository. A refusal names the rule that refused and who
 * may do it instead.
 */
import {
  defaultAccess,
  forgeRoles,
  type AccessConfig,
  type AccessRule,
  type ForgeRole,
  type InputAccessRule,
  type OperationName,
} from '@relforge/config';

/** What the forge says about people; the gateway answers it with GitHub's REST API. */
export interface ForgeDirectory {
  /** The role on the repository (`role_name`), or undefined for someone with none. */
  roleOf(repository: string, login: string): Promise<string | undefined>;
  /** An active member of the team "org/slug". */
  inTeam(team: string, login: string): Promise<boolean>;
}

export type Decision = { allowed: true; rule: string } | { allowed: false; rule: string; error: string; fix: string };

const rank = (role: string | undefined) => forgeRoles.indexOf((role ?? '') as ForgeRole);

async function check(
  rule: AccessRule | InputAccessRule,
  ruleName: string,
  subject: string,
  request: { login: string; repository: string; directory: ForgeDirectory },
): Promise<Decision> {
  const { login, repository, directory } = request;
  if (rule.users?.includes(login)) return { allowed: true, rule: `${ruleName}.users` };
  const role = await directory.roleOf(repository, login);
  if (rule.minRole && rank(role) >= rank(rule.minRole)) return { allowed: true, rule: `${ruleName}.minRole` };
  for (const team of rule.teams ?? []) {
    if (await directory.inTeam(team, login)) return { allowed: true, rule: `${ruleName}.teams` };
  }
  const needs = [
    ...(rule.minRole ? [`${rule.minRole} on ${repository}`] : []),
    ...(rule.users?.length ? [`to be ${rule.users.join(' or ')}`] : []),
    ...(rule.teams?.length ? [`membership of ${rule.teams.map((team) => `@${team}`).join(' or ')}`] : []),
  ];
  const ask = [
    ...(rule.users ?? []),
    ...(rule.teams ?? []).map((team) => `a member of @${team}`),
    ...(rule.minRole ? [`someone with ${rule.minRole} on ${repository}`] : []),
  ];
  const have = role && role !== 'none' ? `have ${role}` : `have no role on ${repository}`;
  const teams = rule.teams?.length ? ' and are in none of those teams' : '';
  return {
    allowed: false,
    rule: ruleName,
    error: `${subject} needs ${needs.join(' or ')} (rule ${ruleName}); you (${login}) ${have}${teams}`,
    fix: `ask ${ask.join(' or ')}`,
  };
}

export async function authorize(request: {
  operation: OperationName;
  access: AccessConfig | undefined;
  /** The inputs given a value other than their default. */
  setByCaller: string[];
  given: Record<string, unknown>;
  login: string;
  repository: string;
  directory: ForgeDirectory;
}): Promise<Decision> {
  const configured = request.access?.[request.operation];
  const rule = configured ?? defaultAccess[request.operation];
  const ruleName = configured ? `access.${request.operation}` : `default access.${request.operation}`;
  const decision = await check(rule, ruleName, request.operation, request);
  if (!decision.allowed) return decision;
  for (const input of request.setByCaller) {
    // An own entry of the config's record only, whatever name reached here.
    const inputRule = rule.inputs && Object.hasOwn(rule.inputs, input) ? rule.inputs[input] : undefined;
    if (!inputRule) continue;
    const subject = `${request.operation} with ${input}=${String(request.given[input])}`;
    const byInput = await check(inputRule, `${ruleName}.inputs.${input}`, subject, request);
    if (!byInput.allowed) return byInput;
  }
  return decision;
}
