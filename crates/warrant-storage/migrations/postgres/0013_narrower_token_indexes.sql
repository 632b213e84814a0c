-- Most access tokens have no user (client credentials) and no authorization code (all but
-- the first of a code grant's family, and every other grant's): their entries in these two
-- indexes were a tenth of each token's stored bytes and two more index writes per insert,
-- for lookups that only ever ask for a user or a code. Equality (user_id = $1) implies NOT
-- NULL, so those lookups, and the foreign keys' cascades, use the partial indexes. Keep in
-- step with ../sqlite/0013_narrower_token_indexes.sql.
DROP INDEX access_tokens_user;
CREATE INDEX access_tokens_user ON access_tokens (user_id) WHERE user_id IS NOT NULL;
DROP INDEX access_tokens_code;
CREATE INDEX access_tokens_code ON access_tokens (authorization_code_id)
    WHERE authorization_code_id IS NOT NULL;
