/**
 * The config v1 schema, composed from one schema per section. A new section is
 * one line in `sections` below; rules that span sections go to `rules/index.ts`.
 */
import * as z from 'zod';
import { crossRules } from './rules/index.js';
import { metaClustersSection, workspaceClustersSection } from './sections/clusters.js';
import { environmentField, versionField } from './sections/header.js';
import { projectSection } from './sections/project.js';
import { terraformSection } from './sections/terraform.js';
import { installConfigSections } from '../steps/install/config.js';
import { registrationSchema } from '../registry/config.js';
import { trafficShiftSchema } from '../traffic/config.js';
import { notificationsSchema } from '../notify/config.js';

const sections = {
  version: versionField,
  environment: environmentField,
  project: projectSection,
  metaClusters: metaClustersSection,
  workspaceClusters: workspaceClustersSection,
  terraform: terraformSection,
  gitpod: installConfigSections.gitpod.optional(),
  jaeger: installConfigSections.jaeger.optional(),
  monitoring: installConfigSections.monitoring.optional(),
  aliveTest: installConfigSections.aliveTest.optional(),
  registration: registrationSchema.optional(),
  trafficShift: trafficShiftSchema.optional(),
  notifications: notificationsSchema.optional(),
};

/**
 * Validates a config document (already read from YAML). Relative paths resolve
 * against the working directory unless parsed through {@link parseConfig}, which
 * resolves them against the config's folder. Strict: unknown keys are errors.
 */
export const configSchema = z
  .strictObject(sections)
  .superRefine(
    (config, ctx) => {
      for (const rule of crossRules) {
        for (const issue of rule(config)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      }
    },
    // Run the cross-field rules even when fields failed: the user sees every problem in one run.
    { when: () => true },
  )
  .describe('ws-deployment config');

/** A validated config: defaults applied, paths absolute. */
export type Config = z.output<typeof configSchema>;
