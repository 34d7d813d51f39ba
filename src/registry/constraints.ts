/**
 * Admission constraints as people write them (gpctl's syntax):
 * `has-feature-preview`, `has-permission=<permission>`. The kinds the bridge
 * dropped are refused by name: a bridge skips a removed field silently, so
 * sending one would look like success and constrain nothing.
 */
import { WsdError } from '../core/errors.js';
import type { AdmissionConstraint } from './types.js';

/** Permission and level names: what Gitpod uses (`new-workspace-cluster`, `admin-users`). */
const VALUE_PATTERN = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;

/** Constraint kinds ws-manager-bridge removed, with the bridge version that dropped them (design.md §3). */
export const REMOVED_CONSTRAINT_KINDS: Readonly<Record<string, { field: number; removed: string }>> = {
  'has-user-level': { field: 3, removed: '2022-07' },
  'has-more-resources': { field: 4, removed: '2022-07' },
};

/** Parses `has-permission=new-workspace-cluster` and friends; throws a UsageError otherwise. */
export function parseConstraint(text: string): AdmissionConstraint {
  const trimmed = text.trim();
  if (trimmed === 'has-feature-preview') return { type: 'has-feature-preview' };
  const eq = trimmed.indexOf('=');
  const kind = eq < 0 ? trimmed : trimmed.slice(0, eq);
  const value = eq < 0 ? '' : trimmed.slice(eq + 1);
  const removed = REMOVED_CONSTRAINT_KINDS[kind];
  if (removed) {
    throw new WsdError(
      'UsageError',
      `admission constraint "${text}": ${kind} was removed from ws-manager-bridge in ${removed.removed} (AdmissionConstraint field ${removed.field}); ` +
        'bridges since then drop it without a word, so it would constrain nothing. Use has-permission=<permission> or has-feature-preview',
    );
  }
  if (kind === 'has-permission') {
    if (!VALUE_PATTERN.test(value)) {
      throw new WsdError('UsageError', `admission constraint "${text}" needs a value such as has-permission=new-workspace-cluster (letters, digits, dots, dashes)`);
    }
    return { type: 'has-permission', permission: value };
  }
  throw new WsdError('UsageError', `unknown admission constraint "${text}": use has-feature-preview or has-permission=<permission>`);
}

/** The inverse of {@link parseConstraint}. */
export function formatConstraint(constraint: AdmissionConstraint): string {
  switch (constraint.type) {
    case 'has-feature-preview':
      return 'has-feature-preview';
    case 'has-permission':
      return `has-permission=${constraint.permission}`;
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
}

/** True when the user satisfies one constraint. */
export function satisfies(user: UserProfile, constraint: AdmissionConstraint): boolean {
  switch (constraint.type) {
    case 'has-feature-preview':
      return user.featurePreview === true;
    case 'has-permission':
      return (user.permissions ?? []).includes(constraint.permission);
  }
}
