/**
 * The module contract's variables (`project`, `region`, `name`, …) are set by
 * the tool from each cluster: a `terraform.variables` entry of the same name
 * would be dropped without a word, and the operator who wrote `region:` there
 * would believe the module got it. Refused, with where the value comes from.
 */
import { CONTRACT_VARIABLES } from '../../steps/create-cluster/terraform-setup.js';
import { quote } from '../messages.js';
import { asRecord, type CrossRule } from './rule.js';

export const contractVariablesNotPassed: CrossRule = (config) => {
  const variables = asRecord(asRecord(asRecord(config)?.terraform)?.variables) ?? {};
  const contract = [...CONTRACT_VARIABLES].sort().join(', ');
  return Object.keys(variables)
    .filter((name) => CONTRACT_VARIABLES.has(name))
    .map((name) => ({
      path: ['terraform', 'variables', name],
      message: `${quote(name)} is a module contract variable (${contract}): ws-deployment sets it for each cluster from project and workspaceClusters; remove it from terraform.variables`,
    }));
};
