-- Where a mailed link's page sends the resident afterwards (#10): the login card's `next`
-- when the link was asked for inside an e-service's login, e.g. the OpenID Connect
-- authorization request, so that a carried-over resident who sets a password comes back into
-- that login instead of our front page. A local path, never a secret (the token is minted at
-- delivery and stored hashed). NULL: the usual pages.
ALTER TABLE outbox ADD COLUMN next TEXT;
