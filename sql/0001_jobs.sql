-- Jobs, their append-only event log and their executors.

-- Times cross the client border as microseconds since the Unix epoch: exact, no time zones.
CREATE FUNCTION micros_to_ts(bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT 'epoch'::timestamptz + $1 * interval '1 microsecond' $$;
CREATE FUNCTION ts_to_micros(timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT
  AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$;

CREATE TYPE job_state AS ENUM (
  'QUEUED', 'SUBMITTING', 'SUBMITTED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'UNKNOWN');

-- The taxonomy of DESIGN.md "Exit reasons"; the proto enum ExitReason has the same names.
CREATE TYPE exit_reason AS ENUM (
  'SUCCEEDED', 'KILLED_BY_DRIVER', 'OOM_KILLED', 'JVM_OOM', 'EVICTED', 'NODE_LOST', 'PREEMPTED',
  'IMAGE_PULL_FAILED', 'CONFIG_ERROR', 'UNSCHEDULABLE', 'CRASH_LOOP', 'HEARTBEAT_TIMEOUT',
  'APP_ERROR', 'UNKNOWN');

CREATE TABLE jobs (
  id               text PRIMARY KEY,
  team             text NOT NULL,
  idempotency_key  text NOT NULL,
  state            job_state NOT NULL,
  state_message    text NOT NULL DEFAULT '',
  request          jsonb NOT NULL,
  backend          text NOT NULL,
  -- The daemon instance that drives the job (launches, observes, finalises it).
  owner            text,
  backend_ref      text NOT NULL DEFAULT '',
  spark_app_id     text NOT NULL DEFAULT '',
  spark_ui_url     text NOT NULL DEFAULT '',
  driver_exit_code integer,
  report           jsonb,
  -- Bumped by every state change; equals the seq of the job's newest event.
  version          bigint NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  started_at       timestamptz,
  finished_at      timestamptz,
  CONSTRAINT jobs_team_key UNIQUE (team, idempotency_key)
);

CREATE INDEX jobs_team_created ON jobs (team, created_at DESC, id DESC);
CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_active ON jobs (created_at)
  WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED');

CREATE TABLE job_events (
  job_id     text NOT NULL REFERENCES jobs (id),
  seq        bigint NOT NULL,
  from_state job_state,
  to_state   job_state NOT NULL,
  at         timestamptz NOT NULL,
  message    text NOT NULL DEFAULT '',
  PRIMARY KEY (job_id, seq)
);

-- The event log is history: nothing rewrites or removes it.
CREATE FUNCTION job_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'job_events is append-only';
END $$;
CREATE TRIGGER job_events_append_only BEFORE UPDATE OR DELETE ON job_events
  FOR EACH ROW EXECUTE FUNCTION job_events_append_only();

CREATE TABLE executors (
  job_id      text NOT NULL REFERENCES jobs (id),
  executor_id text NOT NULL,
  pod_name    text NOT NULL DEFAULT '',
  host        text NOT NULL DEFAULT '',
  started_at  timestamptz,
  ended_at    timestamptz,
  exit_code   integer,
  reason      exit_reason,
  evidence    text NOT NULL DEFAULT '',
  advice      text NOT NULL DEFAULT '',
  PRIMARY KEY (job_id, executor_id)
);

CREATE INDEX executors_reason ON executors (reason, ended_at) WHERE reason IS NOT NULL;
