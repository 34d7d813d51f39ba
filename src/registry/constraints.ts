/**
 * Admission constraints as people write them (gpctl's syntax):
 * `has-feature-preview`, `has-permission=<permission>`, `has-user-level=<level>`.
 */
import { WsdError } from '../core/errors.js';
import type { AdmissionConstraint } from './types.js';

/** Permission and level names: what Gitpod uses (`new-workspace-cluster`, `admin-users`). */
const VALUE_PATTERN = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;

/** Parses `has-permission=new-workspace-cluster` and friends; throws a UsageError otherwise. */
export function parseConstraint(text: string): AdmissionConstraint {
  const trimmed = text.trim();
  if (trimmed === 'has-feature-preview') return { type: 'has-feature-preview' };
  const eq = trimmed.indexOf('=');
  const kind = eq < 0 ? trimmed : trimmed.slice(0, eq);
  const value = eq < 0 ? '' : trimmed.slice(eq + 1);
  if (kind === 'has-permission' || kind === 'has-user-level') {
    if (!VALUE_PATTERN.test(value)) {
      throw new WsdError(
        'UsageError',
        `admission constraint "${text}" needs a value such as ${kind}=new-workspace-cluster (letters, digits, dots, dashes)`,
      );
    }
    return kind === 'has-permission' ? { type: 'has-permission', permission: value } : { type: 'has-user-level', level: value };
  }
  throw new WsdError(
    'UsageError',
    `unknown admission constraint "${text}": use has-feature-preview, has-permission=<permission> or has-user-level=<level>`,
  );
}

/** The inverse of {@link parseConstraint}. */
export function formatConstraint(constraint: AdmissionConstraint): string {
  switch (constraint.type) {
    case 'has-feature-preview':
      return 'has-feature-preview';
    case 'has-permission':
      return `has-permission=${constraint.permission}`;
    case 'has-user-level':
      return `has-user-level=${constraint.level}`;
  }
}

/** Structural equality, as the bridge compares constraints when removing one. */
export function sameConstraint(a: AdmissionConstraint, b: AdmissionConstraint): boolean {
  return formatConstraint(a) === formatConstraint(b);
}

/** The user traits constraints are checked against (simulator and plans). */
export interface UserProfile {
  permissions?: readonly string[];
  featurePreview?: boolean;
  userLevel?: string;
}

/** True when the user satisfies one constraint. */
export function satisfies(user: UserProfile, constraint: AdmissionConstraint): boolean {
  switch (constraint.type) {
    case 'has-feature-preview':
      return user.featurePreview === true;
    case 'has-permission':
      return (user.permissions ?? []).includes(constraint.permission);
    case 'has-user-level':
      return user.userLevel === constraint.level;
  }
}
