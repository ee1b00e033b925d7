"""A real cluster on loopback: six `strata node` processes (one drive each, erasure code 4+2
across them) and two `strata gateway` processes, started with tools/local-cluster.sh, and the
behaviour issue 7 promises: read-after-write across gateways, racing PUTs converge, two nodes
down keep everything working, a third answers 503 fast and leaves nothing partial, hung nodes
are timed out, kill -9 loses no acknowledged PUT, bucket configuration and users reach the other
gateway, and healing puts back what a returning node missed.

One cluster for the whole class (starting one takes a few seconds); every test leaves all six
nodes running (finally blocks) and starts by waiting until both gateways see all drives online.
Synchronisation is by deadlines (poll until a condition holds), never by fixed sleeps.
Measured latencies (e.g. how fast a 503 comes with three nodes down) are printed at the end.
Run: python3 -m unittest -v test_cluster.py (STRATA_BIN=...); STRATA_KEEP_TMP=1 keeps the
cluster dir (logs) of a failed run.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

import strata_harness as h
from strata_harness import KiB, MiB, ClientError

SCRIPT = os.path.join(h.REPO_ROOT, 'tools', 'local-cluster.sh')
NODES = 6
ONLINE_TIMEOUT = 30.0      # gateways see a restarted node (pinged every second)
PROPAGATION_LIMIT = 3.0    # bucket records are cached for 1 s, users re-read every 1 s
QUORUM_LOSS_LIMIT = 5.0    # a request with three nodes down answers 503 within this
# A hung node costs at most one 10 s call timeout (NodeClientOptions.call_timeout) per request
# path; the bound below allows for the retry on a fresh connection that a reused one gets.
HUNG_REQUEST_LIMIT = 25.0
UNAVAILABLE_CODES = ('ServiceUnavailable', 'SlowDown', '503')

TIMINGS = {}  # name -> list of seconds, printed by tearDownClass


def record(name, seconds):
    TIMINGS.setdefault(name, []).append(seconds)


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(('127.0.0.1', port))
            return True
        except OSError:
            return False


def free_base_port(rng):
    """A base port P in 20000-60000 with P..P+3 and P+10..P+15 free (the script's layout)."""
    for _ in range(500):
        base = rng.randrange(20000, 60000 - 16)
        if all(port_free(p) for p in list(range(base, base + 4)) + list(range(base + 10,
                                                                              base + 16))):
            return base
    raise AssertionError('no free block of ports found in 20000-60000')


def error_of(exc):
    """(S3 code, HTTP status) of a botocore ClientError."""
    return (exc.response.get('Error', {}).get('Code'),
            exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode'))


def wait_until(predicate, timeout, what):
    """Polls predicate() (state lives in other processes) until true; returns seconds taken."""
    start = time.monotonic()
    deadline = start + timeout
    last = None
    while True:
        try:
            if predicate():
                return time.monotonic() - start
        except Exception as e:  # noqa: BLE001 - the last one is reported on timeout
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f'timed out after {timeout}s waiting for {what}'
                                 + (f' (last error: {last!r})' if last else ''))
        time.sleep(0.05)


class Cluster:
    """tools/local-cluster.sh over a temp dir: six nodes, two gateways, the harness's keys."""

    def __init__(self, root):
        self.root = root
        self.dir = os.path.join(root, 'cluster')
        self.env = dict(os.environ)
        self.env.update({'STRATA_ACCESS_KEY': h.ACCESS_KEY, 'STRATA_SECRET_KEY': h.SECRET_KEY,
                         'STRATA_CLUSTER_SECRET': uuid.uuid4().hex + uuid.uuid4().hex,
                         'STRATA_BIN': h.strata_binary()})
        self.base = None
        self.s3 = []
        self.admin = []

    def script(self, *args, timeout=120, check=True):
        cmd = ['bash', SCRIPT] + [str(a) for a in args] + ['--dir', self.dir]
        result = subprocess.run(cmd, env=self.env, capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f'local-cluster.sh {" ".join(map(str, args))} exited '
                                 f'{result.returncode}\n{result.stdout}\n{result.stderr}\n'
                                 f'{self.log_tail()}')
        return result

    def up(self):
        rng = random.Random()
        for attempt in range(3):
            base = free_base_port(rng)
            result = self.script('up', '--base-port', base, '--bin', h.strata_binary(),
                                 check=False)
            if result.returncode == 0:
                self.base = base
                self.s3 = [f'http://127.0.0.1:{base}', f'http://127.0.0.1:{base + 1}']
                self.admin = [f'http://127.0.0.1:{base + 2}', f'http://127.0.0.1:{base + 3}']
                return
            # A port taken between the check and the start: clean up, try another block.
            self.script('down', check=False)
            if attempt == 2:
                raise AssertionError(f'local-cluster.sh up failed\n{result.stdout}\n'
                                     f'{result.stderr}\n{self.log_tail()}')

    def down(self):
        if os.path.isdir(self.dir):
            # A node left stopped (SIGSTOP) would ignore SIGTERM until continued.
            for i in range(1, NODES + 1):
                pid = self.node_pid(i)
                if pid:
                    try:
                        os.kill(pid, signal.SIGCONT)
                    except OSError:
                        pass
            # A gateway that does not exit on SIGTERM is killed after 10 s, not 30.
            self.env['STRATA_STOP_GRACE_SECONDS'] = '10'
            self.script('down', check=False)

    def stop_node(self, i, kill=False):
        self.script('stop-node', i, *(['--kill'] if kill else []))

    def start_node(self, i):
        self.script('start-node', i)

    def node_pid(self, i):
        try:
            with open(os.path.join(self.dir, f'node{i}.pid')) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def client(self, gateway, **kwargs):
        kwargs.setdefault('read_timeout', 60)
        return h.make_client(self.s3[gateway], **kwargs)

    def admin_cli(self, gateway, *args, timeout=300):
        env = {k: v for k, v in os.environ.items() if not k.startswith('STRATA_')}
        env.update({'STRATA_ACCESS_KEY': h.ACCESS_KEY, 'STRATA_SECRET_KEY': h.SECRET_KEY})
        cmd = [h.strata_binary(), 'admin', '--endpoint', self.admin[gateway]] + list(args)
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def drives_online(self, gateway):
        result = self.admin_cli(gateway, '--json', 'status', timeout=30)
        if result.returncode != 0:
            return -1
        return json.loads(result.stdout).get('drives_online', -1)

    def wait_all_online(self, timeout=ONLINE_TIMEOUT):
        return wait_until(lambda: all(self.drives_online(g) == NODES for g in (0, 1)),
                          timeout, 'both gateways to see all six drives online')

    def log_tail(self, lines=15):
        out = []
        names = [f'node{i}.log' for i in range(1, NODES + 1)] + ['gateway1.log', 'gateway2.log']
        for name in names:
            path = os.path.join(self.dir, name)
            try:
                with open(path, 'rb') as f:
                    text = f.read().decode('utf-8', 'replace').splitlines()[-lines:]
            except OSError:
                continue
            out.append(f'--- {path} (last {len(text)} lines)')
            out.extend(text)
        return '\n'.join(out)


def heal_command_available():
    """`strata admin heal` exists in this binary (healing is being built beside this suite)."""
    try:
        result = subprocess.run([h.strata_binary(), 'admin', '--help'], capture_output=True,
                                text=True, timeout=30)
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return False
    return 'heal [--bucket' in result.stdout + result.stderr


class ClusterTest(unittest.TestCase):
    cluster = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp(prefix='strata-e2e-cluster-')
        cls.failed = False
        cls.cluster = Cluster(cls.root)
        cls.addClassCleanup(cls._cleanup)
        try:
            cls.cluster.up()
        except BaseException:
            cls.failed = True
            raise

    @classmethod
    def _cleanup(cls):
        try:
            cls.cluster.down()
        finally:
            if cls.failed and h.keep_tmp_requested():
                sys.stderr.write(f'\n[strata-e2e] kept {cls.root}\n')
            else:
                shutil.rmtree(cls.root, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        if TIMINGS:
            lines = ['', '[strata-e2e] cluster timings (seconds): min / max / count']
            for name in sorted(TIMINGS):
                values = TIMINGS[name]
                lines.append(f'  {name:48s} {min(values):7.3f} / {max(values):7.3f} / '
                             f'{len(values)}')
            sys.stderr.write('\n'.join(lines) + '\n')
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.c = type(self).cluster
        self.c.wait_all_online()
        self.g = [self.c.client(0), self.c.client(1)]

    def tearDown(self):
        result = getattr(getattr(self, '_outcome', None), 'result', None)
        if result is not None:
            for test, _ in list(result.failures) + list(result.errors):
                if test is self or getattr(test, 'test_case', None) is self:
                    type(self).failed = True
                    sys.stderr.write(f'\n[strata-e2e] {self.id()} failed; cluster logs:\n'
                                     f'{self.c.log_tail()}\n')
                    break
        super().tearDown()

    # -- helpers ---------------------------------------------------------------------------------

    def new_bucket(self, gateway=0, prefix='cl', **kwargs):
        name = h.unique_bucket(prefix)
        self.g[gateway].create_bucket(Bucket=name, **kwargs)
        other = self.g[1 - gateway]
        took = wait_until(lambda: other.head_bucket(Bucket=name) is not None, PROPAGATION_LIMIT,
                          f'bucket {name} on the other gateway')
        record('bucket visible on the other gateway', took)
        return name

    def restore_nodes(self, nodes):
        """Starts `nodes` (idempotent) and waits until both gateways see every drive."""
        for i in nodes:
            self.c.start_node(i)
        self.c.wait_all_online()

    def assertReads(self, client, bucket, key, data, what=''):
        got = client.get_object(Bucket=bucket, Key=key)
        body = got['Body'].read()
        self.assertEqual(len(body), len(data), f'{what} {bucket}/{key}: length')
        self.assertEqual(h.md5_hex(body), h.md5_hex(data), f'{what} {bucket}/{key}: content')
        return got

    def assertUnavailable(self, fn, what, **kwargs):
        """fn(**kwargs) answers 503 (ServiceUnavailable or SlowDown) within QUORUM_LOSS_LIMIT."""
        start = time.monotonic()
        try:
            fn(**kwargs)
        except ClientError as e:
            took = time.monotonic() - start
            code, status = error_of(e)
            self.assertEqual(status, 503, f'{what}: {code}/{status}, expected a 503')
            self.assertIn(code, UNAVAILABLE_CODES, f'{what}: S3 code {code}')
            self.assertLess(took, QUORUM_LOSS_LIMIT, f'{what}: the 503 took {took:.2f}s')
            record(f'503 with 3 nodes down: {what.split(" ")[0]}', took)
            return
        self.fail(f'{what} succeeded with three of six nodes down')

    def list_keys(self, client, bucket):
        keys = {}
        for page in client.get_paginator('list_objects_v2').paginate(Bucket=bucket):
            for o in page.get('Contents', []):
                keys[o['Key']] = (o['Size'], o['ETag'])
        return keys

    def list_versions(self, client, bucket):
        out = []
        for page in client.get_paginator('list_object_versions').paginate(Bucket=bucket):
            for v in page.get('Versions', []):
                out.append((v['Key'], v['VersionId'], v['ETag'], v['Size'], v['IsLatest']))
            for m in page.get('DeleteMarkers', []):
                out.append((m['Key'], m['VersionId'], 'marker', 0, m['IsLatest']))
        return out

    # -- read-after-write -------------------------------------------------------------------------

    def test_read_after_write_across_gateways(self):
        g1, g2 = self.g
        bucket = self.new_bucket(0, 'raw')
        sizes = [0, 1, 1000, 100 * KiB, 128 * KiB + 1, 1 * MiB + 7, 3 * MiB]
        for i, size in enumerate(sizes):
            key = f'obj-{i}'
            data = h.random_bytes(size)
            etag = g1.put_object(Bucket=bucket, Key=key, Body=data)['ETag']
            got = self.assertReads(g2, bucket, key, data, 'GET via gateway 2')
            self.assertEqual(got['ETag'], etag)
            head = g2.head_object(Bucket=bucket, Key=key)
            self.assertEqual((head['ContentLength'], head['ETag']), (size, etag))
            listed = self.list_keys(g2, bucket)
            self.assertEqual(listed.get(key), (size, etag), f'{key} in gateway 2 listing')

        # Overwrites, both directions: the other gateway sees the new bytes at once.
        for r in range(6):
            writer, reader = self.g[r % 2], self.g[1 - r % 2]
            data = f'round {r} '.encode() * (r * 9000 + 1)
            etag = writer.put_object(Bucket=bucket, Key='overwritten', Body=data)['ETag']
            got = self.assertReads(reader, bucket, 'overwritten', data, f'round {r}')
            self.assertEqual(got['ETag'], etag)

        # Multipart: created on gateway 1, parts through both, completed on gateway 2.
        part1, part2 = h.random_bytes(5 * MiB), h.random_bytes(1 * MiB + 3)
        upload = g1.create_multipart_upload(Bucket=bucket, Key='mp')['UploadId']
        uploads = g2.list_multipart_uploads(Bucket=bucket).get('Uploads', [])
        self.assertIn(upload, [u['UploadId'] for u in uploads])
        e1 = g1.upload_part(Bucket=bucket, Key='mp', UploadId=upload, PartNumber=1,
                            Body=part1)['ETag']
        e2 = g2.upload_part(Bucket=bucket, Key='mp', UploadId=upload, PartNumber=2,
                            Body=part2)['ETag']
        parts = g1.list_parts(Bucket=bucket, Key='mp', UploadId=upload)['Parts']
        self.assertEqual([(p['PartNumber'], p['ETag']) for p in parts], [(1, e1), (2, e2)])
        done = g2.complete_multipart_upload(
            Bucket=bucket, Key='mp', UploadId=upload,
            MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e1},
                                       {'PartNumber': 2, 'ETag': e2}]})
        self.assertEqual(done['ETag'], h.multipart_etag([part1, part2]))
        got = self.assertReads(g1, bucket, 'mp', part1 + part2, 'multipart via gateway 1')
        self.assertEqual(got['ETag'], done['ETag'])
        self.assertEqual(g1.list_multipart_uploads(Bucket=bucket).get('Uploads', []), [])

        # DeleteObject and DeleteObjects through gateway 1: gone on gateway 2 at once.
        g1.delete_object(Bucket=bucket, Key='obj-5')
        with self.assertRaises(ClientError) as caught:
            g2.get_object(Bucket=bucket, Key='obj-5')
        self.assertEqual(error_of(caught.exception), ('NoSuchKey', 404))
        with self.assertRaises(ClientError) as caught:
            g2.head_object(Bucket=bucket, Key='obj-5')
        self.assertEqual(error_of(caught.exception)[1], 404)
        g1.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': 'obj-0'}, {'Key': 'mp'}]})
        listed = self.list_keys(g2, bucket)
        self.assertEqual(sorted(listed), ['obj-1', 'obj-2', 'obj-3', 'obj-4', 'obj-6',
                                          'overwritten'])

    # -- racing writers ---------------------------------------------------------------------------

    def race(self, bucket, keys, rounds):
        """Both gateways PUT every key each round, released together; returns what they wrote."""
        barrier = threading.Barrier(2)
        written = {key: {} for key in keys}  # key -> {etag: data}
        version_ids = {key: set() for key in keys}
        errors = []
        lock = threading.Lock()

        def writer(gateway):
            client = self.c.client(gateway)
            try:
                for r in range(rounds):
                    barrier.wait(timeout=60)
                    for n, key in enumerate(keys):
                        size = 3 * KiB if n % 2 == 0 else 300 * KiB
                        data = (f'gw{gateway} r{r} {key} '.encode() * (size // 16 + 1))[:size]
                        answer = client.put_object(Bucket=bucket, Key=key, Body=data)
                        with lock:
                            written[key][answer['ETag']] = data
                            if answer.get('VersionId'):
                                version_ids[key].add(answer['VersionId'])
            except BaseException as e:  # noqa: BLE001 - reported by the main thread
                with lock:
                    errors.append(f'gateway {gateway + 1}: {e!r}')
                barrier.abort()

        threads = [threading.Thread(target=writer, args=(g,)) for g in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
            self.assertFalse(t.is_alive(), 'a racing writer hangs')
        self.assertEqual(errors, [])
        return written, version_ids

    def test_racing_puts_converge(self):
        keys = [f'race-{i}' for i in range(4)]
        rounds = 12
        plain = self.new_bucket(0, 'race')
        versioned = self.new_bucket(1, 'racev')
        self.g[1].put_bucket_versioning(Bucket=versioned,
                                        VersioningConfiguration={'Status': 'Enabled'})
        wait_until(lambda: self.g[0].get_bucket_versioning(Bucket=versioned).get('Status') ==
                   'Enabled', PROPAGATION_LIMIT, 'versioning on gateway 1')

        for bucket in (plain, versioned):
            written, version_ids = self.race(bucket, keys, rounds)
            for key in keys:
                answers = []
                for gateway, client in enumerate(self.g):
                    got = client.get_object(Bucket=bucket, Key=key)
                    body = got['Body'].read()
                    answers.append((got['ETag'], h.md5_hex(body), got.get('VersionId')))
                    self.assertIn(got['ETag'], written[key], f'{bucket}/{key} via gateway '
                                  f'{gateway + 1}: an ETag nobody wrote')
                    self.assertEqual(body, written[key][got['ETag']],
                                     f'{bucket}/{key}: bytes do not match the ETag')
                self.assertEqual(answers[0], answers[1],
                                 f'{bucket}/{key}: the gateways disagree on the latest version')

            if bucket == versioned:
                listings = [self.list_versions(client, bucket) for client in self.g]
                self.assertEqual(listings[0], listings[1],
                                 'ListObjectVersions differs between the gateways')
                for key in keys:
                    mine = [v for v in listings[0] if v[0] == key]
                    self.assertEqual(len(mine), 2 * rounds, f'{key}: versions listed')
                    self.assertEqual({v[1] for v in mine}, version_ids[key],
                                     f'{key}: listed version ids differ from the acknowledged')
                    latest = [v for v in mine if v[4]]
                    self.assertEqual(len(latest), 1, f'{key}: one latest version')
                    head = self.g[0].head_object(Bucket=bucket, Key=key)
                    self.assertEqual(head['VersionId'], latest[0][1],
                                     f'{key}: GET and the listing disagree on the latest')

    # -- nodes down -------------------------------------------------------------------------------

    def test_two_nodes_down_keep_working_third_answers_503(self):
        bucket = self.new_bucket(0, 'down')
        before = {f'before-{n}': h.random_bytes(size)
                  for n, size in enumerate([10, 64 * KiB, 300 * KiB, 2 * MiB + 5])}
        for n, (key, data) in enumerate(before.items()):
            self.g[n % 2].put_object(Bucket=bucket, Key=key, Body=data)
        during = {}
        outage = {'outage-small': b'written with three nodes down',
                  'outage-large': h.random_bytes(1 * MiB)}
        try:
            self.c.stop_node(1)
            self.c.stop_node(2, kill=True)
            for gateway, client in enumerate(self.g):
                start = time.monotonic()
                for key, data in before.items():
                    self.assertReads(client, bucket, key, data, f'2 down, gateway {gateway + 1}')
                    self.assertEqual(client.head_object(Bucket=bucket, Key=key)['ContentLength'],
                                     len(data))
                record('2 nodes down: GET+HEAD of 4 objects', time.monotonic() - start)
                for n, size in enumerate([5, 200 * KiB, 1 * MiB + 1]):
                    key = f'during-{gateway}-{n}'
                    during[key] = h.random_bytes(size)
                    start = time.monotonic()
                    client.put_object(Bucket=bucket, Key=key, Body=during[key])
                    record('2 nodes down: PUT', time.monotonic() - start)
                    self.assertReads(self.g[1 - gateway], bucket, key, during[key],
                                     '2 down, written on the other gateway')
                self.assertEqual(sorted(self.list_keys(client, bucket)),
                                 sorted(list(before) + list(during)))

            self.c.stop_node(3)
            for gateway, client in enumerate(self.g):
                for key, data in outage.items():
                    self.assertUnavailable(client.put_object, f'PUT {key} via gateway '
                                           f'{gateway + 1}', Bucket=bucket, Key=key, Body=data)
                for key in ('before-0', 'before-3'):
                    self.assertUnavailable(client.get_object, f'GET {key} via gateway '
                                           f'{gateway + 1}', Bucket=bucket, Key=key)
                self.assertUnavailable(client.head_object, f'HEAD via gateway {gateway + 1}',
                                       Bucket=bucket, Key='before-1')
        finally:
            for i in (3, 1, 2):
                self.c.start_node(i)

        # Service resumes once the nodes are back.
        def serves():
            for gateway, client in enumerate(self.g):
                client.put_object(Bucket=bucket, Key=f'resumed-{gateway}', Body=b'back')
                self.g[1 - gateway].get_object(Bucket=bucket, Key=f'resumed-{gateway}')
            return True
        record('service back after 3 nodes returned', wait_until(serves, ONLINE_TIMEOUT,
                                                                 'service to resume'))
        self.c.wait_all_online()

        # Nothing partial: the PUTs refused during the outage are absent or complete, and both
        # gateways agree.
        for key, data in outage.items():
            seen = []
            for client in self.g:
                try:
                    got = self.assertReads(client, bucket, key, data, 'a PUT refused with 503')
                    seen.append(('complete', got['ETag']))
                except ClientError as e:
                    self.assertEqual(error_of(e), ('NoSuchKey', 404), f'{key} after the outage')
                    seen.append(('absent', None))
            self.assertEqual(seen[0], seen[1], f'{key}: gateways disagree after the outage')
        for key, data in list(before.items()) + list(during.items()):
            for client in self.g:
                self.assertReads(client, bucket, key, data, 'after the nodes returned')

    def test_hung_node_is_timed_out(self):
        bucket = self.new_bucket(0, 'hung')
        large = h.random_bytes(1 * MiB)
        self.g[0].put_object(Bucket=bucket, Key='large', Body=large)
        self.g[1].put_object(Bucket=bucket, Key='small', Body=b'small')
        written = {}
        pid = self.c.node_pid(4)
        self.assertIsNotNone(pid)
        os.kill(pid, signal.SIGSTOP)
        stopped_at = time.monotonic()
        slowest = 0.0
        try:
            # Rounds of every kind of request through both gateways until a whole round is
            # fast (the node is fenced off), each request bounded.
            fast_round = None
            for r in range(40):
                round_start = time.monotonic()
                for gateway, client in enumerate(self.g):
                    key = f'hung-{r}-{gateway}'
                    data = large if r % 2 == 0 else key.encode()
                    ops = [
                        ('GET', lambda: self.assertReads(client, bucket, 'large', large)),
                        ('GET small', lambda: client.get_object(Bucket=bucket,
                                                                Key='small')['Body'].read()),
                        ('PUT', lambda: client.put_object(Bucket=bucket, Key=key, Body=data)),
                        ('HEAD', lambda: client.head_object(Bucket=bucket, Key='large')),
                        ('LIST', lambda: client.list_objects_v2(Bucket=bucket)),
                    ]
                    for name, op in ops:
                        start = time.monotonic()
                        try:
                            op()
                        except ClientError as e:
                            self.fail(f'{name} via gateway {gateway + 1} with one hung node: '
                                      f'{error_of(e)} after {time.monotonic() - start:.1f}s')
                        took = time.monotonic() - start
                        slowest = max(slowest, took)
                        self.assertLess(took, HUNG_REQUEST_LIMIT,
                                        f'{name} via gateway {gateway + 1} took {took:.1f}s '
                                        f'with one hung node')
                    written[key] = data
                if time.monotonic() - round_start < 2.0:
                    fast_round = time.monotonic() - stopped_at
                    break
            self.assertIsNotNone(fast_round, 'requests never became fast with a hung node')
            record('hung node: slowest request', slowest)
            record('hung node: until a whole round is fast', fast_round)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.c.wait_all_online()
        for key, data in written.items():
            for client in self.g:
                self.assertReads(client, bucket, key, data, 'written while a node hung')

    def test_hung_node_list_succeeds_within_one_call_timeout(self):
        """With one of six nodes SIGSTOPped (five healthy: read and write quorum), a LIST
        through a gateway with pooled connections to it costs at most one call timeout and
        succeeds: the listing replaces the failed drive with another of its set, and a
        timed-out call is not repeated on a new connection (a stopped node's kernel still
        accepts one). Once the node is backing off, GETs do not wait for it at all."""
        bucket = self.new_bucket(0, 'hunglist')
        for n in range(4):
            self.g[n % 2].put_object(Bucket=bucket, Key=f'k{n}', Body=h.random_bytes(200 * KiB))
        for client in self.g:  # every gateway now has pooled connections to every node
            client.list_objects_v2(Bucket=bucket)
            client.get_object(Bucket=bucket, Key='k0')['Body'].read()
        pid = self.c.node_pid(4)
        os.kill(pid, signal.SIGSTOP)
        outcomes = []
        try:
            for gateway, client in enumerate(self.g):
                for name, op in (('LIST', lambda: client.list_objects_v2(Bucket=bucket)),
                                 ('GET', lambda: client.get_object(Bucket=bucket,
                                                                   Key='k1')['Body'].read())):
                    start = time.monotonic()
                    try:
                        op()
                        result = 'ok'
                    except ClientError as e:
                        result = '%s/%s' % error_of(e)
                    took = time.monotonic() - start
                    record(f'hung node, pooled connections: {name}', took)
                    outcomes.append((f'{name} via gateway {gateway + 1}', result, round(took, 1)))
        finally:
            os.kill(pid, signal.SIGCONT)
        bad = [o for o in outcomes if o[1] != 'ok' or o[2] >= 12.0]
        self.assertEqual(bad, [], f'with one hung node (all outcomes: {outcomes})')

    def test_kill9_during_puts_loses_no_acknowledged_write(self):
        bucket = self.new_bucket(0, 'kill')
        acked = {}
        failures = []
        stop = threading.Event()
        lock = threading.Lock()
        sizes = [10 * KiB, 300 * KiB, 1 * MiB + 3]

        def writer(gateway):
            client = self.c.client(gateway)
            n = 0
            while not stop.is_set():
                key = f'w{gateway}-{n:05d}'
                data = h.random_bytes(sizes[n % len(sizes)])
                try:
                    etag = client.put_object(Bucket=bucket, Key=key, Body=data)['ETag']
                    with lock:
                        acked[key] = (data, etag)
                except Exception as e:  # noqa: BLE001 - counted; only acked PUTs must survive
                    with lock:
                        failures.append((key, repr(e)[:300]))
                n += 1

        def acked_count():
            with lock:
                return len(acked)

        threads = [threading.Thread(target=writer, args=(g,)) for g in (0, 1)]
        for t in threads:
            t.start()
        try:
            wait_until(lambda: acked_count() >= 20, 60, '20 PUTs before the kill')
            self.c.stop_node(5, kill=True)
            at_kill = acked_count()
            wait_until(lambda: acked_count() >= at_kill + 20, 60, '20 PUTs with a node killed')
            self.c.start_node(5)
            at_start = acked_count()
            wait_until(lambda: acked_count() >= at_start + 20, 60, '20 PUTs after the restart')
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=120)
            self.c.start_node(5)
        self.assertFalse(any(t.is_alive() for t in threads), 'a writer hangs')
        self.c.wait_all_online()
        for key, (data, etag) in sorted(acked.items()):
            for client in self.g:
                got = self.assertReads(client, bucket, key, data, 'an acknowledged PUT')
                self.assertEqual(got['ETag'], etag)
        # Five of six nodes keep a write quorum: no PUT should have failed at all.
        self.assertEqual(failures, [], f'{len(failures)} PUTs failed with one node killed '
                                       f'({len(acked)} acknowledged)')

    # -- buckets, configuration, users -------------------------------------------------------------

    def check_bucket_configuration(self, writer, reader, label):
        """Every bucket call through gateway `writer` is seen by `reader` within the limit."""
        w, r = self.g[writer], self.g[reader]

        def seen(what, predicate):
            record(f'bucket config propagation ({label})',
                   wait_until(predicate, PROPAGATION_LIMIT, f'{what} on gateway {reader + 1}'))

        def error_code(fn, **kwargs):
            try:
                fn(**kwargs)
                return None
            except ClientError as e:
                return error_of(e)[0]

        bucket = self.new_bucket(writer, 'cfg')
        w.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': 'Enabled'})
        seen('versioning Enabled',
             lambda: r.get_bucket_versioning(Bucket=bucket).get('Status') == 'Enabled')
        tags = [{'Key': 'team', 'Value': label}, {'Key': 'cost', 'Value': 'ml'}]
        w.put_bucket_tagging(Bucket=bucket, Tagging={'TagSet': tags})
        seen('bucket tags', lambda: sorted(r.get_bucket_tagging(Bucket=bucket)['TagSet'],
                                           key=lambda t: t['Key']) ==
             sorted(tags, key=lambda t: t['Key']))
        rules = {'Rules': [{'ID': 'expire-tmp', 'Status': 'Enabled',
                            'Filter': {'Prefix': 'tmp/'}, 'Expiration': {'Days': 7}}]}
        w.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=rules)
        seen('lifecycle', lambda: [x['ID'] for x in r.get_bucket_lifecycle_configuration(
            Bucket=bucket)['Rules']] == ['expire-tmp'])
        w.delete_bucket_tagging(Bucket=bucket)
        seen('tags deleted', lambda: error_code(r.get_bucket_tagging, Bucket=bucket) ==
             'NoSuchTagSet')
        w.delete_bucket_lifecycle(Bucket=bucket)
        seen('lifecycle deleted', lambda: error_code(r.get_bucket_lifecycle_configuration,
                                                     Bucket=bucket) ==
             'NoSuchLifecycleConfiguration')
        w.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={'Status': 'Suspended'})
        seen('versioning Suspended',
             lambda: r.get_bucket_versioning(Bucket=bucket).get('Status') == 'Suspended')

        locked = self.new_bucket(writer, 'cfglock', ObjectLockEnabledForBucket=True)
        seen('object lock enabled', lambda: r.get_object_lock_configuration(
            Bucket=locked)['ObjectLockConfiguration']['ObjectLockEnabled'] == 'Enabled')
        w.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
            'ObjectLockEnabled': 'Enabled',
            'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 1}}})
        seen('default retention', lambda: r.get_object_lock_configuration(Bucket=locked)[
            'ObjectLockConfiguration'].get('Rule', {}).get('DefaultRetention', {}).get('Mode')
            == 'GOVERNANCE')
        # The other gateway applies the default retention to what it writes.
        version = r.put_object(Bucket=locked, Key='audit', Body=b'entry')['VersionId']
        self.assertEqual(w.head_object(Bucket=locked, Key='audit').get('ObjectLockMode'),
                         'GOVERNANCE')
        r.delete_object(Bucket=locked, Key='audit', VersionId=version,
                        BypassGovernanceRetention=True)

        # Deleting a bucket: gone on the other gateway within the cache's second.
        w.delete_bucket(Bucket=bucket)
        seen('bucket deleted', lambda: error_code(r.head_bucket, Bucket=bucket) in ('404',
                                                                                   'NoSuchBucket'))
        self.assertNotIn(bucket, [b['Name'] for b in r.list_buckets()['Buckets']])
        return locked

    def test_bucket_configuration_across_gateways_and_with_two_nodes_down(self):
        self.check_bucket_configuration(0, 1, 'all nodes up')
        try:
            self.c.stop_node(2)
            self.c.stop_node(5, kill=True)
            locked = self.check_bucket_configuration(1, 0, 'two nodes down')
            # A bucket made during the outage, kept to be checked after the nodes return.
            kept = self.new_bucket(0, 'cfgkept')
            self.g[0].put_bucket_versioning(Bucket=kept,
                                            VersioningConfiguration={'Status': 'Enabled'})
            self.g[0].put_bucket_tagging(Bucket=kept, Tagging={'TagSet': [
                {'Key': 'made', 'Value': 'during-outage'}]})
            self.g[0].put_object(Bucket=kept, Key='k', Body=b'kept')
        finally:
            self.restore_nodes((2, 5))
        # With every node back (two of them without these buckets until healed), both
        # gateways still see what was configured; a gateway may serve its cached record for a
        # second, so each check polls.
        for gateway, client in enumerate(self.g):
            what = f'on gateway {gateway + 1} after the nodes returned'
            wait_until(lambda: client.get_bucket_versioning(Bucket=kept).get('Status') ==
                       'Enabled', PROPAGATION_LIMIT, f'versioning of {kept} {what}')
            wait_until(lambda: client.get_bucket_tagging(Bucket=kept)['TagSet'] ==
                       [{'Key': 'made', 'Value': 'during-outage'}], PROPAGATION_LIMIT,
                       f'tags of {kept} {what}')
            wait_until(lambda: client.get_object_lock_configuration(Bucket=locked)[
                'ObjectLockConfiguration']['Rule']['DefaultRetention']['Mode'] == 'GOVERNANCE',
                PROPAGATION_LIMIT, f'lock configuration of {locked} {what}')
            self.assertReads(client, kept, 'k', b'kept', 'bucket made during the outage')
            names = [b['Name'] for b in client.list_buckets()['Buckets']]
            self.assertIn(kept, names)
            self.assertIn(locked, names)

    def test_users_reach_the_other_gateway(self):
        name = f'cl-{uuid.uuid4().hex[:8]}'
        access_key = 'CLUSTER' + uuid.uuid4().hex[:13].upper()
        secret_key = uuid.uuid4().hex + 'Secret'
        added = self.c.admin_cli(0, 'user', 'add', name, '--access-key', access_key,
                                 '--secret-key', secret_key)
        self.assertEqual(added.returncode, 0, added.stderr)
        start = time.monotonic()
        user_g2 = self.c.client(1, access_key=access_key, secret_key=secret_key)
        took = wait_until(lambda: user_g2.list_buckets() is not None, PROPAGATION_LIMIT,
                          'the new user on gateway 2')
        record('user add reaches gateway 2', took)
        bucket = h.unique_bucket('user')
        user_g2.create_bucket(Bucket=bucket)
        user_g2.put_object(Bucket=bucket, Key='mine', Body=b'by a user')
        user_g1 = self.c.client(0, access_key=access_key, secret_key=secret_key)
        self.assertEqual(user_g1.get_object(Bucket=bucket, Key='mine')['Body'].read(),
                         b'by a user')

        # A readonly user added through gateway 2's admin listener, used on gateway 1.
        ro_key = 'CLUSTERRO' + uuid.uuid4().hex[:11].upper()
        ro = self.c.admin_cli(1, 'user', 'add', name + '-ro', '--policy', 'readonly',
                              '--access-key', ro_key, '--secret-key', secret_key)
        self.assertEqual(ro.returncode, 0, ro.stderr)
        reader = self.c.client(0, access_key=ro_key, secret_key=secret_key)
        wait_until(lambda: reader.get_object(Bucket=bucket, Key='mine') is not None,
                   PROPAGATION_LIMIT, 'the readonly user on gateway 1')
        with self.assertRaises(ClientError) as caught:
            reader.put_object(Bucket=bucket, Key='nope', Body=b'x')
        self.assertEqual(error_of(caught.exception), ('AccessDenied', 403))

        # Removed through gateway 1: the key stops working on gateway 2.
        for user in (name, name + '-ro'):
            removed = self.c.admin_cli(0, 'user', 'remove', user)
            self.assertEqual(removed.returncode, 0, removed.stderr)
        start = time.monotonic()

        def refused():
            try:
                user_g2.list_buckets()
                return False
            except ClientError as e:
                return error_of(e) == ('InvalidAccessKeyId', 403)
        wait_until(refused, PROPAGATION_LIMIT, 'the removed user to be refused on gateway 2')
        record('user remove reaches gateway 2', time.monotonic() - start)
        ro_g2 = self.c.client(1, access_key=ro_key, secret_key=secret_key)
        with self.assertRaises(ClientError) as caught:
            ro_g2.list_buckets()
        self.assertEqual(error_of(caught.exception), ('InvalidAccessKeyId', 403))

    # -- process lifecycle -------------------------------------------------------------------------

    def test_gateway_exits_promptly_on_sigterm(self):
        """A third gateway over the same nodes serves a few requests (so its NodeClients pool
        connections), then gets SIGTERM: it must exit 0 within 10 s. Today it often logs
        "stopped" and then blocks for good in ~RemoteCluster: the pooled connections' sockets
        are closed after the io_contexts that own them were destroyed (RunServer's locals),
        epoll_reactor::deregister_descriptor waits on a mutex of a freed reactor."""
        log_dir = os.path.join(self.root, 'extra-gateways')
        os.makedirs(log_dir, exist_ok=True)
        env = dict(self.c.env)
        with open(os.path.join(self.c.dir, 'cluster.secret')) as f:
            env['STRATA_CLUSTER_SECRET'] = f.read().strip() or env['STRATA_CLUSTER_SECRET']
        slow = []
        for attempt in range(3):
            log_path = os.path.join(log_dir, f'gateway-{attempt}.log')
            with open(log_path, 'wb') as log:
                proc = subprocess.Popen(
                    [h.strata_binary(), 'gateway', '--config',
                     os.path.join(self.c.dir, 'topology.json'), '--address', '127.0.0.1:0',
                     '--admin-address', 'off'], stdout=subprocess.PIPE, stderr=log, env=env,
                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                endpoint = None
                deadline = time.monotonic() + 30
                while endpoint is None and time.monotonic() < deadline:
                    line = proc.stdout.readline().decode('utf-8', 'replace')
                    if not line:
                        break
                    if line.startswith('S3 endpoint: '):
                        endpoint = line.split(': ', 1)[1].strip()
                self.assertIsNotNone(endpoint, 'the extra gateway did not start')
                client = h.make_client(endpoint)
                bucket = h.unique_bucket('term')
                client.create_bucket(Bucket=bucket)
                for n in range(8):
                    client.put_object(Bucket=bucket, Key=f'k{n}', Body=h.random_bytes(200 * KiB))
                    client.get_object(Bucket=bucket, Key=f'k{n}')['Body'].read()
                start = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                try:
                    code = proc.wait(timeout=10)
                    record('gateway exit after SIGTERM', time.monotonic() - start)
                    self.assertEqual(code, 0, f'gateway exit code (log {log_path})')
                except subprocess.TimeoutExpired:
                    slow.append(log_path)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=30)
                proc.stdout.close()
        self.assertEqual(slow, [], 'gateways still running 10 s after SIGTERM')

    # -- healing ----------------------------------------------------------------------------------

    @unittest.skipUnless(heal_command_available(), 'this strata binary has no `admin heal` yet')
    def test_objects_written_while_nodes_were_down_are_healed_onto_them(self):
        bucket = self.new_bucket(0, 'heal')
        objects = {}
        try:
            self.c.stop_node(1)
            self.c.stop_node(2, kill=True)
            for n, size in enumerate([100, 64 * KiB, 300 * KiB, 3 * MiB + 1]):
                key = f'while-down-{n}'
                objects[(bucket, key)] = h.random_bytes(size)
                self.g[n % 2].put_object(Bucket=bucket, Key=key, Body=objects[(bucket, key)])
            # A bucket created during the outage too: its record must reach nodes 1 and 2.
            late = h.unique_bucket('heallate')
            self.g[1].create_bucket(Bucket=late)
            objects[(late, 'x')] = h.random_bytes(200 * KiB)
            self.g[1].put_object(Bucket=late, Key='x', Body=objects[(late, 'x')])
        finally:
            self.restore_nodes((1, 2))

        start = time.monotonic()
        healed = self.c.admin_cli(0, '--json', 'heal')
        record('admin heal after 2 nodes returned', time.monotonic() - start)
        self.assertEqual(healed.returncode, 0, f'admin heal: {healed.stdout}\n{healed.stderr}')
        json.loads(healed.stdout)  # a JSON report

        # Nodes 3 and 4 hold shards of everything; without them, only the healed copies on 1
        # and 2 (and 5, 6) can serve the reads.
        try:
            self.c.stop_node(3)
            self.c.stop_node(4)
            for (b, key), data in objects.items():
                for gateway, client in enumerate(self.g):
                    self.assertReads(client, b, key, data,
                                     f'healed, nodes 3 and 4 down, gateway {gateway + 1}')
            for client in self.g:
                client.head_bucket(Bucket=late)
                self.assertEqual(sorted(self.list_keys(client, bucket)),
                                 sorted(k for (b, k) in objects if b == bucket))
        finally:
            self.restore_nodes((3, 4))


if __name__ == '__main__':
    unittest.main()
