-- [0] duckdb
SELECT p.account_id, p.quote_of AS key, p.created_at AS at, p.post_id, (p.source_file || ':' || CAST(p.source_line AS VARCHAR)) AS source, p.quote_of AS item, (CASE p.time_precision WHEN 'minute' THEN 60.0 WHEN 'day' THEN 86400.0 ELSE 0.0 END) AS tolerance FROM posts AS p WHERE p.quote_of IS NOT NULL;
-- [0] spark
SELECT p.account_id, p.quote_of AS key, p.created_at AS at, p.post_id, (p.source_file || ':' || CAST(p.source_line AS STRING)) AS source, p.quote_of AS item, (CASE p.time_precision WHEN 'minute' THEN 60.0 WHEN 'day' THEN 86400.0 ELSE 0.0 END) AS tolerance FROM posts AS p WHERE NOT p.quote_of IS NULL;
