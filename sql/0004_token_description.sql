-- What a token is for ("airflow prod connection"), written by the admin who created it and
-- shown in token listings; '' when none was given. Validated by the daemon (length, no control
-- characters) before it gets here.
ALTER TABLE api_tokens ADD COLUMN description text NOT NULL DEFAULT '';
