-- [0] duckdb
CREATE OR REPLACE TEMP TABLE _cib_trace0 AS SELECT q.* FROM (SELECT 'a' AS account_id) AS q;
-- [0] spark
CREATE TEMPORARY VIEW _cib_trace0 AS SELECT q.* FROM (SELECT 'a' AS account_id) AS q;

-- [1] duckdb
CREATE OR REPLACE TEMP VIEW _cib_trace AS SELECT CAST(q.rowid AS BIGINT) AS rid, q.* FROM _cib_trace0 AS q;
-- [1] spark
CREATE OR REPLACE TEMPORARY VIEW _cib_trace AS SELECT CAST(MONOTONICALLY_INCREASING_ID() AS BIGINT) AS rid, q.* FROM _cib_trace0 AS q;

-- [2] duckdb
CREATE OR REPLACE TEMP TABLE _cib_trace1 AS SELECT q.* FROM (SELECT x.account_id, x.key, x.at, x.post_id, x.source, min(x.item) AS item, max(x.tolerance) AS tolerance FROM _cib_trace AS x GROUP BY x.account_id, x.key, x.at, x.post_id, x.source) AS q;
-- [2] spark
CREATE TEMPORARY VIEW _cib_trace1 AS SELECT q.* FROM (SELECT x.account_id, x.key, x.at, x.post_id, x.source, MIN(x.item) AS item, MAX(x.tolerance) AS tolerance FROM _cib_trace AS x GROUP BY x.account_id, x.key, x.at, x.post_id, x.source) AS q;

-- [3] duckdb
CREATE OR REPLACE TEMP VIEW _cib_trace AS SELECT CAST(q.rowid AS BIGINT) AS rid, q.* FROM _cib_trace1 AS q;
-- [3] spark
CREATE OR REPLACE TEMPORARY VIEW _cib_trace AS SELECT CAST(MONOTONICALLY_INCREASING_ID() AS BIGINT) AS rid, q.* FROM _cib_trace1 AS q;

-- [4] duckdb
CREATE OR REPLACE TEMP TABLE _cib_accplat AS SELECT m.acc_i, m.account_id, a.platform FROM _cib_accmap AS m LEFT JOIN (SELECT x.account_id, min(x.platform) AS platform FROM accounts AS x WHERE x.platform IS NOT NULL AND x.platform <> '' GROUP BY x.account_id) AS a ON a.account_id = m.account_id;
-- [4] spark
CREATE TEMPORARY VIEW _cib_accplat AS SELECT m.acc_i, m.account_id, a.platform FROM _cib_accmap AS m LEFT JOIN (SELECT x.account_id, MIN(x.platform) AS platform FROM accounts AS x WHERE NOT x.platform IS NULL AND x.platform <> '' GROUP BY x.account_id) AS a ON a.account_id = m.account_id;

-- [5] duckdb
CREATE OR REPLACE TEMP TABLE _cib_accplat AS SELECT q.acc_i, q.platform, CAST(dense_rank() OVER (ORDER BY q.platform) AS INTEGER) AS plat_i FROM (SELECT c.acc_i, coalesce(c.platform, f.platform, '') AS platform FROM _cib_accplat AS c LEFT JOIN (SELECT p.account_id, min(p.platform) AS platform FROM posts AS p WHERE p.account_id IN (SELECT u.account_id FROM _cib_accplat AS u WHERE u.platform IS NULL) GROUP BY p.account_id) AS f ON f.account_id = c.account_id) AS q;
-- [5] spark
CREATE TEMPORARY VIEW _cib_accplat AS SELECT q.acc_i, q.platform, CAST(DENSE_RANK() OVER (ORDER BY q.platform NULLS LAST) AS INT) AS plat_i FROM (SELECT c.acc_i, COALESCE(c.platform, f.platform, '') AS platform FROM _cib_accplat AS c LEFT JOIN (SELECT p.account_id, MIN(p.platform) AS platform FROM posts AS p WHERE p.account_id IN (SELECT u.account_id FROM _cib_accplat AS u WHERE u.platform IS NULL) GROUP BY p.account_id) AS f ON f.account_id = c.account_id) AS q;

-- [6] duckdb
CREATE OR REPLACE TEMP TABLE _cib_accmap AS SELECT u.account_id, CAST(row_number() OVER (ORDER BY u.account_id) AS INTEGER) AS acc_i FROM (SELECT DISTINCT x.account_id FROM _cib_trace AS x) AS u;
-- [6] spark
CREATE TEMPORARY VIEW _cib_accmap AS SELECT u.account_id, CAST(ROW_NUMBER() OVER (ORDER BY u.account_id NULLS LAST) AS INT) AS acc_i FROM (SELECT DISTINCT x.account_id FROM _cib_trace AS x) AS u;

-- [7] duckdb
CREATE OR REPLACE TEMP TABLE _cib_keymap AS SELECT u.key, u.m, CAST(row_number() OVER (ORDER BY u.key) AS INTEGER) AS key_i FROM (SELECT x.key, count(*) AS m FROM _cib_trace AS x GROUP BY x.key) AS u;
-- [7] spark
CREATE TEMPORARY VIEW _cib_keymap AS SELECT u.key, u.m, CAST(ROW_NUMBER() OVER (ORDER BY u.key NULLS LAST) AS INT) AS key_i FROM (SELECT x.key, COUNT(*) AS m FROM _cib_trace AS x GROUP BY x.key) AS u;

-- [8] duckdb
CREATE OR REPLACE TEMP TABLE _cib_acti AS WITH b AS MATERIALIZED (SELECT g.rid AS rn, km.key_i, am.acc_i, g.at, coalesce(date_diff('microsecond', TIMESTAMP '1970-01-01 00:00:00', g.at), 0) AS t, g.tolerance, km.m AS m_k, ap.plat_i FROM _cib_trace AS g JOIN _cib_accmap AS am ON am.account_id = g.account_id JOIN _cib_accplat AS ap ON ap.acc_i = am.acc_i JOIN _cib_keymap AS km ON km.key = g.key) SELECT b.rn, b.key_i, b.acc_i, b.at, b.t, b.tolerance, b.m_k, k.m_ka, b.plat_i FROM b JOIN (SELECT c.key_i, c.acc_i, count(*) AS m_ka FROM b AS c GROUP BY c.key_i, c.acc_i) AS k ON k.key_i = b.key_i AND k.acc_i = b.acc_i;
-- [8] spark
CREATE TEMPORARY VIEW _cib_acti AS WITH b AS (SELECT g.rid AS rn, km.key_i, am.acc_i, g.at, COALESCE(UNIX_MICROS(CAST(g.at AS TIMESTAMP_LTZ)) - UNIX_MICROS(CAST(CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ) AS TIMESTAMP_LTZ)), 0) AS t, g.tolerance, km.m AS m_k, ap.plat_i FROM _cib_trace AS g JOIN _cib_accmap AS am ON am.account_id = g.account_id JOIN _cib_accplat AS ap ON ap.acc_i = am.acc_i JOIN _cib_keymap AS km ON km.key = g.key) SELECT b.rn, b.key_i, b.acc_i, b.at, b.t, b.tolerance, b.m_k, k.m_ka, b.plat_i FROM b JOIN (SELECT c.key_i, c.acc_i, COUNT(*) AS m_ka FROM b AS c GROUP BY c.key_i, c.acc_i) AS k ON k.key_i = b.key_i AND k.acc_i = b.acc_i;

-- [9] duckdb
CREATE OR REPLACE TEMP VIEW _cib_act AS SELECT a.key_i, a.acc_i, a.t, a.rn, a.m_k, a.m_ka, g.account_id, g.key, g.at, g.post_id, g.source, g.item, g.tolerance FROM _cib_acti AS a JOIN _cib_trace AS g ON g.rid = a.rn;
-- [9] spark
CREATE OR REPLACE TEMPORARY VIEW _cib_act AS SELECT a.key_i, a.acc_i, a.t, a.rn, a.m_k, a.m_ka, g.account_id, g.key, g.at, g.post_id, g.source, g.item, g.tolerance FROM _cib_acti AS a JOIN _cib_trace AS g ON g.rid = a.rn;

-- [10] duckdb
CREATE OR REPLACE TEMP TABLE _cib_big AS SELECT j.rn, j.key_i, j.acc_i, j.at, j.t, j.tolerance, j.m_ka, j.plat_i, row_number() OVER (PARTITION BY j.key_i ORDER BY j.t, j.acc_i, j.post_id, j.source) AS r, count(*) OVER (PARTITION BY j.key_i) AS c_upto FROM (SELECT a.*, g.post_id, g.source FROM _cib_acti AS a JOIN _cib_trace AS g ON g.rid = a.rn WHERE a.m_k > 201) AS j;
-- [10] spark
CREATE TEMPORARY VIEW _cib_big AS SELECT j.rn, j.key_i, j.acc_i, j.at, j.t, j.tolerance, j.m_ka, j.plat_i, ROW_NUMBER() OVER (PARTITION BY j.key_i ORDER BY j.t NULLS LAST, j.acc_i NULLS LAST, j.post_id NULLS LAST, j.source NULLS LAST) AS r, COUNT(*) OVER (PARTITION BY j.key_i) AS c_upto FROM (SELECT a.*, g.post_id, g.source FROM _cib_acti AS a JOIN _cib_trace AS g ON g.rid = a.rn WHERE a.m_k > 201) AS j;

-- [11] duckdb
CREATE OR REPLACE TEMP TABLE _cib_raw AS SELECT s.key_i, s.acc_i AS a_i, o.acc_i AS b_i, s.rn AS rn_a, o.rn AS rn_b, least(s.at, o.at) AS lo_at, greatest(s.at, o.at) AS hi_at, abs(o.t - s.t) / 1000000.0 AS dt, s.m_ka = 1 AND o.m_ka = 1 AS single FROM _cib_acti AS s JOIN _cib_acti AS o ON o.key_i = s.key_i AND o.acc_i > s.acc_i WHERE s.m_k <= 201 AND s.plat_i <> o.plat_i UNION ALL SELECT s.key_i, least(s.acc_i, o.acc_i) AS a_i, greatest(s.acc_i, o.acc_i) AS b_i, CASE WHEN s.acc_i < o.acc_i THEN s.rn ELSE o.rn END AS rn_a, CASE WHEN s.acc_i < o.acc_i THEN o.rn ELSE s.rn END AS rn_b, least(s.at, o.at) AS lo_at, greatest(s.at, o.at) AS hi_at, abs(o.t - s.t) / 1000000.0 AS dt, s.m_ka = 1 AND o.m_ka = 1 AS single FROM (SELECT a.key_i, a.r, a.rn, a.acc_i, a.t, a.at, a.tolerance, a.m_ka, a.plat_i, unnest(range(1, least(a.c_upto - a.r, 200) + 1)) AS d FROM _cib_big AS a WHERE a.c_upto > a.r) AS s JOIN _cib_big AS o ON o.key_i = s.key_i AND o.r = s.r + s.d WHERE o.acc_i <> s.acc_i AND s.plat_i <> o.plat_i;
-- [11] spark
CREATE TEMPORARY VIEW _cib_raw AS SELECT s.key_i, s.acc_i AS a_i, o.acc_i AS b_i, s.rn AS rn_a, o.rn AS rn_b, LEAST(s.at, o.at) AS lo_at, GREATEST(s.at, o.at) AS hi_at, ABS(o.t - s.t) / 1000000.0 AS dt, s.m_ka = 1 AND o.m_ka = 1 AS single FROM _cib_acti AS s JOIN _cib_acti AS o ON o.key_i = s.key_i AND o.acc_i > s.acc_i WHERE s.m_k <= 201 AND s.plat_i <> o.plat_i UNION ALL SELECT s.key_i, LEAST(s.acc_i, o.acc_i) AS a_i, GREATEST(s.acc_i, o.acc_i) AS b_i, CASE WHEN s.acc_i < o.acc_i THEN s.rn ELSE o.rn END AS rn_a, CASE WHEN s.acc_i < o.acc_i THEN o.rn ELSE s.rn END AS rn_b, LEAST(s.at, o.at) AS lo_at, GREATEST(s.at, o.at) AS hi_at, ABS(o.t - s.t) / 1000000.0 AS dt, s.m_ka = 1 AND o.m_ka = 1 AS single FROM (SELECT a.key_i, a.r, a.rn, a.acc_i, a.t, a.at, a.tolerance, a.m_ka, a.plat_i, EXPLODE(IF((LEAST(a.c_upto - a.r, 200) + 1 - 1) < 1, ARRAY(), SEQUENCE(1, (LEAST(a.c_upto - a.r, 200) + 1 - 1)))) AS d FROM _cib_big AS a WHERE a.c_upto > a.r) AS s JOIN _cib_big AS o ON o.key_i = s.key_i AND o.r = s.r + s.d WHERE o.acc_i <> s.acc_i AND s.plat_i <> o.plat_i;

-- [12] duckdb
CREATE OR REPLACE TEMP VIEW _cib_pairkey AS SELECT r.a_i, r.b_i, r.key_i, r.lo_at AS first_at, r.hi_at AS last_at, 1 AS n_a, 1 AS n_b, r.dt AS min_dt FROM _cib_raw AS r WHERE r.single UNION ALL SELECT r.a_i, r.b_i, r.key_i, min(r.lo_at) AS first_at, max(r.hi_at) AS last_at, count(DISTINCT r.rn_a) AS n_a, count(DISTINCT r.rn_b) AS n_b, min(r.dt) AS min_dt FROM _cib_raw AS r WHERE NOT r.single GROUP BY r.a_i, r.b_i, r.key_i;
-- [12] spark
CREATE OR REPLACE TEMPORARY VIEW _cib_pairkey AS SELECT r.a_i, r.b_i, r.key_i, r.lo_at AS first_at, r.hi_at AS last_at, 1 AS n_a, 1 AS n_b, r.dt AS min_dt FROM _cib_raw AS r WHERE r.single UNION ALL SELECT r.a_i, r.b_i, r.key_i, MIN(r.lo_at) AS first_at, MAX(r.hi_at) AS last_at, COUNT(DISTINCT r.rn_a) AS n_a, COUNT(DISTINCT r.rn_b) AS n_b, MIN(r.dt) AS min_dt FROM _cib_raw AS r WHERE NOT r.single GROUP BY r.a_i, r.b_i, r.key_i;

-- [13] duckdb
WITH s AS MATERIALIZED (SELECT y.a_i, y.b_i, y.o, y.dt, y.rk0, y.rn0, pa.post_id AS post_a, pb.post_id AS post_b, pa.at AS at_a, pb.at AS at_b, coalesce(pa.item, pb.item, pa.key) AS item, pa.source AS source_a, pb.source AS source_b, pa.key AS key, greatest(pa.tolerance, pb.tolerance) AS tol FROM (SELECT r.a_i, r.b_i, k.o, r.dt, r.lo_at, r.key_i, r.rn_a, r.rn_b, rank() OVER w AS rk0, row_number() OVER w AS rn0 FROM _cib_raw AS r JOIN (SELECT e.a_i, e.b_i, e.ev_tau, row_number() OVER (ORDER BY e.a_i, e.b_i) AS o FROM _cib_edges AS e WHERE e.kept) AS k ON k.a_i = r.a_i AND k.b_i = r.b_i WHERE k.ev_tau IS NULL OR r.dt <= k.ev_tau WINDOW w AS (PARTITION BY r.a_i, r.b_i ORDER BY r.dt, r.lo_at, r.key_i)) AS y JOIN _cib_trace AS pa ON pa.rid = y.rn_a JOIN _cib_trace AS pb ON pb.rid = y.rn_b WHERE y.rk0 <= 10) SELECT x.a_i, x.b_i, x.rk, (x.o - 1) * 10 + x.rk AS eid, ma.account_id AS account_a, mb.account_id AS account_b, x.post_a, x.post_b, x.at_a, x.at_b, x.dt AS seconds_apart, x.item, x.source_a, x.source_b, x.key, (CASE WHEN x.tol >= 86400 THEN 'day' WHEN x.tol >= 60 THEN 'minute' ELSE 'second' END) AS precision FROM (SELECT s.a_i, s.b_i, s.o, s.dt, s.post_a, s.post_b, s.at_a, s.at_b, s.item, s.source_a, s.source_b, s.key, s.tol, s.rk0 AS rk FROM s ANTI JOIN (SELECT t.a_i, t.b_i, t.rk0 FROM s AS t WHERE t.rn0 <> t.rk0 GROUP BY t.a_i, t.b_i, t.rk0) AS g ON g.a_i = s.a_i AND g.b_i = s.b_i AND g.rk0 = s.rk0 UNION ALL SELECT s.a_i, s.b_i, s.o, s.dt, s.post_a, s.post_b, s.at_a, s.at_b, s.item, s.source_a, s.source_b, s.key, s.tol, s.rk0 - 1 + row_number() OVER (PARTITION BY s.a_i, s.b_i, s.rk0 ORDER BY s.post_a, s.post_b, s.source_a, s.source_b) AS rk FROM s SEMI JOIN (SELECT t.a_i, t.b_i, t.rk0 FROM s AS t WHERE t.rn0 <> t.rk0 GROUP BY t.a_i, t.b_i, t.rk0) AS g ON g.a_i = s.a_i AND g.b_i = s.b_i AND g.rk0 = s.rk0) AS x JOIN _cib_accmap AS ma ON ma.acc_i = x.a_i JOIN _cib_accmap AS mb ON mb.acc_i = x.b_i WHERE x.rk <= 10;
-- [13] spark
WITH s AS (SELECT y.a_i, y.b_i, y.o, y.dt, y.rk0, y.rn0, pa.post_id AS post_a, pb.post_id AS post_b, pa.at AS at_a, pb.at AS at_b, COALESCE(pa.item, pb.item, pa.key) AS item, pa.source AS source_a, pb.source AS source_b, pa.key AS key, GREATEST(pa.tolerance, pb.tolerance) AS tol FROM (SELECT r.a_i, r.b_i, k.o, r.dt, r.lo_at, r.key_i, r.rn_a, r.rn_b, RANK() OVER w AS rk0, ROW_NUMBER() OVER w AS rn0 FROM _cib_raw AS r JOIN (SELECT e.a_i, e.b_i, e.ev_tau, ROW_NUMBER() OVER (ORDER BY e.a_i NULLS LAST, e.b_i NULLS LAST) AS o FROM _cib_edges AS e WHERE e.kept) AS k ON k.a_i = r.a_i AND k.b_i = r.b_i WHERE k.ev_tau IS NULL OR r.dt <= k.ev_tau WINDOW w AS (PARTITION BY r.a_i, r.b_i ORDER BY r.dt NULLS LAST, r.lo_at NULLS LAST, r.key_i NULLS LAST)) AS y JOIN _cib_trace AS pa ON pa.rid = y.rn_a JOIN _cib_trace AS pb ON pb.rid = y.rn_b WHERE y.rk0 <= 10) SELECT x.a_i, x.b_i, x.rk, (x.o - 1) * 10 + x.rk AS eid, ma.account_id AS account_a, mb.account_id AS account_b, x.post_a, x.post_b, x.at_a, x.at_b, x.dt AS seconds_apart, x.item, x.source_a, x.source_b, x.key, (CASE WHEN x.tol >= 86400 THEN 'day' WHEN x.tol >= 60 THEN 'minute' ELSE 'second' END) AS precision FROM (SELECT s.a_i, s.b_i, s.o, s.dt, s.post_a, s.post_b, s.at_a, s.at_b, s.item, s.source_a, s.source_b, s.key, s.tol, s.rk0 AS rk FROM s ANTI JOIN (SELECT t.a_i, t.b_i, t.rk0 FROM s AS t WHERE t.rn0 <> t.rk0 GROUP BY t.a_i, t.b_i, t.rk0) AS g ON g.a_i = s.a_i AND g.b_i = s.b_i AND g.rk0 = s.rk0 UNION ALL SELECT s.a_i, s.b_i, s.o, s.dt, s.post_a, s.post_b, s.at_a, s.at_b, s.item, s.source_a, s.source_b, s.key, s.tol, s.rk0 - 1 + ROW_NUMBER() OVER (PARTITION BY s.a_i, s.b_i, s.rk0 ORDER BY s.post_a NULLS LAST, s.post_b NULLS LAST, s.source_a NULLS LAST, s.source_b NULLS LAST) AS rk FROM s SEMI JOIN (SELECT t.a_i, t.b_i, t.rk0 FROM s AS t WHERE t.rn0 <> t.rk0 GROUP BY t.a_i, t.b_i, t.rk0) AS g ON g.a_i = s.a_i AND g.b_i = s.b_i AND g.rk0 = s.rk0) AS x JOIN _cib_accmap AS ma ON ma.acc_i = x.a_i JOIN _cib_accmap AS mb ON mb.acc_i = x.b_i WHERE x.rk <= 10;
