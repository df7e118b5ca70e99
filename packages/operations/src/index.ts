export {
  ApprovalRefused,
  operationNamed,
  operations,
  OperationConflict,
  type Operation,
  type OperationResult,
  type RunContext,
} from './registry.js';
export {
  describeOperation,
  parseInputs,
  type InputDescription,
  type InputRefusal,
  type OperationDescription,
  type ParsedInputs,
} from './inputs.js';
export { authorize, type Decision, type ForgeDirectory } from './authorize.js';
