export {
  InputError,
  RelforgeError,
  StackError,
  isRelforgeError,
  splitFix,
  withFix,
  type RelforgeErrorOptions,
} from './errors.js';
export { formatIssuePath, issueLines, parseInput, type InputSchema, type Issue } from './input.js';
