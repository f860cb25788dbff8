-- Clients declared in Leptos.toml (#10): `declared` marks the ones the configuration owns.
-- At each start they are added or brought up to date from the file, and a declared client no
-- longer in the file is removed; clients added from the command line (declared = 0) are never
-- touched by that, and the command line refuses to change a declared one.
ALTER TABLE oidc_clients ADD COLUMN declared INTEGER NOT NULL DEFAULT 0 CHECK (declared IN (0, 1));
