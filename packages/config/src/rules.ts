/** The config's cross-field rules, each a named function: what no single section can check alone. */
import { type z } from 'zod';
import { refNameProblem } from './git-refs.js';
import { repositoryPathProblem } from './repository-paths.js';
import { placeholderProblems, renderTemplate, type TemplateValues } from './templates.js';
import { parseVersion } from './version.js';
import { ProjectName, type Stage, Token, refMessage, stages } from './fields.js';
import { releasePlaceholders } from './publish-sections.js';
import { containerRepoPlace, outputPlaceholders } from './repository-sections.js';
import { approvableStages } from './lifecycle-sections.js';
import { type ProjectConfigFields } from './project-fields.js';

/** The stages a release of this config runs, in pipeline order. */
export function stagesToRun(config: ProjectConfigFields): readonly Stage[] {
  return config.stages ?? stages;
}

/** The section naming the repository each stage writes to; null for stages that need none of their own. */
const stageSections: Record<Stage, 'checksumRepo' | 'containerRepo' | 'websiteRepo' | null> = {
  build: null,
  checksum: null,
  publish: null,
  'checksum-repo': 'checksumRepo',
  'container-repo': 'containerRepo',
  website: 'websiteRepo',
};

export function checkStages(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  let latest: Stage | undefined;
  config.stages?.forEach((stage, index, listed) => {
    const path = ['stages', index];
    if (listed.indexOf(stage) < index) {
      ctx.addIssue({ code: 'custom', path, message: `${stage} is listed twice` });
    } else if (latest !== undefined && stages.indexOf(stage) < stages.indexOf(latest)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `${stage} must come before ${latest}: stages run in the order ${stages.join(', ')}`,
      });
    } else {
      latest = stage;
    }
  });
  for (const stage of stagesToRun(config)) {
    const section = stageSections[stage];
    if (section === null || config[section] !== undefined) continue;
    const message =
      config.stages === undefined
        ? 'required, because every stage runs when stages is omitted; add the section, or list the stages to run'
        : `required, because stages lists ${stage}; add the section, or remove ${stage} from stages`;
    ctx.addIssue({ code: 'custom', path: [section], message });
  }
}

export function checkApproval(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  const { approval } = config;
  if (approval === undefined) return;
  const toRun = stagesToRun(config);
  if (!approvableStages.includes(approval.before)) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'before'],
      message: `${approval.before} comes before the checksum stage, so there is no digest set to approve yet; use one of ${approvableStages.join(', ')}`,
    });
  } else if (!toRun.includes(approval.before)) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'before'],
      message: `${approval.before} is not among the stages this config runs (${toRun.join(', ')}); name one of them, or add ${approval.before} to stages`,
    });
  }
  const { users, teams } = approval.approvers;
  if (users.length === 0 && teams.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'approvers'],
      message: 'names nobody; list users (GitHub logins) or teams ("<org>/<team slug>") who may approve',
    });
  } else if (teams.length === 0 && approval.required > users.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'required'],
      message: `${approval.required} approvals can never be given by the ${users.length} listed user${users.length === 1 ? '' : 's'}; lower required or list more approvers`,
    });
  }
}

export function checkContainerTargets(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  config.containerRepo?.templates.forEach(({ distro, arch }, index) => {
    const path = ['containerRepo', 'templates', index];
    if (distro === undefined || arch === undefined) {
      if (!config.build.sourceTarball) {
        ctx.addIssue({
          code: 'custom',
          path,
          message:
            'downloads the source tarball (no distro and arch), but build.sourceTarball is false; name a build target or build the source tarball',
        });
      }
      return;
    }
    const entry = config.build.matrix.find((candidate) => candidate.distro === distro);
    if (entry === undefined) {
      const distros = config.build.matrix.map((candidate) => candidate.distro).join(', ');
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'distro'],
        message: `build.matrix has no distro ${distro}; it has ${distros}`,
      });
    } else if (!entry.arch.includes(arch)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'arch'],
        message: `build.matrix has no arch ${arch} for ${distro}; it has ${entry.arch.join(', ')}`,
      });
    }
  });
}

/*
 * Templates are tried with one version: any other gives a name of the same shape, since a version is letters,
 * digits, "." and "-", begins with a digit and has no "/". {project} and {distro} are tried with the config's own
 * values, which are all they can be; a value that is itself refused is left to its own message.
 */
const sampleVersion = parseVersion('1.2.3');

function templateValues(config: ProjectConfigFields, distro?: string): TemplateValues | undefined {
  if (!ProjectName.safeParse(config.project).success) return undefined;
  if (distro !== undefined && !Token.safeParse(distro).success) return undefined;
  return {
    version: sampleVersion.text,
    majorMinor: sampleVersion.majorMinor,
    project: config.project,
    ...(distro === undefined ? {} : { distro }),
  };
}

const onceReplaced = `once its placeholders are replaced (for version ${sampleVersion.text}),`;

export function checkReleaseTag(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  const { tag } = config.publish.release;
  const values = templateValues(config);
  if (values === undefined || placeholderProblems(tag, releasePlaceholders).length > 0) return;
  const problem = refNameProblem(renderTemplate(tag, values), 'tag');
  if (problem === undefined) return;
  ctx.addIssue({
    code: 'custom',
    path: ['publish', 'release', 'tag'],
    message: `${onceReplaced} ${refMessage('tag', problem)}`,
  });
}

export function checkContainerOutputs(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  config.containerRepo?.templates.forEach(({ output, distro }, index) => {
    const values = templateValues(config, distro);
    if (values === undefined || placeholderProblems(output, outputPlaceholders(distro)).length > 0) return;
    if (repositoryPathProblem(output, containerRepoPlace) !== undefined) return;
    const problem = repositoryPathProblem(renderTemplate(output, values), containerRepoPlace);
    if (problem === undefined) return;
    ctx.addIssue({
      code: 'custom',
      path: ['containerRepo', 'templates', index, 'output'],
      message: `${onceReplaced} ${problem}`,
    });
  });
}
