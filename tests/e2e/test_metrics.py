"""Operations end to end: /metrics, /health/*, promtool, a real Prometheus, the dashboard.

The server's admin listener (`server.admin_endpoint`) is scraped the way Prometheus does it;
S3 traffic through boto3 must move the series it should, by the amounts it should. Metric
names are an interface (docs/OPERATIONS.md), so the checks name them literally.

Needs promtool and prometheus (Debian's `prometheus` package; tools/bootstrap.sh --test).
Counters are updated after a response is sent, so every check that follows traffic polls the
scrape with a deadline instead of reading it once.
Run: python3 -m unittest -v test_metrics.py (STRATA_BIN=...).
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.parse
import urllib.request

import strata_harness as h
from strata_harness import KiB, MiB

DASHBOARD = os.path.join(h.REPO_ROOT, 'tools', 'grafana', 'strata-dashboard.json')
# STANDARD objects go to the hot pool; the default topology has a cold pool beside it.
DRIVE_NAMES = [f'hot/drive{n}' for n in range(1, h.DRIVES + 1)]
DEADLINE = 30.0  # seconds to wait for a counter to catch up with a finished request
PROMETHEUS_DEADLINE = 90.0

SAMPLE_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')
METRIC_IN_EXPR = re.compile(r'\b((?:strata|process)_[a-zA-Z0-9_]+)')


# -- the text format ----------------------------------------------------------------------------

class Scrape:
    """A parsed /metrics body: samples as (name, {label: value}, float), plus HELP/TYPE lines."""

    def __init__(self, text):
        self.text = text
        self.samples = []
        self.help = {}   # family -> count of HELP lines
        self.types = {}  # family -> type (the last TYPE line); counts in type_lines
        self.type_lines = {}
        for line in text.splitlines():
            if line.startswith('# HELP '):
                name = line.split(' ', 3)[2]
                self.help[name] = self.help.get(name, 0) + 1
            elif line.startswith('# TYPE '):
                _, _, name, kind = line.split(' ', 3)
                self.types[name] = kind
                self.type_lines[name] = self.type_lines.get(name, 0) + 1
            elif line and not line.startswith('#'):
                m = SAMPLE_LINE.match(line)
                if not m:
                    raise AssertionError(f'unparsable sample line: {line!r}')
                labels = {}
                if m.group(3):
                    consumed = 0
                    for pair in LABEL_PAIR.finditer(m.group(3)):
                        labels[pair.group(1)] = unescape(pair.group(2))
                        consumed = pair.end()
                    if consumed != len(m.group(3)):
                        raise AssertionError(f'bad labels in {line!r}')
                self.samples.append((m.group(1), labels, float(m.group(4))))

    def names(self):
        """Every sample name, plus the names a declared family may show (a family with
        labels has no sample before its first event, but its TYPE line is there)."""
        out = {name for name, _, _ in self.samples}
        for family, kind in self.types.items():
            out.add(family)
            if kind == 'histogram':
                out.update(family + suffix for suffix in ('_bucket', '_sum', '_count'))
        return out

    def select(self, name, **labels):
        return [(lbl, v) for n, lbl, v in self.samples
                if n == name and all(lbl.get(k) == v2 for k, v2 in labels.items())]

    def value(self, name, **labels):
        """The one sample matching; 0 when there is none (a child not created yet)."""
        found = self.select(name, **labels)
        if len(found) > 1:
            raise AssertionError(f'{name}{labels} matches {len(found)} series')
        return found[0][1] if found else 0.0

    def total(self, name, **labels):
        return sum(v for _, v in self.select(name, **labels))


def unescape(value):
    return re.sub(r'\\(.)', lambda m: {'n': '\n'}.get(m.group(1), m.group(1)), value)


def http_get(url, timeout=30):
    """(status, body bytes) of a plain GET; HTTP errors are answers, not exceptions."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def scrape(server):
    status, body = http_get(server.admin_endpoint + '/metrics')
    if status != 200:
        raise AssertionError(f'/metrics answered {status}: {body[:300]!r}')
    return Scrape(body.decode('utf-8'))


def wait_scrape(server, predicate, what, timeout=DEADLINE):
    """Scrapes until predicate(scrape) holds (deadline); returns that scrape."""
    last = [None]

    def ok():
        last[0] = scrape(server)
        return predicate(last[0])
    try:
        h.wait_for(ok, timeout, what)
    except AssertionError as e:
        raise AssertionError(f'{e}\nlast scrape:\n{last[0].text if last[0] else "-"}') from None
    return last[0]


def promtool_check(testcase, text):
    promtool = shutil.which('promtool')
    if promtool is None:
        testcase.fail('promtool is not installed (tools/bootstrap.sh --test installs prometheus)')
    result = subprocess.run([promtool, 'check', 'metrics'], input=text, capture_output=True,
                            text=True, timeout=60)
    testcase.assertEqual(result.returncode, 0,
                         f'promtool check metrics failed:\n{result.stdout}{result.stderr}')
    testcase.assertEqual((result.stdout + result.stderr).strip(), '',
                         'promtool has lint complaints')


def family_of(sample_name, types):
    """The family a sample belongs to: histogram samples carry a _bucket/_sum/_count suffix."""
    base = re.sub(r'_(bucket|sum|count)$', '', sample_name)
    return base if types.get(base) == 'histogram' else sample_name


def free_port():
    """A loopback port free right now (Prometheus takes no port 0 and cannot report one)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dashboard_exprs(dashboard):
    """Every PromQL expression of the dashboard: panel targets (rows included) and variables."""
    exprs = []

    def walk(panels):
        for panel in panels:
            for target in panel.get('targets', []):
                if target.get('expr'):
                    exprs.append(target['expr'])
            walk(panel.get('panels', []))
    walk(dashboard.get('panels', []))
    for var in dashboard.get('templating', {}).get('list', []):
        query = var.get('query')
        if isinstance(query, dict):
            query = query.get('query')
        if var.get('type') == 'query' and query:
            exprs.append(query)
    return exprs


# -- the tests ----------------------------------------------------------------------------------

class MetricsTest(h.StrataTestCase):
    """One server for the class; each test measures what its own traffic changed."""

    SIZES = [1 * KiB, 100 * KiB, 300 * KiB, 1 * MiB + 5, 5 * MiB // 2]  # 2 inline, 3 coded

    def traffic(self, prefix):
        """PUTs and GETs every size, then a GET and a HEAD of a missing key; returns the bucket."""
        bucket = self.new_bucket(prefix)
        for i, size in enumerate(self.SIZES):
            data = h.random_bytes(size)
            self.s3.put_object(Bucket=bucket, Key=f'obj/{i}', Body=data)
            self.assertEqual(self.get_bytes(bucket, f'obj/{i}'), data)
        self.assertS3Error('NoSuchKey', 404, self.s3.get_object, Bucket=bucket, Key='missing')
        self.assertS3Error('404', 404, self.s3.head_object, Bucket=bucket, Key='missing')
        return bucket

    def settled(self, before, puts, heads_404):
        """A predicate: the request counters show this test's requests, and none is in flight.

        traffic() ends with the HEAD on the same connection, so once it is counted so is
        everything before it.
        """
        def check(s):
            return (s.value('strata_s3_requests_total', api='PutObject', code='200')
                    >= before.value('strata_s3_requests_total', api='PutObject', code='200')
                    + puts
                    and s.value('strata_s3_requests_total', api='HeadObject', code='404')
                    >= before.value('strata_s3_requests_total', api='HeadObject', code='404')
                    + heads_404
                    and s.value('strata_s3_requests_in_flight') == 0)
        return check

    def test_health_endpoints(self):
        status, body = http_get(self.server.admin_endpoint + '/health/live')
        self.assertEqual(status, 200, body)
        status, body = http_get(self.server.admin_endpoint + '/health/ready')
        self.assertEqual(status, 200, body)
        ready = json.loads(body)
        self.assertEqual(ready['status'], 'ready')
        self.assertEqual(ready['drives_online'], ready['drives_total'])
        self.assertGreaterEqual(ready['drives_total'], h.DRIVES)
        # Operator routes stay off the S3 listener.
        status, _ = http_get(self.server.endpoint + '/metrics')
        self.assertNotEqual(status, 200)

    def test_s3_traffic_moves_the_series(self):
        before = scrape(self.server)
        self.traffic('met')
        after = wait_scrape(self.server, self.settled(before, len(self.SIZES), 1),
                            'request counters to count this test')

        def delta(name, **labels):
            return after.total(name, **labels) - before.total(name, **labels)

        n = len(self.SIZES)
        self.assertGreaterEqual(delta('strata_s3_requests_total', api='PutObject', code='200'), n)
        self.assertGreaterEqual(delta('strata_s3_requests_total', api='GetObject', code='200'), n)
        self.assertGreaterEqual(delta('strata_s3_requests_total', api='CreateBucket', code='200'),
                                1)
        # NoSuchKey is a 404 of GetObject, not a 200 and not a 5xx.
        self.assertEqual(delta('strata_s3_requests_total', api='GetObject', code='404'), 1)
        five_xx = sum(v for lbl, v in after.select('strata_s3_requests_total')
                      if lbl['code'].startswith('5'))
        self.assertEqual(five_xx, 0)
        self.assertGreaterEqual(delta('strata_s3_received_bytes_total'), sum(self.SIZES))
        self.assertGreaterEqual(delta('strata_s3_sent_bytes_total'), sum(self.SIZES))
        # The latency histogram of PutObject counted each PUT; +Inf == _count.
        put_count = after.value('strata_s3_request_duration_seconds_count', api='PutObject')
        self.assertGreaterEqual(put_count - before.value(
            'strata_s3_request_duration_seconds_count', api='PutObject'), n)
        self.assertEqual(after.value('strata_s3_request_duration_seconds_bucket', api='PutObject',
                                     le='+Inf'), put_count)
        self.assertGreater(after.value('strata_s3_request_duration_seconds_sum', api='PutObject'),
                           0)

        # Drives: six, online, each wrote shards of the three coded objects and their records.
        online = {lbl['drive']: v for lbl, v in after.select('strata_drive_online', pool='hot')}
        self.assertEqual(online, {d: 1.0 for d in DRIVE_NAMES})
        self.assertEqual({v for _, v in after.select('strata_drive_online')}, {1.0})
        coded = [s for s in self.SIZES if s > h.INLINE_LIMIT]
        inline = [s for s in self.SIZES if s <= h.INLINE_LIMIT]
        op = 'strata_drive_op_duration_seconds_count'
        for drive in DRIVE_NAMES:
            with self.subTest(drive=drive):
                self.assertGreaterEqual(delta(op, drive=drive, op='create_shard'), len(coded))
                self.assertGreaterEqual(delta(op, drive=drive, op='append'), len(coded))
                self.assertGreaterEqual(delta(op, drive=drive, op='commit'), len(coded))
                self.assertGreaterEqual(delta(op, drive=drive, op='apply'), n)
                self.assertGreaterEqual(delta('strata_index_commits_total', drive=drive), n)
                self.assertGreater(after.value('strata_drive_capacity_bytes', drive=drive), 0)
                self.assertGreater(after.value('strata_drive_used_bytes', drive=drive), 0)
        # GETs read the k data shards of each stripe (inline ones from the records).
        self.assertGreaterEqual(delta(op, op='read_shard'), h.DATA_SHARDS * len(coded))
        self.assertGreaterEqual(delta(op, op='read_inline'), h.DATA_SHARDS * len(inline))
        self.assertGreater(delta(op, op='index_read'), 0)
        self.assertEqual(after.total('strata_drive_errors_total'), 0)

        # Erasure work: every byte coded once on PUT and verified once on GET, nothing rebuilt.
        self.assertEqual(delta('strata_erasure_encoded_bytes_total'), sum(self.SIZES))
        self.assertEqual(delta('strata_erasure_decoded_bytes_total'), sum(self.SIZES))
        stripes = delta('strata_erasure_encoded_stripes_total')
        self.assertGreaterEqual(stripes, n + 2)  # 1 MiB + 5 and 2.5 MiB span several stripes
        self.assertEqual(delta('strata_erasure_decoded_stripes_total'), stripes)
        self.assertEqual(delta('strata_erasure_reconstructed_stripes_total'), 0)
        self.assertEqual(after.value('strata_quorum_failures_total'), 0)
        self.assertGreater(after.value('process_resident_memory_bytes'), 0)
        self.assertEqual(after.value('strata_build_info', version=after.select(
            'strata_build_info')[0][0]['version']), 1)

    def test_exposition_follows_the_text_format(self):
        self.traffic('fmt')
        s = wait_scrape(self.server,
                        lambda s: s.value('strata_s3_request_duration_seconds_count',
                                          api='GetObject') > 0, 'a GetObject latency series')
        promtool_check(self, s.text)
        families = set(s.types)
        for family in families:
            with self.subTest(family=family):
                self.assertEqual(s.help.get(family), 1, 'HELP once per family')
                self.assertEqual(s.type_lines[family], 1, 'TYPE once per family')
                if s.types[family] == 'counter':
                    self.assertTrue(family.endswith('_total'), 'counters end in _total')
        seen = set()
        for name, labels, _ in s.samples:
            self.assertIn(family_of(name, s.types), families, f'{name} has no TYPE line')
            key = (name, tuple(sorted(labels.items())))
            self.assertNotIn(key, seen, f'duplicate series {key}')
            seen.add(key)
        # Histograms: cumulative buckets ending in +Inf == _count, and a _sum.
        for family in (f for f in families if s.types[f] == 'histogram'):
            series = {}
            for labels, v in s.select(family + '_bucket'):
                rest = tuple(sorted((k, x) for k, x in labels.items() if k != 'le'))
                series.setdefault(rest, []).append((float(labels['le']), v))
            self.assertTrue(series, f'{family}: no buckets after traffic')
            for rest, buckets in series.items():
                with self.subTest(histogram=family, labels=rest):
                    les = [le for le, _ in buckets]
                    self.assertEqual(les, sorted(les), 'buckets in increasing le order')
                    self.assertEqual(les[-1], float('inf'), 'the last bucket is +Inf')
                    counts = [v for _, v in buckets]
                    self.assertEqual(counts, sorted(counts), 'buckets are cumulative')
                    labels = dict(rest)
                    self.assertEqual(s.value(family + '_count', **labels), counts[-1])
                    self.assertEqual(len(s.select(family + '_sum', **labels)), 1)

    def test_dashboard_uses_only_live_metrics(self):
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        self.assertGreaterEqual(dashboard.get('schemaVersion', 0), 36, 'Grafana 9+ schema')
        variables = {v['name']: v for v in dashboard['templating']['list']}
        datasource_vars = [v for v in variables.values() if v['type'] == 'datasource']
        self.assertEqual(len(datasource_vars), 1)
        self.assertEqual(datasource_vars[0]['query'], 'prometheus')
        ds_ref = '${' + datasource_vars[0]['name'] + '}'
        exprs = dashboard_exprs(dashboard)
        self.assertGreaterEqual(len(exprs), 20)

        def panels(ps):
            for p in ps:
                yield p
                yield from panels(p.get('panels', []))
        for panel in panels(dashboard['panels']):
            if panel.get('type') == 'row':
                continue
            with self.subTest(panel=panel.get('title')):
                self.assertTrue(panel.get('targets'), 'a panel without queries')
                self.assertEqual(panel['datasource']['uid'], ds_ref)

        used = {m for e in exprs for m in METRIC_IN_EXPR.findall(e)}
        self.traffic('dash')
        s = wait_scrape(self.server,
                        lambda s: s.value('strata_s3_request_duration_seconds_count',
                                          api='PutObject') > 0, 'a PutObject latency series')
        live = s.names()
        self.assertEqual(sorted(used - live), [], 'dashboard metrics missing from /metrics')
        # And the dashboard shows what the issue asks for.
        for needed in ['strata_s3_requests_total', 'strata_s3_request_duration_seconds_bucket',
                       'strata_s3_received_bytes_total', 'strata_s3_sent_bytes_total',
                       'strata_s3_requests_in_flight', 'strata_drive_online',
                       'strata_drive_capacity_bytes', 'strata_drive_used_bytes',
                       'strata_drive_op_duration_seconds_bucket', 'strata_drive_errors_total',
                       'strata_erasure_reconstructed_stripes_total',
                       'strata_erasure_corrupt_shards_total',
                       'strata_erasure_missing_shards_total', 'strata_quorum_failures_total',
                       'strata_rocksdb_stall_seconds_total',
                       'strata_rocksdb_compaction_write_bytes_total',
                       'process_resident_memory_bytes', 'process_cpu_seconds_total']:
            self.assertIn(needed, used)

    def test_real_prometheus_scrapes_the_admin_listener(self):
        prometheus = shutil.which('prometheus')
        if prometheus is None:
            self.fail('prometheus is not installed (tools/bootstrap.sh --test)')
        self.traffic('prom')
        root = tempfile.mkdtemp(prefix='prom-', dir=self.work_dir)
        target = urllib.parse.urlsplit(self.server.admin_endpoint).netloc
        config = os.path.join(root, 'prometheus.yml')
        with open(config, 'w') as f:
            f.write('global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n'
                    'scrape_configs:\n  - job_name: strata\n    metrics_path: /metrics\n'
                    f'    static_configs:\n      - targets: ["{target}"]\n')
        port = free_port()
        api = f'http://127.0.0.1:{port}'
        log_path = os.path.join(root, 'prometheus.log')
        with open(log_path, 'wb') as log:
            proc = subprocess.Popen(
                [prometheus, f'--config.file={config}',
                 f'--storage.tsdb.path={os.path.join(root, "tsdb")}',
                 f'--web.listen-address=127.0.0.1:{port}'],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.addCleanup(stop_process, proc)

        def query(promql):
            url = f'{api}/api/v1/query?' + urllib.parse.urlencode({'query': promql})
            try:
                status, body = http_get(url, timeout=10)
            except OSError:  # not listening yet
                return []
            if status != 200:
                return []
            reply = json.loads(body)
            return reply['data']['result'] if reply.get('status') == 'success' else []

        def seen(promql, count=1):
            def check():
                if proc.poll() is not None:
                    with open(log_path, 'rb') as f:
                        raise AssertionError('prometheus exited:\n' + f.read()[-3000:].decode())
                return len(query(promql)) >= count
            return check
        try:
            h.wait_for(seen('up{job="strata"} == 1'), PROMETHEUS_DEADLINE,
                       'prometheus to scrape the admin listener')
            h.wait_for(seen('strata_s3_requests_total{api="PutObject",code="200"}'),
                       PROMETHEUS_DEADLINE, 'strata_s3_requests_total in prometheus')
            h.wait_for(seen('strata_drive_online == 1', count=h.DRIVES), PROMETHEUS_DEADLINE,
                       'six online drives in prometheus')
            h.wait_for(seen('strata_drive_op_duration_seconds_count{op="append"} > 0'),
                       PROMETHEUS_DEADLINE, 'drive op histograms in prometheus')
        except AssertionError:
            with open(log_path, 'rb') as f:
                print(f.read()[-3000:].decode(errors='replace'))
            raise
        # Prometheus parsed the whole exposition: no scrape error on the target.
        status, body = http_get(f'{api}/api/v1/targets')
        self.assertEqual(status, 200)
        targets = json.loads(body)['data']['activeTargets']
        self.assertEqual([t['health'] for t in targets], ['up'])
        self.assertEqual(targets[0]['lastError'], '')


def stop_process(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


class NotReadyTest(h.StrataTestCase):
    """Three of six drives gone at start: no write quorum, so not ready; still live."""

    GONE = (2, 4, 6)

    def test_ready_is_503_without_write_quorum(self):
        bucket = self.new_bucket('nq')
        self.server.stop()
        for n in self.GONE:
            shutil.rmtree(self.server.drive_dir(n))
        self.server.start()
        self.refresh_client()

        status, body = http_get(self.server.admin_endpoint + '/health/ready')
        self.assertEqual(status, 503, body)
        ready = json.loads(body)
        self.assertEqual(ready['status'], 'not ready')
        self.assertEqual(ready['drives_total'] - ready['drives_online'], len(self.GONE))
        status, _ = http_get(self.server.admin_endpoint + '/health/live')
        self.assertEqual(status, 200)

        s = scrape(self.server)
        online = s.select('strata_drive_online', pool='hot')
        self.assertEqual(len(online), h.DRIVES)
        up = sorted(lbl['drive'] for lbl, v in online if v == 1)
        self.assertEqual(up, [f'hot/drive{n}' for n in range(1, h.DRIVES + 1)
                              if n not in self.GONE])
        self.assertEqual(sum(1 for _, v in online if v == 0), len(self.GONE))
        # Drives that never opened have no I/O series; the others keep theirs.
        timed = s.select('strata_drive_op_duration_seconds_count', pool='hot')
        drives_timed = {lbl['drive'] for lbl, _ in timed}
        self.assertEqual(sorted(drives_timed), up)
        promtool_check(self, s.text)

        # A write is refused as unavailable, and counted as a quorum failure and a 503.
        failures = s.value('strata_quorum_failures_total')
        self.assertS3Error(('ServiceUnavailable', 'SlowDown'), 503, self.s3.put_object,
                           Bucket=bucket, Key='k', Body=b'x' * 1000)
        wait_scrape(self.server,
                    lambda s: s.value('strata_s3_requests_total', api='PutObject', code='503') == 1
                    and s.value('strata_quorum_failures_total') > failures,
                    'the refused PUT to be counted')
