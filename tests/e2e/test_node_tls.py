"""The internal API over TLS: a `strata node` with --tls-cert/--tls-key, a topology that marks
it "tls": true, and a `strata gateway` that trusts the node's certificate through --node-ca.

- With the right CA the gateway serves S3 over the node's drives (PUT, GET, LIST).
- Without it (the system trust store does not know a throwaway certificate) the gateway never
  reaches the node: it keeps waiting for the nodes and serves nothing.
- A plain-HTTP request to the node's TLS port gets no HTTP answer.

Run: python3 -m unittest -v test_node_tls.py (STRATA_BIN=...).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import strata_harness as h
from test_helm import Process, read  # a strata process read until a line shows

CLUSTER_SECRET = 'node-tls-test-cluster-secret-0123456789'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class NodeTlsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='strata-e2e-node-tls-')
        cls.cert, cls.key = h.make_self_signed_cert(os.path.join(cls.tmp, 'tls'), 'node1')
        port = free_port()
        drives = [f'node1:{os.path.join(cls.tmp, "node1", f"d{i}")}' for i in range(1, 7)]
        cls.topology = os.path.join(cls.tmp, 'topology.json')
        with open(cls.topology, 'w') as f:
            json.dump({'nodes': {'node1': {'address': f'127.0.0.1:{port}', 'tls': True}},
                       'pools': [{'name': 'hot', 'data': 4, 'parity': 2, 'sets': [drives]}]}, f)
        cls.env = dict(os.environ)
        cls.env.update({'STRATA_CLUSTER_SECRET': CLUSTER_SECRET,
                        'STRATA_ACCESS_KEY': h.ACCESS_KEY, 'STRATA_SECRET_KEY': h.SECRET_KEY})
        cls.node_url = f'https://127.0.0.1:{port}'
        cls.node = Process(['node', '--config', cls.topology, '--node', 'node1', '--data',
                            os.path.join(cls.tmp, 'node1-state'), '--address',
                            f'127.0.0.1:{port}', '--admin-address', 'off', '--tls-cert', cls.cert,
                            '--tls-key', cls.key], cls.env, os.path.join(cls.tmp, 'node1.log'))
        try:
            line = cls.node.wait_line('Node endpoint: ')
        except BaseException:
            cls.node.close()
            raise
        assert line.startswith('Node endpoint: https://'), line

    @classmethod
    def tearDownClass(cls):
        cls.node.close()
        if not h.keep_tmp_requested():
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def gateway(self, name, extra):
        return Process(['gateway', '--config', self.topology, '--address', '127.0.0.1:0',
                        '--admin-address', 'off'] + extra, self.env,
                       os.path.join(self.tmp, f'{name}.log'))

    def test_gateway_with_the_node_ca_serves_s3(self):
        gw = self.gateway('gateway-ca', ['--node-ca', self.cert])
        try:
            endpoint = gw.wait_line('S3 endpoint: ').split(': ', 1)[1]
            self.assertIn('online=6 total=6', read(gw.log_path))
            s3 = h.make_client(endpoint)
            bucket = h.unique_bucket('tls')
            s3.create_bucket(Bucket=bucket)
            small, large = h.random_bytes(1000), h.random_bytes(3 * 1024 * 1024 + 17)
            s3.put_object(Bucket=bucket, Key='small', Body=small)
            s3.put_object(Bucket=bucket, Key='large', Body=large)
            self.assertEqual(s3.get_object(Bucket=bucket, Key='small')['Body'].read(), small)
            self.assertEqual(s3.get_object(Bucket=bucket, Key='large')['Body'].read(), large)
            keys = [o['Key'] for o in s3.list_objects_v2(Bucket=bucket)['Contents']]
            self.assertEqual(keys, ['large', 'small'])
        finally:
            gw.close()

    def test_gateway_without_the_node_ca_does_not_reach_the_node(self):
        gw = self.gateway('gateway-no-ca', [])
        try:
            deadline = time.monotonic() + 60
            while 'waiting for the nodes' not in read(gw.log_path):
                self.assertIsNone(gw.proc.poll(), read(gw.log_path))
                self.assertLess(time.monotonic(), deadline, read(gw.log_path))
                time.sleep(0.1)
            self.assertIn('online=0 total=6', read(gw.log_path))
        finally:
            gw.close()
        self.assertNotIn('S3 endpoint', read(gw.log_path))

    def test_plain_http_to_the_tls_port_gets_no_answer(self):
        url = self.node_url.replace('https://', 'http://') + '/internal/v1/ping'
        with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)) as caught:
            with urllib.request.urlopen(url, timeout=10) as response:
                response.read()
        self.assertNotIsInstance(caught.exception, urllib.error.HTTPError)


if __name__ == '__main__':
    unittest.main()
