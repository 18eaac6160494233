-- Schema 3: compact listings and journal (issue #15).  The address is one
-- key blob (orbl_net(): family, address bytes, prefix; the function is the
-- db layer's, registered on every connection) instead of family, 16-byte
-- net, prefix and cidr text; repeated texts (reasons, actors, whys) are
-- stored once in str; the default code is NULL; listing is WITHOUT ROWID.
-- Every row and the journal's serial sequence carry over.
CREATE TABLE str (
	id	INTEGER PRIMARY KEY,
	s	TEXT NOT NULL UNIQUE
) STRICT;
INSERT OR IGNORE INTO str (s)
	SELECT reason FROM listing WHERE reason IS NOT NULL
	UNION SELECT actor FROM listing
	UNION SELECT reason FROM journal WHERE reason IS NOT NULL
	UNION SELECT actor FROM journal
	UNION SELECT why FROM journal WHERE why IS NOT NULL;

ALTER TABLE listing RENAME TO listing_v2;
CREATE TABLE listing (
	net	BLOB PRIMARY KEY CHECK (length(net) IN (6, 18)),
	exclude	INTEGER NOT NULL DEFAULT 0 CHECK (exclude IN (0, 1)),
	code	INTEGER,
	reason	INTEGER,
	source	TEXT NOT NULL CHECK (source IN ('probe', 'manual', 'import')),
	probe_id INTEGER REFERENCES probe(id),
	actor	INTEGER NOT NULL,
	created	INTEGER NOT NULL,
	updated	INTEGER NOT NULL,
	expires	INTEGER
) STRICT, WITHOUT ROWID;
INSERT INTO listing (net, exclude, code, reason, source, probe_id, actor,
	created, updated, expires)
	SELECT orbl_net(l.family, l.net, l.prefix), l.exclude,
	nullif(l.code, 2130706434), r.id, l.source, l.probe_id, a.id,
	l.created, l.updated, l.expires
	FROM listing_v2 l LEFT JOIN str r ON r.s = l.reason
	JOIN str a ON a.s = l.actor
	ORDER BY l.family, l.net, l.prefix;
DROP TABLE listing_v2;

-- The sequence row follows the rename; it is copied back below so that
-- pruned serials are never handed out again.
ALTER TABLE journal RENAME TO journal_v2;
DROP INDEX journal_net;
CREATE TABLE journal (
	serial	INTEGER PRIMARY KEY AUTOINCREMENT,
	ts	INTEGER NOT NULL,
	op	TEXT NOT NULL CHECK (op IN ('add', 'remove')),
	net	BLOB NOT NULL,
	exclude	INTEGER NOT NULL,
	code	INTEGER,
	reason	INTEGER,
	source	TEXT,
	expires	INTEGER,
	actor	INTEGER NOT NULL,
	why	INTEGER
) STRICT;
INSERT INTO journal (serial, ts, op, net, exclude, code, reason, source,
	expires, actor, why)
	SELECT j.serial, j.ts, j.op, orbl_net(j.family, j.net, j.prefix),
	j.exclude, nullif(j.code, 2130706434), r.id, j.source, j.expires,
	a.id, w.id
	FROM journal_v2 j LEFT JOIN str r ON r.s = j.reason
	JOIN str a ON a.s = j.actor LEFT JOIN str w ON w.s = j.why
	ORDER BY j.serial;
DELETE FROM sqlite_sequence WHERE name = 'journal';
UPDATE sqlite_sequence SET name = 'journal' WHERE name = 'journal_v2';
DROP TABLE journal_v2;
CREATE INDEX journal_net ON journal (net);
