-- Which master key this deployment's secrets are sealed with: a one-way
-- fingerprint of it (HKDF, purpose "key check"), written by the first process
-- that starts. Every role of a deployment must be given the same key; one that
-- was not refuses to start instead of failing later on every sealed secret.
CREATE TABLE IF NOT EXISTS master_key_check (
    id int4 PRIMARY KEY CHECK (id = 1),
    fingerprint text NOT NULL,
    created_at int8 NOT NULL
);
