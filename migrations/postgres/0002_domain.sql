-- Catalogue and orders.

CREATE TABLE products (
    id           uuid PRIMARY KEY,
    sku          text NOT NULL UNIQUE,
    name         text NOT NULL,
    description  text NOT NULL,
    price_cents  bigint NOT NULL CHECK (price_cents >= 0),
    currency     text NOT NULL,
    stock        integer NOT NULL CHECK (stock >= 0),   -- never oversold
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE orders (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       text NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled')),
    total_cents  bigint NOT NULL,
    currency     text NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
-- Keyset pages of one owner's orders (newest first), with and without a status filter:
-- the owner leads every index, so a page costs the same however large the table grows.
CREATE INDEX orders_owner_page ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_owner_status_page ON orders (user_id, status, created_at DESC, id DESC);
-- Admin pages across owners.
CREATE INDEX orders_page ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_page ON orders (status, created_at DESC, id DESC);

-- Unit prices are copied at order time: later price changes do not rewrite history.
CREATE TABLE order_lines (
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no           integer NOT NULL,
    product_id        uuid NOT NULL REFERENCES products (id),
    sku               text NOT NULL,
    name              text NOT NULL,
    quantity          integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    unit_price_cents  bigint NOT NULL,
    line_total_cents  bigint NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
