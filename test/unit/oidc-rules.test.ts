// What the school's claims decide, rule by rule: the band (undecided is minor), a moderator's role
// (the first rule that matches), the school checks (hd, tid) and the username of an SSO account.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AppError } from '../../server/errors.ts';
import { assertSchoolAccount, bandFromClaims, claimAt, claimMatches, oidcIdentityHash, roleFromClaims, usernameFromClaims } from '../../server/access/oidc-rules.ts';

const STAFF_DOMAIN = { emailDomain: 'staff.school.example.org', band: 'adult' as const };
const PUPIL_DOMAIN = { emailDomain: 'pupils.school.example.org', band: 'minor' as const };
const STAFF_ROLE = { claim: 'roles', values: ['Staff'], band: 'adult' as const };

test('claims are found by name, by dotted path, and by a name that holds dots itself', () => {
  const claims = { roles: ['Staff'], org: { unit: { name: 'Year 7' } }, 'https://school.example/role': 'teacher' };
  assert.equal(claimAt(claims, 'roles'), ['Staff']);
  assert.is(claimAt(claims, 'org.unit.name'), 'Year 7');
  assert.is(claimAt(claims, 'https://school.example/role'), 'teacher');
  assert.is(claimAt(claims, 'org.missing.name'), undefined);
  assert.is(claimAt(claims, 'toString'), undefined, 'nothing inherited from Object');
  assert.is(claimAt(claims, 'roles.length'), undefined, 'no walking into lists');
});

test('a claim matches a value exactly, or a list holding one', () => {
  assert.ok(claimMatches('Staff', ['Staff']));
  assert.ok(claimMatches(['grp-a', 'Staff'], ['Staff', 'Governor']));
  assert.ok(claimMatches(12, ['12']));
  assert.not.ok(claimMatches('staff', ['Staff']), 'case matters: group ids and role values are exact');
  assert.not.ok(claimMatches({ Staff: true }, ['Staff']));
  assert.not.ok(claimMatches(undefined, ['Staff']));
  assert.not.ok(claimMatches([['Staff']], ['Staff']));
});

test('the band: a verified staff domain or role is adult; nothing that matches, both bands, or an unverified address is minor', () => {
  const rules = [STAFF_DOMAIN, PUPIL_DOMAIN, STAFF_ROLE];
  assert.is(bandFromClaims({ email: 'lee@staff.school.example.org', email_verified: true }, rules), 'adult');
  assert.is(bandFromClaims({ email: 'Lee@STAFF.school.example.org', email_verified: true }, rules), 'adult', 'domains are case-insensitive');
  assert.is(bandFromClaims({ roles: ['Staff'] }, rules), 'adult');
  assert.is(bandFromClaims({ email: 'ada@pupils.school.example.org', email_verified: true }, rules), 'minor');
  assert.is(bandFromClaims({}, rules), 'minor', 'undecided');
  assert.is(bandFromClaims({ email: 'x@staff.school.example.org' }, rules), 'minor', 'an address the provider did not verify');
  assert.is(bandFromClaims({ email: 'x@staff.school.example.org', email_verified: 'true' }, rules), 'minor', 'only a real true');
  assert.is(bandFromClaims({ email: 'x@sub.staff.school.example.org', email_verified: true }, rules), 'minor', 'exactly that domain, not below it');
  assert.is(bandFromClaims({ email: 'ada@pupils.school.example.org', email_verified: true, roles: ['Staff'] }, rules), 'minor', 'both bands: undecided');
  assert.is(bandFromClaims({ roles: ['Staff'] }, []), 'minor', 'no rules at all');
});

test("a moderator's role is the first rule's that matches; none, none", () => {
  const rules = [
    { claim: 'groups', values: ['dsl'], role: 'safeguarding' as const },
    { claim: 'groups', values: ['pastoral', 'dsl'], role: 'moderator' as const },
  ];
  assert.is(roleFromClaims({ groups: ['pastoral'] }, rules), 'moderator');
  assert.is(roleFromClaims({ groups: ['dsl', 'pastoral'] }, rules), 'safeguarding');
  assert.is(roleFromClaims({ groups: ['pupils'] }, rules), undefined);
});

test('the school checks: hd and tid must be listed; unset lists check nothing', () => {
  const refusal = (claims: Record<string, unknown>, settings: { allowedDomains: string[]; allowedTenants: string[] }) => {
    try {
      assertSchoolAccount(claims, settings, 'Northfield');
      return undefined;
    } catch (error) {
      return (error as AppError).code;
    }
  };
  const google = { allowedDomains: ['School.example.org'], allowedTenants: [] };
  assert.is(refusal({ hd: 'school.example.org' }, google), undefined);
  assert.is(refusal({ hd: 'other.example.org' }, google), 'oidc_domain_not_allowed');
  assert.is(refusal({ email: 'x@school.example.org', email_verified: true }, google), 'oidc_domain_not_allowed', 'the e-mail domain is no substitute for hd');
  assert.is(refusal({ hd: ['school.example.org'] }, google), 'oidc_domain_not_allowed');
  const entra = { allowedDomains: [], allowedTenants: ['0F8C6A52-1B9E-4A57-9D2A-2C0F5F6C1E11'] };
  assert.is(refusal({ tid: '0f8c6a52-1b9e-4a57-9d2a-2c0f5f6c1e11' }, entra), undefined);
  assert.is(refusal({ tid: '11111111-2222-3333-4444-555555555555' }, entra), 'oidc_tenant_not_allowed');
  assert.is(refusal({}, entra), 'oidc_tenant_not_allowed');
  assert.is(refusal({}, { allowedDomains: [], allowedTenants: [] }), undefined);
});

test('the identity is a keyed hash of iss|sub: stable, different per issuer, subject and secret, never the subject itself', () => {
  const secret = 'x'.repeat(40);
  const a = oidcIdentityHash(secret, 'https://accounts.google.com', '1001');
  assert.is(a, oidcIdentityHash(secret, 'https://accounts.google.com', '1001'));
  assert.is.not(a, oidcIdentityHash(secret, 'https://login.microsoftonline.com/t/v2.0', '1001'));
  assert.is.not(a, oidcIdentityHash(secret, 'https://accounts.google.com', '1002'));
  assert.is.not(a, oidcIdentityHash('y'.repeat(40), 'https://accounts.google.com', '1001'));
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.not.match(a, /1001/);
});

test('an SSO username from the claim before any @, else the address, else "sso"', () => {
  assert.is(usernameFromClaims({ preferred_username: 'J.Jones@school.example.org' }, 'preferred_username'), 'j.jones');
  assert.is(usernameFromClaims({ email: 'Mrs Lee@school.example.org' }, 'preferred_username'), 'mrs-lee');
  assert.is(usernameFromClaims({ preferred_username: 'al' }, 'preferred_username'), 'al-sso');
  assert.is(usernameFromClaims({ preferred_username: '__' }, 'preferred_username'), 'sso');
  assert.is(usernameFromClaims({}, 'preferred_username'), 'sso');
  assert.ok(usernameFromClaims({ preferred_username: 'a'.repeat(80) }, 'preferred_username').length <= 32);
});

test.run();
