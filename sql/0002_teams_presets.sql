-- Teams, their API tokens and their option presets; jobs record what they resolved against.

CREATE TABLE teams (
  name       text PRIMARY KEY,
  namespaces text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE token_role AS ENUM ('member', 'admin');

-- Only the SHA-256 of a token is kept: a leaked table grants nothing.
CREATE TABLE api_tokens (
  id         text PRIMARY KEY,
  team       text NOT NULL REFERENCES teams (name),
  role       token_role NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

-- Every write is a new version; a delete is a tombstone version. Rows are never changed, so a
-- job's recorded (team, job_type, version) names the exact options it got, forever.
CREATE TABLE presets (
  team        text NOT NULL REFERENCES teams (name),
  job_type    text NOT NULL,
  version     bigint NOT NULL CHECK (version > 0),
  body        jsonb NOT NULL,
  source_yaml text NOT NULL DEFAULT '',
  author      text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  deleted     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (team, job_type, version)
);

CREATE FUNCTION presets_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'presets are immutable: write a new version instead';
END $$;
CREATE TRIGGER presets_immutable BEFORE UPDATE OR DELETE ON presets
  FOR EACH ROW EXECUTE FUNCTION presets_immutable();

ALTER TABLE jobs ADD COLUMN resolved_spec jsonb;
ALTER TABLE jobs ADD COLUMN presets_used jsonb;
