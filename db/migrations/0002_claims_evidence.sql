-- Schema 2: claims as leases (one run per address, crash recovery by one
-- rule), the ports of each probe listing's evidence, the politeness count
-- by network (probe.ip).
ALTER TABLE probe ADD COLUMN ip BLOB;
CREATE INDEX probe_ip ON probe (ip, started);
CREATE TABLE claim (
	addr	TEXT PRIMARY KEY,
	kind	TEXT NOT NULL CHECK (kind IN ('submission', 'request',
		'manual')),
	ref	INTEGER NOT NULL,
	owner	TEXT NOT NULL,
	taken	INTEGER NOT NULL,
	lease_until INTEGER NOT NULL
) STRICT;
CREATE TABLE evidence (
	addr	TEXT NOT NULL,
	port	INTEGER NOT NULL,
	probe_id INTEGER NOT NULL REFERENCES probe(id),
	PRIMARY KEY (addr, port)
) STRICT;
-- Probe listings keep the port of the run that proved them.
INSERT OR IGNORE INTO evidence (addr, port, probe_id)
	SELECT l.cidr, p.port, p.id FROM listing l JOIN probe p
	ON p.id = l.probe_id WHERE l.source = 'probe' AND l.exclude = 0;
-- Work claimed by the old rule ('probing', 'retesting') is claimed by
-- nobody now: back to the queue.
UPDATE submission SET state = 'queued' WHERE state = 'probing';
UPDATE delist_request SET state = 'pending' WHERE state = 'retesting';
