#!/usr/bin/python3
# promparse.py -- parse Prometheus text exposition from stdin with the
# reference parser (Debian's python3-prometheus-client) and print one line
# per sample: NAME{k="v",...} VALUE, labels sorted.  Exits 1 with the
# parser's error on anything it rejects.  Used by the system tests.
import sys
from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
try:
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            labels = ",".join('%s="%s"' % (k, s.labels[k])
                              for k in sorted(s.labels))
            print("%s{%s} %r" % (s.name, labels, float(s.value)))
except Exception as e:  # the parser raises ValueError and others
    print("parse error: %s" % e, file=sys.stderr)
    sys.exit(1)
