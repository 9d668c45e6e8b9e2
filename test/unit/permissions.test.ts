// The permission matrix, cell by cell, against an independent statement of the policy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ACTIONS, ROLES, can, canManageRole, evidenceAction, type Action, type Role } from '../../server/access/permissions.ts';

/** Actions that only read: the auditor may do these and nothing else. */
const READ_ONLY: ReadonlySet<Action> = new Set([
  'stats.read', 'reports.list', 'reports.view', 'bans.list', 'appeals.list', 'invites.list', 'sessions.list', 'audit.read',
  'duty.list', 'alerts.list',
]);

/** The policy in words: what each role may do, written independently of the matrix. */
function expected(role: Role, action: Action): boolean {
  if (action === 'evidence.view_sensitive' || action === 'evidence.export') return role === 'safeguarding';
  if (action === 'config.manage' || action === 'moderators.confirm_sso') return role === 'owner';
  if (action === 'moderators.list' || action === 'moderators.manage') return role === 'owner' || role === 'admin' || role === 'safeguarding';
  // Closing the whole space: those who run it, and the safeguarding lead (not every moderator).
  if (action === 'site.pause') return role === 'owner' || role === 'admin' || role === 'safeguarding';
  if (READ_ONLY.has(action)) return true;
  return role !== 'auditor';
}

test('every role × action cell matches the policy', () => {
  let cells = 0;
  for (const role of ROLES) {
    for (const action of ACTIONS) {
      assert.is(can(role, action), expected(role, action), `${role} × ${action}`);
      cells++;
    }
  }
  assert.is(cells, ROLES.length * ACTIONS.length);
  assert.ok(ACTIONS.length >= 20, 'the matrix covers the moderation actions');
});

test('the auditor can read everything it is shown but change nothing', () => {
  const allowed = ACTIONS.filter((action) => can('auditor', action));
  assert.equal(new Set(allowed), new Set([...READ_ONLY]));
});

test('only safeguarding opens evidence of minor and illegal reports', () => {
  for (const reason of ['minor', 'illegal']) {
    assert.is(evidenceAction(reason), 'evidence.view_sensitive');
    assert.equal(ROLES.filter((role) => can(role, evidenceAction(reason))), ['safeguarding']);
  }
  for (const reason of ['nudity', 'harassment', 'hate', 'spam', 'other']) {
    assert.is(evidenceAction(reason), 'evidence.view');
    assert.not.ok(can('auditor', evidenceAction(reason)));
  }
});

test('owners manage every account; admins all but owners and safeguarding; safeguarding only its own role', () => {
  for (const target of ROLES) {
    assert.is(canManageRole('owner', target), true, `owner → ${target}`);
    assert.is(canManageRole('admin', target), target !== 'owner' && target !== 'safeguarding', `admin → ${target}`);
    assert.is(canManageRole('safeguarding', target), target === 'safeguarding', `safeguarding → ${target}`);
    for (const actor of ['moderator', 'auditor'] as const) assert.is(canManageRole(actor, target), false, `${actor} → ${target}`);
  }
});

test.run();
