/**
 * `relforge approve <project> <version> --digest <sha256>`: approve a release's digest set through the gateway, as
 * the GitHub user whose token is in RELFORGE_GITHUB_TOKEN (on the local stack without one, its demo person). Without
 * `--digest` it shows the digest set and the files it covers, and asks for it: an approval names exactly what was
 * checked.
 */
import { Command } from 'commander';
import { InputError, StackError } from '@relforge/errors';
import type { ApprovalStatus, ApproveResult } from '@relforge/release';
import { gatewayCaller } from './gateway-target.js';

interface Refusal {
  error: string;
  fix: string;
  rule?: string;
  approval?: ApprovalStatus;
}

interface ApproveOptions {
  digest?: string;
  gateway?: string;
  tokenEnv: string;
}

function printDigestSet(approval: ApprovalStatus): void {
  console.log(`  digest set: ${approval.digest}  (sha256 of ${approval.file}, which lists:)`);
  for (const covered of approval.covers) console.log(`    ${covered.sha256}  ${covered.file}`);
  console.log(
    `  approvals: ${approval.approvals.length} of ${approval.required}${approval.approvals.map((given) => `, ${given.login}`).join('')}`,
  );
}

export function approveCommand(): Command {
  return new Command('approve')
    .description("approve a release's digest set (the sha256 of its SHA256SUMS file) through the gateway")
    .argument('<project>')
    .argument('<version>')
    .option('--digest <sha256>', 'the digest set you checked, as `relforge approve` without it shows')
    .option('--gateway <url>', "the gateway (env RELFORGE_GATEWAY_URL; default the local stack's)")
    .option('--token-env <variable>', 'the environment variable holding your GitHub token', 'RELFORGE_GITHUB_TOKEN')
    .action(async (project: string, version: string, options: ApproveOptions) => {
      const { url: base, token } = gatewayCaller(
        options.gateway,
        options.tokenEnv,
        'the gateway knows you by your GitHub token',
      );
      const url = `${base}/api/releases/${encodeURIComponent(project)}/${encodeURIComponent(version)}/approve`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(options.digest === undefined ? {} : { digest: options.digest }),
        });
      } catch (error) {
        throw new StackError(
          `the gateway at ${base} cannot be reached (${(error as Error).cause ?? (error as Error).message})`,
          {
            fix: 'check --gateway / RELFORGE_GATEWAY_URL and that the gateway runs (GET /healthz)',
          },
        );
      }
      const body = (await response.json().catch(() => ({}))) as Refusal | ApproveResult;
      if (response.ok) {
        const result = body as ApproveResult;
        const who = result.approvals.map((given) => given.login).join(', ');
        console.log(
          `approved ${project} ${version}: ${result.approvals.length} of ${result.required} approvals (${who}) of digest set ${result.digest}`,
        );
        console.log(result.approved ? '  enough: the release goes on' : '  waiting for more approvers');
        return;
      }
      const refused = body as Refusal;
      if (options.digest === undefined && refused.approval) {
        console.log(`release ${project} ${version} awaits approval before ${refused.approval.before}`);
        printDigestSet(refused.approval);
        throw new InputError('--digest: required, naming the digest set you checked', {
          fix: `check the files above, then: relforge approve ${project} ${version} --digest ${refused.approval.digest}`,
        });
      }
      if (refused.approval) printDigestSet(refused.approval);
      const message = `the gateway refused the approval (${response.status}${refused.rule ? `, ${refused.rule}` : ''}): ${refused.error ?? 'no reason given'}`;
      const fix = refused.fix || 'see the gateway log';
      if (response.status >= 500) throw new StackError(message, { fix });
      throw new InputError(message, { fix });
    });
}
