/**
 * Admission constraints in gpctl's syntax: parsing (with the errors people see),
 * formatting, equality as the bridge compares them, and which users satisfy them.
 * Expected values are written out, not derived from the module.
 */
import { describe, expect, it } from 'vitest';
import { formatConstraint, parseConstraint, sameConstraint, satisfies } from '../../../src/registry/constraints.js';

describe('parseConstraint', () => {
  it.each([
    ['has-feature-preview', { type: 'has-feature-preview' }],
    ['  has-feature-preview \n', { type: 'has-feature-preview' }],
    ['has-permission=new-workspace-cluster', { type: 'has-permission', permission: 'new-workspace-cluster' }],
    ['has-permission=a', { type: 'has-permission', permission: 'a' }],
  ])('reads %j', (text, expected) => {
    expect(parseConstraint(text)).toEqual(expected);
  });

  it.each(['has-permission', 'has-permission=', 'has-permission=-x', 'has-permission=a b'])('asks for a value in %j', (text) => {
    expect(() => parseConstraint(text)).toThrow(
      expect.objectContaining({ code: 'UsageError', message: `admission constraint "${text}" needs a value such as has-permission=new-workspace-cluster (letters, digits, dots, dashes)` }),
    );
  });

  it.each(['has-feature', '=x', 'has-feature-preview=yes', ''])('names the two forms for the unknown %j', (text) => {
    expect(() => parseConstraint(text)).toThrow(
      expect.objectContaining({ code: 'UsageError', message: `unknown admission constraint "${text}": use has-feature-preview or has-permission=<permission>` }),
    );
  });

  it.each([
    ['has-user-level=admin-users', 'has-user-level', '2022-07', 3],
    ['has-user-level', 'has-user-level', '2022-07', 3],
    ['has-more-resources', 'has-more-resources', '2022-07', 4],
  ])('refuses %j, which the bridge removed, naming when and the field', (text, kind, when, field) => {
    expect(() => parseConstraint(text)).toThrow(
      expect.objectContaining({ code: 'UsageError', message: expect.stringContaining(`${kind} was removed from ws-manager-bridge in ${when} (AdmissionConstraint field ${field})`) }),
    );
  });
});

describe('formatConstraint and sameConstraint', () => {
  it('writes each form back as gpctl reads it', () => {
    expect(formatConstraint({ type: 'has-feature-preview' })).toBe('has-feature-preview');
    expect(formatConstraint({ type: 'has-permission', permission: 'p' })).toBe('has-permission=p');
  });

  it('compares by content', () => {
    expect(sameConstraint({ type: 'has-permission', permission: 'p' }, { type: 'has-permission', permission: 'p' })).toBe(true);
    expect(sameConstraint({ type: 'has-permission', permission: 'p' }, { type: 'has-permission', permission: 'q' })).toBe(false);
    expect(sameConstraint({ type: 'has-permission', permission: 'x' }, { type: 'has-feature-preview' })).toBe(false);
  });
});

describe('satisfies', () => {
  it('feature preview only for users who opted in', () => {
    expect(satisfies({ featurePreview: true }, { type: 'has-feature-preview' })).toBe(true);
    expect(satisfies({ featurePreview: false }, { type: 'has-feature-preview' })).toBe(false);
    expect(satisfies({}, { type: 'has-feature-preview' })).toBe(false);
  });

  it('a permission only for users holding exactly it', () => {
    expect(satisfies({ permissions: ['a', 'new-workspace-cluster'] }, { type: 'has-permission', permission: 'new-workspace-cluster' })).toBe(true);
    expect(satisfies({ permissions: ['new-workspace'] }, { type: 'has-permission', permission: 'new-workspace-cluster' })).toBe(false);
    expect(satisfies({}, { type: 'has-permission', permission: 'p' })).toBe(false);
  });
});
