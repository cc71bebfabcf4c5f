-- The keys that sign the per-job links, with ids so a link names the key that signed it and
-- keys can be rotated: the daemon signs with the newest and accepts the ones not retired
-- (`sparkd admin rotate-link-key`). `secret` is hex, or "aes256gcm:<nonce>:<sealed>" when the
-- daemon is given a link-key-encryption-key. The key daemon_secrets held moves here as the
-- first key (it keeps signing until a rotation); the links it signed before carry no expiry,
-- which the daemon no longer accepts.
CREATE TABLE link_signing_keys (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  secret     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);

INSERT INTO link_signing_keys (secret, created_at)
  SELECT value, created_at FROM daemon_secrets WHERE name = 'link-signing';
DELETE FROM daemon_secrets WHERE name = 'link-signing';
