/**
 * What an operator does straight to Temporal (`relforge release`, `resume`, `abort`, a re-release), in the audit
 * trail before it is sent: the OS user and host, authenticated by their Temporal credentials. The trail is the
 * namespace's stream on RELFORGE_NATS_URL's NATS, else the local stack's; with neither the action is sent unaudited,
 * and says so.
 */
import { hostname, userInfo } from 'node:os';
import { AuditLog } from '@relforge/audit';
import { natsUrl } from './nats-target.js';

/** For the audit trail; a container user without a passwd entry still has a name in the environment, or none. */
export function whoAmI(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? 'unknown';
  }
}

/**
 * Who started a release from this terminal, for its approval stage: the GitHub login in RELFORGE_GITHUB_LOGIN, or the
 * OS user. An operator with Temporal credentials is trusted to name themself (they could start anything anyway); the
 * login only lets the stage refuse their approval of their own release, which it cannot do for an OS user.
 */
export function releaseStarter(): { login: string; via: 'cli' } {
  return { login: process.env['RELFORGE_GITHUB_LOGIN']?.trim() || whoAmI(), via: 'cli' };
}

export async function auditOperatorAction(action: {
  namespace: string;
  operation: string;
  project: string;
  inputs: Record<string, string | number | boolean>;
  workflowId: string;
}): Promise<void> {
  const url = natsUrl();
  if (!url) {
    console.error(
      'relforge: not audited: no NATS server (set RELFORGE_NATS_URL to the one that keeps the audit trail)',
    );
    return;
  }
  const audit = await AuditLog.connect(url, action.namespace, 'relforge-cli');
  try {
    await audit.append({
      actor: { auth: 'temporal-credentials', osUser: `${whoAmI()}@${hostname()}` },
      via: { kind: 'cli' },
      operation: action.operation,
      project: action.project,
      inputs: action.inputs,
      decision: 'accepted',
      rule: 'temporal-credentials: whoever can reach the namespace may act on it',
      workflow: { id: action.workflowId },
    });
  } finally {
    await audit.close();
  }
}
