-- Sessions and second factors (docs/security.md, "Sessions" and
-- "Second factors").
--
-- sessions.stage is '' for a signed-in session, 'second_factor' while the
-- password was right but the second factor is still owed, and 'enrol'
-- while the account's role requires a second factor that it has not
-- enrolled yet: such a session can do nothing but give (or enrol) that
-- factor, or sign out. method is how the session signed in ('password',
-- 'password+totp', 'password+recovery', 'setup', 'oidc', …), device a
-- coarse description of the browser from its User-Agent ("Firefox on
-- Linux"), last_seen_at the last request (for the idle timeout; written
-- at most once a minute). No client address is kept.
--
-- users.mfa_reset_at is when an administrator last reset the account's
-- second factors, until the person has been told at their next sign-in
-- (0: nothing to tell).

-- +goose Up
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT '' CHECK (stage IN ('', 'second_factor', 'enrol'));
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_reset_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN mfa_reset_at;
ALTER TABLE sessions DROP COLUMN last_seen_at;
ALTER TABLE sessions DROP COLUMN device;
ALTER TABLE sessions DROP COLUMN method;
ALTER TABLE sessions DROP COLUMN stage;
