/**
 * The `{placeholder}` syntax of the config's templates (release tag and name, Dockerfile output paths). Templates
 * are checked when the config is read, so a typo stops the release before it starts rather than mid-way.
 */
import { z } from 'zod';
import { InputError } from '@relforge/errors';
import { closestMatch } from './issues.js';

export const Placeholder = z.enum(['version', 'project', 'majorMinor', 'distro']);
export type Placeholder = z.infer<typeof Placeholder>;
export type TemplateValues = Partial<Record<Placeholder, string>>;

const placeholderPattern = /\{([^{}]*)\}/g;

function placeholdersIn(template: string): string[] {
  return Array.from(template.matchAll(placeholderPattern), ([, name = '']) => name);
}

const listed = (names: readonly string[]) => names.map((name) => `{${name}}`).join(', ');

function placeholderProblem(name: string, allowed: readonly string[]): string {
  if (Placeholder.safeParse(name).success) return `{${name}} cannot be used here; allowed: ${listed(allowed)}`;
  const match = closestMatch(name, allowed);
  return `unknown placeholder {${name}}${match === undefined ? '' : ` (did you mean {${match}}?)`}; allowed: ${listed(allowed)}`;
}

/** What is wrong with each placeholder a config template uses outside `allowed`; empty when nothing is. */
export function placeholderProblems(template: string, allowed: readonly Placeholder[]): string[] {
  return placeholdersIn(template)
    .filter((name) => !allowed.some((placeholder) => placeholder === name))
    .map((name) => placeholderProblem(name, allowed));
}

/** Replaces each `{name}` with its value; a placeholder without a value is refused, never left in a tag or path. */
export function renderTemplate(template: string, values: TemplateValues): string {
  const known = new Map<string, string>();
  for (const name of Placeholder.options) {
    const value = values[name];
    if (value !== undefined) known.set(name, value);
  }
  return template.replace(placeholderPattern, (_match, name: string) => {
    const value = known.get(name);
    if (value === undefined) {
      const allowed = [...known.keys()];
      throw new InputError(`template "${template}": ${placeholderProblem(name, allowed)}`, {
        fix: `write the template with ${allowed.length > 0 ? `only ${listed(allowed)}` : 'no placeholders'}`,
      });
    }
    return value;
  });
}
