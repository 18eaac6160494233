-- orbl database schema (the truth; embedded in the programs at build time).
-- Version in PRAGMA user_version; db/migrations/NNNN_*.sql upgrade older
-- databases one step at a time.  Times are Unix seconds (UTC).
-- Addresses of listings and journal rows: net = one blob, the family
-- byte (4|6), the address (4 or 16 bytes, network order), the prefix
-- length byte (db_listing.c, net_key).  Addresses elsewhere are text.

-- Key/value settings: schema facts and zone settings imported from
-- rbldnsd files ($SOA, $NS, $TTL).
CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
) STRICT;

-- Texts that repeat on millions of rows (reasons, actors, the why of
-- journal rows), each stored once; listing and journal refer to them by
-- id.  Rows are never deleted, so an id stays valid.
CREATE TABLE str (
	id	INTEGER PRIMARY KEY,
	s	TEXT NOT NULL UNIQUE
) STRICT;

-- What the DNS zone lists now.  Removal deletes the row; the journal
-- keeps the history.  net is the key: the family (4|6), the address
-- bytes (4 or 16, network order), the prefix length; so the table's
-- order is family, address, prefix (addr_cmp), what export walks.
-- WITHOUT ROWID: the key is the row, no second B-tree for the lookup.
CREATE TABLE listing (
	net	BLOB PRIMARY KEY CHECK (length(net) IN (6, 18)),
	exclude	INTEGER NOT NULL DEFAULT 0 CHECK (exclude IN (0, 1)),
	code	INTEGER,				-- NULL = 127.0.0.2
	reason	INTEGER,				-- str.id: TXT; NULL = default
	source	TEXT NOT NULL CHECK (source IN ('probe', 'manual', 'import')),
	probe_id INTEGER REFERENCES probe(id),		-- the evidence
	actor	INTEGER NOT NULL,			-- str.id
	created	INTEGER NOT NULL,
	updated	INTEGER NOT NULL,
	expires	INTEGER					-- NULL = never
) STRICT, WITHOUT ROWID;
-- The listings that expire: the expiry sweep and the next-expiry lookup.
CREATE INDEX listing_expires ON listing (expires) WHERE expires IS NOT NULL;

-- Every change to listing, serial-numbered, written in the same
-- transaction as the change.  The zone's SOA serial is the last serial
-- handed out (sqlite_sequence), so pruning old rows never lowers it.
-- net, code, reason, actor as in listing; why is a str.id too.
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
CREATE INDEX journal_net ON journal (net);

-- A request to test a server.
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
CREATE INDEX submission_state ON submission (state, not_before);
CREATE INDEX submission_addr ON submission (addr);

-- One run of the relay test battery against one server.
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
CREATE INDEX probe_addr ON probe (addr, started);
CREATE INDEX probe_ip ON probe (ip, started);

-- One test case of a probe.
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

-- A message that reached the sink: the only proof of a relay.  At most
-- one arrival per cookie (probe, test) confirms: a replayed test mail
-- cannot list anybody twice.
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
CREATE INDEX arrival_probe ON arrival (probe_id);
CREATE UNIQUE INDEX arrival_once ON arrival (probe_id, test_id)
	WHERE confirmed = 1;

-- A server owner's request to be delisted after a repair.
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
CREATE INDEX delist_request_addr ON delist_request (addr, state);

-- Audit trail of state changes of submissions, requests and probes
-- (listing changes are in the journal): who, when, why.
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
CREATE INDEX event_addr ON event (addr, ts);

-- Work in progress: one row per address being tested, whatever started
-- the run (a submission, a delisting request, orblctl probe).  The
-- primary key makes two runs against one address impossible.  A claim is
-- a lease: a claim whose holder died is released when its lease passes
-- (or at once when the holder restarts), and its unit of work goes back
-- to the queue -- one rule for every kind of work.
CREATE TABLE claim (
	addr	TEXT PRIMARY KEY,
	kind	TEXT NOT NULL CHECK (kind IN ('submission', 'request',
		'manual')),
	ref	INTEGER NOT NULL,		-- submission/request id, 0
	owner	TEXT NOT NULL,			-- "prober", "orblctl:PID"
	taken	INTEGER NOT NULL,
	lease_until INTEGER NOT NULL
) STRICT;

-- The ports on which a probe listing's relay was proved.  A closed
-- re-test removes only the evidence of its own port; the listing goes
-- when no evidence is left.  A run on another port adds, never removes.
CREATE TABLE evidence (
	addr	TEXT NOT NULL,
	port	INTEGER NOT NULL,
	probe_id INTEGER NOT NULL REFERENCES probe(id),
	PRIMARY KEY (addr, port)
) STRICT;
