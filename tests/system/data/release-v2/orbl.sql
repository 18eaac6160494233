-- A database made by the release with schema 2 (orblctl built from the
-- tree before schema 3): init, import of a small rbldnsd file, add with a
-- reason and an expiry, add with a code, remove, submit, a probe run; then
-- sqlite3 .dump.  47-migrate.t loads it and upgrades it with orblctl init.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
) STRICT;
INSERT INTO meta VALUES('ttl','300');
CREATE TABLE listing (
	id	INTEGER PRIMARY KEY,
	family	INTEGER NOT NULL CHECK (family IN (4, 6)),
	net	BLOB NOT NULL CHECK (length(net) = 16),
	prefix	INTEGER NOT NULL CHECK (prefix BETWEEN 0 AND 128),
	cidr	TEXT NOT NULL,
	exclude	INTEGER NOT NULL DEFAULT 0 CHECK (exclude IN (0, 1)),
	code	INTEGER NOT NULL DEFAULT 2130706434,	-- 127.0.0.2
	reason	TEXT,					-- TXT; NULL = default
	source	TEXT NOT NULL CHECK (source IN ('probe', 'manual', 'import')),
	probe_id INTEGER REFERENCES probe(id),		-- the evidence
	actor	TEXT NOT NULL,
	created	INTEGER NOT NULL,
	updated	INTEGER NOT NULL,
	expires	INTEGER,				-- NULL = never
	UNIQUE (family, net, prefix)
) STRICT;
INSERT INTO listing VALUES(1,4,X'c0000200000000000000000000000000',24,'192.0.2.0/24',0,2130706434,'Listed, see $','import',NULL,'cli:root',1796611639,1796611639,NULL);
INSERT INTO listing VALUES(2,4,X'c0000207000000000000000000000000',32,'192.0.2.7',0,2130706435,'dial-up range','import',NULL,'cli:root',1796611639,1796611639,NULL);
INSERT INTO listing VALUES(3,4,X'c0000209000000000000000000000000',32,'192.0.2.9',1,2130706434,NULL,'import',NULL,'cli:root',1796611639,1796611639,NULL);
INSERT INTO listing VALUES(4,4,X'c6336401000000000000000000000000',32,'198.51.100.1',0,2130706434,'Listed, see $','import',NULL,'cli:root',1796611639,1796611639,NULL);
INSERT INTO listing VALUES(5,4,X'c6336402000000000000000000000000',31,'198.51.100.2/31',0,2130706434,'Listed, see $','import',NULL,'cli:root',1796611639,1796611639,NULL);
INSERT INTO listing VALUES(7,4,X'c6336406000000000000000000000000',32,'198.51.100.6',0,2130706434,'Listed, see $','import',NULL,'cli:root',1796611639,1796611639,NULL);
INSERT INTO listing VALUES(8,6,X'20010db8000000000000000000000000',48,'2001:db8::/48',0,2130706434,'Listed, see $','import',NULL,'cli:root',1796611639,1796611639,NULL);
INSERT INTO listing VALUES(9,4,X'cb007105000000000000000000000000',32,'203.0.113.5',0,2130706434,'spam trap hit','manual',NULL,'cli:root',1796611639,1796611639,4102444800);
INSERT INTO listing VALUES(10,4,X'cb007106000000000000000000000000',32,'203.0.113.6',0,2130706436,NULL,'manual',NULL,'cli:root',1796611639,1796611639,NULL);
CREATE TABLE journal (
	serial	INTEGER PRIMARY KEY AUTOINCREMENT,
	ts	INTEGER NOT NULL,
	op	TEXT NOT NULL CHECK (op IN ('add', 'remove')),
	family	INTEGER NOT NULL,
	net	BLOB NOT NULL,
	prefix	INTEGER NOT NULL,
	cidr	TEXT NOT NULL,
	exclude	INTEGER NOT NULL,
	code	INTEGER,
	reason	TEXT,
	source	TEXT,
	expires	INTEGER,
	actor	TEXT NOT NULL,
	why	TEXT
) STRICT;
INSERT INTO journal VALUES(1,1796611639,'add',4,X'c0000200000000000000000000000000',24,'192.0.2.0/24',0,2130706434,'Listed, see $','import',NULL,'cli:root','import mig/a.ip4set');
INSERT INTO journal VALUES(2,1796611639,'add',4,X'c0000207000000000000000000000000',32,'192.0.2.7',0,2130706435,'dial-up range','import',NULL,'cli:root','import mig/a.ip4set');
INSERT INTO journal VALUES(3,1796611639,'add',4,X'c0000209000000000000000000000000',32,'192.0.2.9',1,2130706434,NULL,'import',NULL,'cli:root','import mig/a.ip4set');
INSERT INTO journal VALUES(4,1796611639,'add',4,X'c6336401000000000000000000000000',32,'198.51.100.1',0,2130706434,'Listed, see $','import',NULL,'cli:root','import mig/a.ip4set');
INSERT INTO journal VALUES(5,1796611639,'add',4,X'c6336402000000000000000000000000',31,'198.51.100.2/31',0,2130706434,'Listed, see $','import',NULL,'cli:root','import mig/a.ip4set');
INSERT INTO journal VALUES(6,1796611639,'add',4,X'c6336404000000000000000000000000',31,'198.51.100.4/31',0,2130706434,'Listed, see $','import',NULL,'cli:root','import mig/a.ip4set');
INSERT INTO journal VALUES(7,1796611639,'add',4,X'c6336406000000000000000000000000',32,'198.51.100.6',0,2130706434,'Listed, see $','import',NULL,'cli:root','import mig/a.ip4set');
INSERT INTO journal VALUES(8,1796611639,'add',6,X'20010db8000000000000000000000000',48,'2001:db8::/48',0,2130706434,'Listed, see $','import',NULL,'cli:root','import mig/a.ip4set');
INSERT INTO journal VALUES(9,1796611639,'add',4,X'cb007105000000000000000000000000',32,'203.0.113.5',0,2130706434,'spam trap hit','manual',4102444800,'cli:root','spam trap hit');
INSERT INTO journal VALUES(10,1796611639,'add',4,X'cb007106000000000000000000000000',32,'203.0.113.6',0,2130706436,NULL,'manual',NULL,'cli:root','manual add');
INSERT INTO journal VALUES(11,1796611643,'remove',4,X'c6336404000000000000000000000000',31,'198.51.100.4/31',0,2130706434,'Listed, see $','import',NULL,'cli:root','fixed');
CREATE TABLE submission (
	id	INTEGER PRIMARY KEY,
	addr	TEXT NOT NULL,
	port	INTEGER NOT NULL DEFAULT 25,
	submitter TEXT,
	client	TEXT,				-- web client address
	state	TEXT NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'probing', 'done', 'failed')),
	created	INTEGER NOT NULL,
	updated	INTEGER NOT NULL,
	not_before INTEGER,			-- backoff (tempfail)
	tries	INTEGER NOT NULL DEFAULT 0,
	probe_id INTEGER REFERENCES probe(id),
	result	TEXT				-- verdict word
) STRICT;
INSERT INTO submission VALUES(1,'127.0.0.2',1,'tester',NULL,'queued',1796611643,1796611643,NULL,0,NULL,NULL);
CREATE TABLE probe (
	id	INTEGER PRIMARY KEY,
	addr	TEXT NOT NULL,
	port	INTEGER NOT NULL,
	submission_id INTEGER REFERENCES submission(id),
	request_id INTEGER REFERENCES delist_request(id),
	started	INTEGER NOT NULL,
	finished INTEGER,
	verdict	TEXT CHECK (verdict IN ('confirmed', 'closed', 'refused',
		'tempfail', 'accepted-not-delivered', 'bounced', 'timeout',
		'unreachable', 'protocol-error')),
	hops	TEXT CHECK (hops IN ('single-hop', 'multi-hop')),
	relayed_test INTEGER,			-- test id that got through
	output_addr TEXT,			-- where the test mail came from
	transcript TEXT,			-- bounded SMTP transcript
	ip	BLOB				-- family (4|6), then addr, 16
						-- bytes (v4: first 4): the
						-- politeness count by network
) STRICT;
INSERT INTO probe VALUES(1,'127.0.0.3',1,NULL,NULL,1796611643,1796611643,'unreachable',NULL,NULL,NULL,replace('* connection 1 to 127.0.0.3 port 1\n* connect: Connection refused (in CONNECT)\n* verdict: unreachable (connect: Connection refused)\n','\n',char(10)),X'047f000003000000000000000000000000');
CREATE TABLE probe_test (
	probe_id INTEGER NOT NULL REFERENCES probe(id) ON DELETE CASCADE,
	test_id	INTEGER NOT NULL,
	name	TEXT NOT NULL,
	mail_from TEXT,
	rcpt_to	TEXT,
	mail_reply TEXT,
	rcpt_reply TEXT,
	data_reply TEXT,
	cookie	TEXT,
	verdict	TEXT,
	arrived	INTEGER,			-- when the test mail reached the sink
	arrived_from TEXT,
	received TEXT,				-- its Received: chain
	PRIMARY KEY (probe_id, test_id)
) STRICT;
INSERT INTO probe_test VALUES(1,1,'null sender','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,2,'sender in the sink domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,3,'sender in the target''s own domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,4,'sender at the target''s IP literal','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,5,'sender in the prober''s domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,6,'unqualified sender','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,7,'sender at localhost','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,8,'sender at the loopback literal','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,9,'bang path sender via the prober''s domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,10,'bang path sender via own domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,11,'quoted recipient','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,12,'quoted percent hack','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,13,'percent hack via own domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,14,'percent hack via IP literal','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,15,'unqualified percent hack','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,16,'double at via own domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,17,'double at via IP literal','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,18,'quoted recipient via own domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,19,'quoted recipient via IP literal','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,20,'source route via own domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,21,'source route via IP literal','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,22,'bang path','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,23,'bang path via own domain','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,24,'bang path via IP literal','','','','','',NULL,'not-run',NULL,NULL,NULL);
INSERT INTO probe_test VALUES(1,25,'recipient without angle brackets','','','','','',NULL,'not-run',NULL,NULL,NULL);
CREATE TABLE arrival (
	id	INTEGER PRIMARY KEY,
	ts	INTEGER NOT NULL,
	probe_id INTEGER NOT NULL REFERENCES probe(id),
	test_id	INTEGER NOT NULL,
	peer	TEXT NOT NULL,			-- who delivered it to the sink
	mail_from TEXT NOT NULL,
	rcpt	TEXT NOT NULL,
	bounce	INTEGER NOT NULL DEFAULT 0 CHECK (bounce IN (0, 1)),
	bounce_why TEXT,
	received TEXT,				-- its Received: chain
	cookie	TEXT NOT NULL,
	confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1))
) STRICT;
CREATE TABLE delist_request (
	id	INTEGER PRIMARY KEY,
	addr	TEXT NOT NULL,
	contact	TEXT NOT NULL,
	note	TEXT,
	state	TEXT NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'retesting', 'delisted', 'refused')),
	created	INTEGER NOT NULL,
	updated	INTEGER NOT NULL,
	not_before INTEGER,
	tries	INTEGER NOT NULL DEFAULT 0,
	probe_id INTEGER REFERENCES probe(id),
	decided	INTEGER,
	decision TEXT
) STRICT;
CREATE TABLE event (
	id	INTEGER PRIMARY KEY,
	ts	INTEGER NOT NULL,
	kind	TEXT NOT NULL CHECK (kind IN ('submission', 'request', 'probe')),
	ref	INTEGER NOT NULL,
	addr	TEXT,
	actor	TEXT NOT NULL,
	what	TEXT NOT NULL,
	why	TEXT
) STRICT;
INSERT INTO event VALUES(1,1796611643,'submission',1,'127.0.0.2','cli:root','queued','tester');
INSERT INTO event VALUES(2,1796611643,'probe',1,'127.0.0.3','prober','started',NULL);
INSERT INTO event VALUES(3,1796611643,'probe',1,'127.0.0.3','prober','unreachable','connect: Connection refused');
CREATE TABLE claim (
	addr	TEXT PRIMARY KEY,
	kind	TEXT NOT NULL CHECK (kind IN ('submission', 'request',
		'manual')),
	ref	INTEGER NOT NULL,		-- submission/request id, 0
	owner	TEXT NOT NULL,			-- "prober", "orblctl:PID"
	taken	INTEGER NOT NULL,
	lease_until INTEGER NOT NULL
) STRICT;
CREATE TABLE evidence (
	addr	TEXT NOT NULL,
	port	INTEGER NOT NULL,
	probe_id INTEGER NOT NULL REFERENCES probe(id),
	PRIMARY KEY (addr, port)
) STRICT;
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('journal',11);
CREATE INDEX journal_net ON journal (net, prefix);
CREATE INDEX submission_state ON submission (state, not_before);
CREATE INDEX submission_addr ON submission (addr);
CREATE INDEX probe_addr ON probe (addr, started);
CREATE INDEX probe_ip ON probe (ip, started);
CREATE INDEX arrival_probe ON arrival (probe_id);
CREATE UNIQUE INDEX arrival_once ON arrival (probe_id, test_id)
	WHERE confirmed = 1;
CREATE INDEX delist_request_addr ON delist_request (addr, state);
CREATE INDEX event_addr ON event (addr, ts);
COMMIT;
PRAGMA user_version = 2;
