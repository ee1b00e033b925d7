"""The admin listener and `strata admin`: status, users and their policies, the admin API's
authentication, hostile admin input, and the access log.

Users are S3 credentials besides the root ones: readwrite (every S3 operation) or readonly
(reads only: writes answer AccessDenied). A removed user's key stops working at once; users
survive a restart. The admin API takes SigV4 (service "strata") by the root credentials only.
Run: python3 -m unittest -v test_admin.py (STRATA_BIN=path/to/strata).
"""

import hashlib
import http.client
import json
import os
import re
import subprocess
import unittest
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import strata_harness as h


def run_admin(server, *args, env=None, endpoint=None):
    """`strata admin --endpoint ADMIN ARGS...` with the root credentials; CompletedProcess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith('STRATA_')}
    full_env.update({'STRATA_ACCESS_KEY': h.ACCESS_KEY, 'STRATA_SECRET_KEY': h.SECRET_KEY})
    full_env.update(env or {})
    full_env = {k: v for k, v in full_env.items() if v is not None}
    cmd = [h.strata_binary(), 'admin', '--endpoint', endpoint or server.admin_endpoint] + list(args)
    return subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=60)


def parse_user(stdout):
    """{'name':..., 'access key':..., 'secret key':..., 'policy':...} from `user add` output."""
    out = {}
    for line in stdout.splitlines():
        if ':' in line and not line.startswith('('):
            k, v = line.split(':', 1)
            out[k.strip()] = v.strip()
    return out


class AdminApi:
    """Raw requests to the admin listener, signed like `strata admin` signs them (or not)."""

    def __init__(self, endpoint):
        u = urllib.parse.urlsplit(endpoint)
        self.host, self.port = u.hostname, u.port

    def request(self, method, path, body=b'', *, sign=True, access_key=h.ACCESS_KEY,
                secret_key=h.SECRET_KEY, service='strata', payload_hash=None, headers=None):
        url = f'http://{self.host}:{self.port}{path}'
        req_headers = {'x-amz-content-sha256': payload_hash or hashlib.sha256(body).hexdigest()}
        req_headers.update(headers or {})
        req = AWSRequest(method=method, url=url, data=body, headers=req_headers)
        if sign:
            SigV4Auth(Credentials(access_key, secret_key), service, h.REGION).add_auth(req)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=dict(req.headers.items()))
            res = conn.getresponse()
            data = res.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return res.status, parsed, data


class AdminTest(h.StrataTestCase):

    EXTRA_ARGS = ['--access-log']

    def setUp(self):
        super().setUp()
        self.api = AdminApi(self.server.admin_endpoint)

    def add_user(self, name, *extra):
        result = run_admin(self.server, 'user', 'add', name, *extra)
        self.assertEqual(result.returncode, 0, result.stderr)
        return parse_user(result.stdout)

    def client_for(self, user):
        return self.server.client(access_key=user['access key'], secret_key=user['secret key'])

    def test_status_and_health(self):
        """status shows the pool, the erasure set and six online drives; health answers."""
        result = run_admin(self.server, 'status')
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('12 of 12 online', result.stdout)
        self.assertIn('pool hot, erasure set 1 (4+2)', result.stdout)
        self.assertIn('pool cold, erasure set 1 (4+2)', result.stdout)
        self.assertEqual(len(re.findall(r'^  (hot|cold)/drive\d\s+online ', result.stdout, re.M)),
                         12, result.stdout)
        raw = run_admin(self.server, '--json', 'status')
        self.assertEqual(raw.returncode, 0, raw.stderr)
        status = json.loads(raw.stdout)
        self.assertTrue(status['ready'])
        self.assertEqual(status['drives_total'], 12)
        self.assertEqual([p['name'] for p in status['pools']], ['hot', 'cold'])
        drives = [d for p in status['pools'] for d in p['sets'][0]['drives']]
        self.assertEqual(len(drives), 12)
        for d in drives:
            self.assertTrue(d['online'])
            self.assertGreater(d['capacity_bytes'], 0)
            self.assertLessEqual(d['used_bytes'], d['capacity_bytes'])
        for path, want in (('/health/live', 200), ('/health/ready', 200)):
            code, body, _ = self.api.request('GET', path, sign=False)
            self.assertEqual(code, want, path)
        code, body, _ = self.api.request('GET', '/health/ready', sign=False)
        self.assertEqual(body['drives_online'], 12)

    def test_readwrite_and_readonly_users(self):
        """A readwrite user does everything; a readonly user reads and is refused every write."""
        rw = self.add_user('writer', '--policy', 'readwrite')
        ro = self.add_user('reader', '--policy', 'readonly')
        self.assertEqual(ro['policy'], 'readonly')
        self.assertRegex(ro['access key'], r'^[A-Z2-7]{20}$')
        self.assertGreaterEqual(len(ro['secret key']), 40)
        writer, reader = self.client_for(rw), self.client_for(ro)

        bucket = h.unique_bucket('users')
        writer.create_bucket(Bucket=bucket)
        writer.put_object(Bucket=bucket, Key='a.txt', Body=b'hello')
        self.assertEqual(reader.get_object(Bucket=bucket, Key='a.txt')['Body'].read(), b'hello')
        reader.head_object(Bucket=bucket, Key='a.txt')
        self.assertEqual(reader.list_objects_v2(Bucket=bucket)['KeyCount'], 1)
        self.assertIn(bucket, [b['Name'] for b in reader.list_buckets()['Buckets']])
        reader.get_object_tagging(Bucket=bucket, Key='a.txt')

        refused = [
            (reader.put_object, dict(Bucket=bucket, Key='b.txt', Body=b'x')),
            (reader.delete_object, dict(Bucket=bucket, Key='a.txt')),
            (reader.create_bucket, dict(Bucket=h.unique_bucket('ro'))),
            (reader.delete_bucket, dict(Bucket=bucket)),
            (reader.create_multipart_upload, dict(Bucket=bucket, Key='m')),
            (reader.put_object_tagging, dict(Bucket=bucket, Key='a.txt',
                                             Tagging={'TagSet': [{'Key': 'k', 'Value': 'v'}]})),
            (reader.copy_object, dict(Bucket=bucket, Key='c.txt',
                                      CopySource={'Bucket': bucket, 'Key': 'a.txt'})),
            (reader.put_bucket_versioning, dict(Bucket=bucket, VersioningConfiguration={
                'Status': 'Enabled'})),
            (reader.delete_objects, dict(Bucket=bucket, Delete={'Objects': [{'Key': 'a.txt'}]})),
        ]
        for fn, kwargs in refused:
            with self.subTest(op=fn.__name__):
                self.assertS3Error('AccessDenied', 403, fn, **kwargs)
        # Nothing a refused write touched changed.
        self.assertEqual(self.s3.get_object(Bucket=bucket, Key='a.txt')['Body'].read(), b'hello')
        self.assertEqual(self.s3.list_objects_v2(Bucket=bucket)['KeyCount'], 1)

        # Wrong secrets and unknown keys are told apart, as S3 does.
        bad = self.server.client(access_key=ro['access key'], secret_key='not-the-secret')
        self.assertS3Error('SignatureDoesNotMatch', 403, bad.list_buckets)
        unknown = self.server.client(access_key='NOSUCHKEY0000', secret_key='whatever-secret')
        self.assertS3Error('InvalidAccessKeyId', 403, unknown.list_buckets)

    def test_list_and_remove_stop_the_key_at_once(self):
        user = self.add_user('temp', '--access-key', 'TEMPKEY123', '--secret-key', 'temp-secret-1')
        self.assertEqual(user['access key'], 'TEMPKEY123')
        listed = run_admin(self.server, 'user', 'list')
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertRegex(listed.stdout, r'temp\s+TEMPKEY123\s+readwrite')
        self.assertNotIn('temp-secret-1', listed.stdout)
        client = self.client_for(user)
        client.list_buckets()
        removed = run_admin(self.server, 'user', 'remove', 'temp')
        self.assertEqual(removed.returncode, 0, removed.stderr)
        self.assertS3Error('InvalidAccessKeyId', 403, client.list_buckets)
        self.assertNotIn('TEMPKEY123', run_admin(self.server, 'user', 'list').stdout)

    def test_cli_errors_are_clear(self):
        wrong = run_admin(self.server, 'user', 'list', env={'STRATA_SECRET_KEY': 'wrong-secret'})
        self.assertEqual(wrong.returncode, 1)
        self.assertIn('SignatureDoesNotMatch', wrong.stderr)
        self.assertIn('STRATA_ACCESS_KEY', wrong.stderr)
        unknown = run_admin(self.server, 'status', env={'STRATA_ACCESS_KEY': 'NOTROOT'})
        self.assertEqual(unknown.returncode, 1)
        self.assertIn('InvalidAccessKeyId', unknown.stderr)
        missing = run_admin(self.server, 'status', env={'STRATA_SECRET_KEY': None})
        self.assertEqual(missing.returncode, 2)
        self.assertIn('STRATA_SECRET_KEY', missing.stderr)
        self.assertEqual(run_admin(self.server, 'frobnicate').returncode, 2)
        self.assertEqual(run_admin(self.server, 'user', 'add').returncode, 2)
        self.assertEqual(run_admin(self.server, 'status', endpoint='ftp://x').returncode, 2)
        unreachable = run_admin(self.server, 'status', endpoint='http://127.0.0.1:1')
        self.assertEqual(unreachable.returncode, 1)
        self.assertIn('cannot reach', unreachable.stderr)

        self.add_user('dup')
        again = run_admin(self.server, 'user', 'add', 'dup')
        self.assertEqual(again.returncode, 1)
        self.assertIn('AlreadyExists', again.stderr)
        taken = run_admin(self.server, 'user', 'add', 'other', '--access-key', h.ACCESS_KEY,
                          '--secret-key', 'something-long')
        self.assertEqual(taken.returncode, 1)
        self.assertIn('AlreadyExists', taken.stderr)
        nobody = run_admin(self.server, 'user', 'remove', 'nobody')
        self.assertEqual(nobody.returncode, 1)
        self.assertIn('NotFound', nobody.stderr)
        policy = run_admin(self.server, 'user', 'add', 'p', '--policy', 'admin')
        self.assertEqual(policy.returncode, 1)
        self.assertIn('InvalidArgument', policy.stderr)
        name = run_admin(self.server, 'user', 'add', 'bad name')
        self.assertEqual(name.returncode, 1)
        self.assertIn('InvalidArgument', name.stderr)

    def test_admin_api_refuses_what_is_not_signed_by_root(self):
        ok, body, _ = self.api.request('GET', '/admin/v1/users')
        self.assertEqual(ok, 200, body)
        cases = {
            'unsigned': dict(sign=False),
            's3 service scope': dict(service='s3'),
            'wrong secret': dict(secret_key='nope-nope-nope'),
            'unknown key': dict(access_key='SOMEONE'),
        }
        for label, kwargs in cases.items():
            with self.subTest(label):
                code, err, raw = self.api.request('GET', '/admin/v1/users', **kwargs)
                self.assertIn(code, (400, 403), raw)
                self.assertIn('Code', err)
                self.assertNotIn('users', err)
        # A user's key, valid for S3, is not valid for the admin API.
        user = self.add_user('s3only')
        code, err, _ = self.api.request('GET', '/admin/v1/users', access_key=user['access key'],
                                        secret_key=user['secret key'])
        self.assertEqual(code, 403)
        self.assertEqual(err['Code'], 'InvalidAccessKeyId')
        # SigV2 is not accepted here.
        code, err, _ = self.api.request('GET', '/admin/v1/status', sign=False,
                                        headers={'Authorization': f'AWS {h.ACCESS_KEY}:c2lnbmF0dXJl'})
        self.assertIn(code, (400, 403))

    def test_admin_api_hostile_bodies_and_routes(self):
        put = '/admin/v1/users/hostile'
        # The body must be what was signed.
        code, err, _ = self.api.request('PUT', put, b'{"policy":"readonly"}',
                                        payload_hash=hashlib.sha256(b'{}').hexdigest())
        self.assertEqual((code, err['Code']), (400, 'XAmzContentSHA256Mismatch'))
        code, err, _ = self.api.request('PUT', put, b'{}', payload_hash='UNSIGNED-PAYLOAD')
        self.assertEqual((code, err['Code']), (400, 'InvalidRequest'))
        for body in (b'', b'not json', b'[1,2]', b'{"policy": 7}', b'{"policy": "root"}',
                     b'{"unknown": "x"}', b'{"policy": "readonly"', b'\xff\xfe\x00',
                     b'{"access_key": "AK"}', b'{"access_key": "AKEY1", "secret_key": "a b c d e f g"}'):
            with self.subTest(body=body):
                code, err, raw = self.api.request('PUT', put, body)
                self.assertEqual(code, 400, raw)
                self.assertIn(err['Code'], ('InvalidArgument', 'MalformedJSON'))
        code, err, _ = self.api.request('PUT', put, b'{"x": "' + b'a' * (100 << 10) + b'"}')
        self.assertEqual((code, err['Code']), (413, 'EntityTooLarge'))
        deep = b'[' * 5000 + b']' * 5000
        code, err, _ = self.api.request('PUT', put, deep)
        self.assertEqual(code, 400)
        code, err, _ = self.api.request('PUT', '/admin/v1/users/' + 'x' * 100, b'{}')
        self.assertEqual((code, err['Code']), (400, 'InvalidArgument'))
        code, err, _ = self.api.request('PUT', '/admin/v1/users/a%2Fb', b'{}')
        self.assertIn(code, (400, 403))  # a bad name, or a path the signer normalised
        code, err, _ = self.api.request('GET', '/admin/v1/nothing')
        self.assertEqual((code, err['Code']), (404, 'NotFound'))
        code, err, _ = self.api.request('POST', '/admin/v1/status')
        self.assertEqual((code, err['Code']), (405, 'MethodNotAllowed'))
        code, err, _ = self.api.request('DELETE', '/metrics', sign=False)
        self.assertEqual(code, 405)
        code, err, _ = self.api.request('GET', '/../../etc/passwd', sign=False)
        self.assertEqual(code, 404)
        # None of it made a user, and the listener still serves.
        self.assertNotIn('hostile', run_admin(self.server, 'user', 'list').stdout)
        code, _, _ = self.api.request('GET', '/health/live', sign=False)
        self.assertEqual(code, 200)

    def test_admin_routes_are_not_on_the_s3_port(self):
        s3 = AdminApi(self.server.endpoint)
        code, _, raw = s3.request('GET', '/admin/v1/users')
        # An S3 request for bucket "admin", signed for the wrong service.
        self.assertEqual(code, 400, raw)
        self.assertIn(b'AuthorizationHeaderMalformed', raw)
        code, _, raw = s3.request('GET', '/metrics', sign=False)
        self.assertEqual(code, 403, raw)

    def test_access_log_has_request_ids_and_no_secrets(self):
        user = self.add_user('logged')
        client = self.client_for(user)
        bucket = h.unique_bucket('log')
        self.s3.create_bucket(Bucket=bucket)
        resp = client.put_object(Bucket=bucket, Key='k', Body=b'12345')
        request_id = resp['ResponseMetadata']['RequestId']
        self.assertS3Error('NoSuchKey', 404, client.get_object, Bucket=bucket, Key='missing')
        with open(self.server.stderr_path, errors='replace') as f:
            log = f.read()
        lines = [l for l in log.splitlines() if f'request_id={request_id}' in l]
        self.assertEqual(len(lines), 1, log[-2000:])
        line = lines[0]
        for field in ('msg=access', 'api=PutObject', f'bucket={bucket}', 'key=k', 'status=200',
                      'rx=5', f'access_key={user["access key"]}'):
            self.assertIn(field, line)
        self.assertRegex(log, r'api=GetObject .*status=404 error=NoSuchKey')
        for secret in (h.SECRET_KEY, user['secret key']):
            self.assertNotIn(secret, log)


class AdminRestartTest(h.StrataTestCase):
    SERVER_PER_TEST = True

    def test_users_survive_a_restart(self):
        add = run_admin(self.server, 'user', 'add', 'keeper', '--policy', 'readonly')
        self.assertEqual(add.returncode, 0, add.stderr)
        user = parse_user(add.stdout)
        gone = parse_user(run_admin(self.server, 'user', 'add', 'goner').stdout)
        self.assertEqual(run_admin(self.server, 'user', 'remove', 'goner').returncode, 0)
        bucket = h.unique_bucket('keep')
        self.s3.create_bucket(Bucket=bucket)
        self.s3.put_object(Bucket=bucket, Key='k', Body=b'v')

        self.server.restart()
        self.refresh_client()
        client = self.server.client(access_key=user['access key'], secret_key=user['secret key'])
        self.assertEqual(client.get_object(Bucket=bucket, Key='k')['Body'].read(), b'v')
        self.assertS3Error('AccessDenied', 403, client.put_object, Bucket=bucket, Key='x',
                           Body=b'x')
        old = self.server.client(access_key=gone['access key'], secret_key=gone['secret key'])
        self.assertS3Error('InvalidAccessKeyId', 403, old.list_buckets)
        listed = run_admin(self.server, 'user', 'list')
        self.assertIn('keeper', listed.stdout)
        self.assertNotIn('goner', listed.stdout)


if __name__ == '__main__':
    unittest.main()
