-- Idle timeouts (#5). sessions.last_seen_at already exists (written at most once a minute by
-- the session lookup); a session ends when it has not been used for the idle limit of its kind
-- (configuration: session_idle_minutes, remember_idle_days), checked in the lookup's SQL.
-- These indexes serve the hourly purge, which removes sessions past either limit.
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
CREATE INDEX sessions_expires ON sessions (expires_at);
