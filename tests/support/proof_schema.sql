-- The proof schema: every PostgreSQL rule's `## Example` and `## Use instead` SQL runs against
-- these tables, filled with real rows, on a real PostgreSQL 15 (tests/db_rule_claims.rs).
-- Rule examples must use only these tables/columns (or create their own in the example).
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text,
    name varchar(100),
    legacy_name text,
    fax_number text,
    org_id bigint,
    status text,
    score int,
    created_at timestamp
);
CREATE INDEX users_email_idx ON users (email);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    user_id bigint,
    customer_id bigint,
    status text,
    state order_status,
    total numeric(10, 2),
    placed_at timestamptz,
    note varchar(20)
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
CREATE TABLE shipments (id bigint PRIMARY KEY, co2_kg numeric(12, 3), carrier text);
CREATE TABLE products (id bigint PRIMARY KEY, name text, price numeric(10, 2));
CREATE TABLE payments (id bigint PRIMARY KEY, created_at timestamptz, status text, amount int);
CREATE TABLE accounts (id bigint PRIMARY KEY, balance int, email text);
CREATE TABLE labels (id bigint PRIMARY KEY, name text);
CREATE TABLE events (id bigint, happened_at date NOT NULL, payload text) PARTITION BY RANGE (happened_at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- Not a partition yet: attached by the example of attach-partition-without-check.
CREATE TABLE events_2023 (id bigint, happened_at date NOT NULL, payload text);
-- A domain stored in a table: domain-constraint-without-not-valid checks its values there.
CREATE DOMAIN amount AS int;
CREATE TABLE refunds (id bigint PRIMARY KEY, amount amount);
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id bigint PRIMARY KEY, number text, user_id bigint);
-- 10,000 rows per table (events: 5,000 per partition), every column filled.
INSERT INTO orgs SELECT g, 'org ' || g FROM generate_series(1, 10000) g;
INSERT INTO users SELECT g, 'u' || g || '@example.com', 'user ' || g, 'legacy ' || g, '555-' || g, 1 + g % 10000, 'active', g % 100, now() FROM generate_series(1, 10000) g;
INSERT INTO orders SELECT g, 1 + g % 10000, 1 + g % 10000, 'new', 'new', g % 1000, now(), 'n' || g FROM generate_series(1, 10000) g;
INSERT INTO shipments SELECT g, g * 1.5, 'carrier ' || g % 7 FROM generate_series(1, 10000) g;
INSERT INTO products SELECT g, 'product ' || g, g % 500 FROM generate_series(1, 10000) g;
INSERT INTO payments SELECT g, now(), 'settled', g FROM generate_series(1, 10000) g;
INSERT INTO accounts SELECT g, g % 1000, 'a' || g || '@example.com' FROM generate_series(1, 10000) g;
INSERT INTO labels SELECT g, 'label ' || g FROM generate_series(1, 10000) g;
INSERT INTO events SELECT g, date '2024-01-01' + (g % 700), 'p' FROM generate_series(1, 10000) g;
INSERT INTO events_2023 SELECT g, date '2023-01-01' + (g % 365), 'p' FROM generate_series(1, 10000) g;
INSERT INTO refunds SELECT g, g % 500 + 1 FROM generate_series(1, 10000) g;
INSERT INTO billing.invoices SELECT g, 'INV-' || g, 1 + g % 10000 FROM generate_series(1, 10000) g;
CREATE MATERIALIZED VIEW order_totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
CREATE UNIQUE INDEX order_totals_user_id_idx ON order_totals (user_id);
ANALYZE;
