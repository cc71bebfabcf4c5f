-- Secrets the daemon replicas share. `link-signing` keys the HMAC of the per-job links that
-- work without a token (the Airflow extra links open in a browser that has none).
CREATE TABLE daemon_secrets (
  name       text PRIMARY KEY,
  value      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
