-- A password attempt is counted the moment it starts, so that parallel guesses cannot all pass
-- the limit's check, but it is a failure only once its password was compared and did not
-- match (issue #9). pending = 1 while it runs: attempts still running make a new one wait a
-- moment ("busy") but never a failure's minutes, and an attempt that ends without a comparison
-- (the hashing queue was full) is removed. Rows before this version were all failures.
ALTER TABLE attempts ADD COLUMN pending INTEGER NOT NULL DEFAULT 0 CHECK (pending IN (0, 1));
