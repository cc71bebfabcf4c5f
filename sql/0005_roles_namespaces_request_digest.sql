-- Roles that say what a token may do, one team per namespace, and the digest of the request a
-- job was submitted with (so a reused idempotency key with a different request is refused).

-- Roles. 'admin' was platform-wide, although `sparkd admin create-token T --role admin` said
-- "admin of team T". Existing tokens are migrated to what they were meant to be:
-- - admin tokens of team `admin` (the team of the bootstrap admin token, the platform's own)
--   become platform admins, so the bootstrap token keeps managing every team;
-- - admin tokens of any other team become team admins of that team: they keep managing its
--   presets and tokens, and lose every other team's;
-- - members stay members.
-- A type is swapped rather than altered: values added by ALTER TYPE ... ADD VALUE cannot be
-- used in the transaction that adds them, and each migration is one transaction.
CREATE TYPE token_role_v2 AS ENUM ('member', 'team_admin', 'platform_admin');
ALTER TABLE api_tokens ALTER COLUMN role TYPE token_role_v2 USING (
  CASE
    WHEN role::text = 'member' THEN 'member'
    WHEN team = 'admin' THEN 'platform_admin'
    ELSE 'team_admin'
  END)::token_role_v2;
DROP TYPE token_role;
ALTER TYPE token_role_v2 RENAME TO token_role;

-- A namespace belongs to one team: the primary key decides between two racing creates.
-- `position` keeps the team's order (its first namespace is its jobs' default).
CREATE TABLE team_namespaces (
  namespace text PRIMARY KEY,
  team      text NOT NULL REFERENCES teams (name),
  position  integer NOT NULL,
  UNIQUE (team, position)
);

-- Teams that already share a namespace cannot be migrated silently: taking the namespace from
-- one of them would move its jobs, or leave it held to no namespace at all. The migration
-- stops (and is rolled back whole) naming the namespace and the teams; an operator removes it
-- from all but one, e.g. UPDATE teams SET namespaces = array_remove(namespaces, 'ns') WHERE
-- name = 'team', and restarts.
DO $$
DECLARE
  shared record;
BEGIN
  SELECT ns, string_agg(DISTINCT name, ', ') AS owners INTO shared
    FROM teams, unnest(namespaces) AS ns
    GROUP BY ns HAVING count(DISTINCT name) > 1
    ORDER BY ns LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'namespace % is listed by teams %: a namespace belongs to one team; '
      'remove it from all but one of them (teams.namespaces) and start again',
      shared.ns, shared.owners;
  END IF;
END $$;

-- A namespace listed twice by the same team keeps its first place.
INSERT INTO team_namespaces (namespace, team, position)
  SELECT DISTINCT ON (ns) ns, name, ord
  FROM teams, unnest(namespaces) WITH ORDINALITY AS listed (ns, ord)
  ORDER BY ns, ord;

ALTER TABLE teams DROP COLUMN namespaces;

-- SHA-256 of the request as the client sent it (its canonical JSON, before presets), set at
-- submit. NULL for jobs submitted before this migration: their digest is unknown, so a submit
-- with their key reattaches to them whatever it asks (the behaviour they were created under).
ALTER TABLE jobs ADD COLUMN request_sha256 bytea;
