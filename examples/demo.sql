-- The embedded demo model: a small CRM table in SQLite (examples/demo.db is
-- built from this file: sqlite3 examples/demo.db < examples/demo.sql).
CREATE TABLE customers (
  email          TEXT,
  first_name     TEXT,
  last_name      TEXT,
  city           TEXT,
  birth_date     DATE,
  opted_in       BOOLEAN,
  tier           TEXT,
  lifetime_value NUMERIC
);
INSERT INTO customers VALUES
  ('ada.lovelace@example.com',   'Ada',      'Lovelace',  'London',    '1815-12-10', 1, 'gold',   1830.50),
  ('Alan.Turing@Example.com ',   'Alan',     'Turing',    'Wilmslow',  '1912-06-23', 1, 'gold',   1954.00),
  ('grace.hopper@example.com',   'Grace',    'Hopper',    'Arlington', '1906-12-09', 0, 'silver', 1992.10),
  ('edsger.dijkstra@example.com','Edsger',   'Dijkstra',  'Nuenen',    '1930-05-11', 1, 'silver', 2002.00),
  ('barbara.liskov@example.com', 'Barbara',  'Liskov',    'Boston',    '1939-11-07', 1, 'bronze', 2008.75),
  ('donald.knuth@example.com',   'Donald',   'Knuth',     'Stanford',  '1938-01-10', NULL, 'gold', 3141.59),
  ('margaret.hamilton@example.com','Margaret','Hamilton', 'Boston',    '1936-08-17', 1, 'silver', 1969.07),
  ('ken.thompson@example.com',   'Ken',      'Thompson',  'Berkeley',  '1943-02-04', 0, NULL,     1969.00),
  ('dennis.ritchie@example.com', 'Dennis',   'Ritchie',   'Murray Hill','1941-09-09', 1, 'bronze', 1972.00),
  ('frances.allen@example.com',  'Frances',  'Allen',     'Peru NY',   '1932-08-04', 1, 'gold',   2006.00),
  ('john.backus@example.com',    'John',     'Backus',    'Ashland',   '1924-12-03', 1, 'bronze', 1957.00),
  ('not-an-email',               'Broken',   'Row',       'Nowhere',   NULL,         1, 'bronze', 0),
  (NULL,                         'No',       'Email',     'Nowhere',   NULL,         1, 'bronze', 0),
  ('twin@example.com',           'Twin',     'One',       'Paris',     NULL,         1, 'bronze', 1),
  ('TWIN@example.com',           'Twin',     'Two',       'Lyon',      NULL,         1, 'bronze', 2);
