-- [0] duckdb
SELECT p.account_id, u.url AS key, p.created_at AS at, p.post_id, (p.source_file || ':' || CAST(p.source_line AS VARCHAR)) AS source, u.url AS item, (CASE p.time_precision WHEN 'minute' THEN 60.0 WHEN 'day' THEN 86400.0 ELSE 0.0 END) AS tolerance FROM post_urls AS u JOIN posts AS p ON p.post_id = u.post_id WHERE u.url IS NOT NULL AND p.repost_of IS NULL;
-- [0] spark
SELECT p.account_id, u.url AS key, p.created_at AS at, p.post_id, (p.source_file || ':' || CAST(p.source_line AS STRING)) AS source, u.url AS item, (CASE p.time_precision WHEN 'minute' THEN 60.0 WHEN 'day' THEN 86400.0 ELSE 0.0 END) AS tolerance FROM post_urls AS u JOIN posts AS p ON p.post_id = u.post_id WHERE NOT u.url IS NULL AND p.repost_of IS NULL;
