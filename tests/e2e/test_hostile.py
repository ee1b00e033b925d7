"""Hostile HTTP against the real server over raw sockets.

Each test sends something malformed or abusive; the server must answer with an S3 error XML
(<Error><Code>) or close the connection, must not store anything half-received, and must
afterwards still serve signed requests with every stored object unchanged (checked in
tearDown). Run: python3 -m unittest -v test_hostile.py (STRATA_BIN=...).
"""

import base64
import datetime
import hashlib
import unittest
from unittest import mock

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import strata_harness as h
from strata_harness import KiB, MiB


class SignerSelfTest(unittest.TestCase):
    """The raw-request signer must be right, or every raw test would fail for the wrong reason."""

    def test_matches_botocore(self):
        now = datetime.datetime(2024, 5, 6, 7, 8, 9)
        body = b'hello world'
        url = 'http://127.0.0.1:9000/bkt/a%20b/c%2Bd~e?uploads=&x-id=Put%20It'
        request = AWSRequest('PUT', url, data=body, headers={'Content-Type': 'text/plain',
                                                             'x-amz-meta-k': '  v  w '})
        with mock.patch('botocore.auth.get_current_datetime', return_value=now):
            S3SigV4Auth(Credentials(h.ACCESS_KEY, h.SECRET_KEY), 's3', h.REGION).add_auth(request)
        ours = h.sign_v4('PUT', '127.0.0.1:9000', '/bkt/a%20b/c%2Bd~e',
                         [('uploads', ''), ('x-id', 'Put It')],
                         [('Content-Type', 'text/plain'), ('x-amz-meta-k', '  v  w ')],
                         hashlib.sha256(body).hexdigest(),
                         now=now.replace(tzinfo=datetime.timezone.utc))
        self.assertEqual(dict(ours.headers)['Authorization'], request.headers['Authorization'])

    def test_chunk_signatures_match_aws_example(self):
        # The worked example of the AWS "Signature Calculations for the Authorization Header:
        # Transferring Payload in Multiple Chunks" page.
        secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
        request = h.sign_v4(
            'PUT', 's3.amazonaws.com', '/examplebucket/chunkObject.txt',
            headers=[('x-amz-storage-class', 'REDUCED_REDUNDANCY'),
                     ('Content-Encoding', 'aws-chunked'), ('Content-Length', '66824'),
                     ('x-amz-decoded-content-length', '66560')],
            payload_hash='STREAMING-AWS4-HMAC-SHA256-PAYLOAD', access_key='AKIAIOSFODNN7EXAMPLE',
            secret_key=secret, now=datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc))
        self.assertEqual(request.signature,
                         '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9')
        first = h.chunk_signature(secret, request, request.signature, b'a' * 65536)
        self.assertEqual(first, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648')
        second = h.chunk_signature(secret, request, first, b'a' * 1024)
        self.assertEqual(second,
                         '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497')
        final = h.chunk_signature(secret, request, second, b'')
        self.assertEqual(final, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9')


class HostileTest(h.StrataTestCase):
    ERROR_STATUSES = (400, 411, 413, 414, 431, 501, 505)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('hostile')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.stored = {'sentinel-inline': h.random_bytes(1000),
                      'sentinel-erasure': h.random_bytes(300 * KiB + 1)}
        for key, data in cls.stored.items():
            cls.s3.put_object(Bucket=cls.bucket, Key=key, Body=data)

    def tearDown(self):
        super().tearDown()  # reports (and recovers from) a server crash first
        if not self.current_test_failed():
            try:
                self.assertHealthy()
            except BaseException:
                self.fixture.failed = True
                raise

    def assertHealthy(self):
        """A fresh signed client still works and every stored object is unchanged."""
        self.assertTrue(self.server.running, 'server process died')
        client = self.server.client()
        for key, data in self.stored.items():
            body = client.get_object(Bucket=self.bucket, Key=key)['Body'].read()
            self.assertTrue(body == data, f'{key} changed after a hostile request')
        listed = client.list_objects_v2(Bucket=self.bucket)
        missing = set(self.stored) - {o['Key'] for o in listed.get('Contents', [])}
        self.assertEqual(missing, set(), 'stored objects missing from the listing')

    # -- helpers ---------------------------------------------------------------------------------

    @property
    def host(self):
        return f'127.0.0.1:{self.server.port}'

    def exchange(self, data, close_write=False, head=False):
        """Sends raw bytes on a new connection and reads one response (None = closed)."""
        with self.server.raw() as conn:
            conn.send(data)
            if close_write:
                conn.shutdown_write()
            return conn.read_response(head=head)

    def assertErrorOrClosed(self, resp, statuses=ERROR_STATUSES, code=None):
        if resp is None:
            return
        self.assertIn(resp.status, statuses, f'unexpected answer {resp!r}')
        got = resp.error_code()
        self.assertIsNotNone(got, f'error response without S3 error XML: {resp!r}')
        if code:
            self.assertEqual(got, code, resp)

    def signed(self, method, key='', query=(), headers=(), body=b'', bucket=None):
        payload = hashlib.sha256(body).hexdigest()
        return h.sign_v4(method, self.host, h.object_path(bucket or self.bucket, key), query,
                         headers, payload)

    def unsigned_payload_put(self, key, headers=()):
        return h.sign_v4('PUT', self.host, h.object_path(self.bucket, key), headers=headers,
                         payload_hash=h.UNSIGNED_PAYLOAD)

    # -- request line and headers ---------------------------------------------------------------

    def test_garbage_request_lines(self):
        for raw, statuses in (
                (b'GARBAGE\r\n\r\n', (400,)),
                (b'\x00\x01\x02\xff binary\r\n\r\n', (400,)),
                (b'GET / HTTP/9.9\r\nHost: x\r\n\r\n', (400, 403, 505)),
                (b'GET\r\n\r\n', (400,)),
                (b'GET /' + b'a' * 100 + b' HTTP/1.1 extra\r\n\r\n', (400,)),
                (b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', (400, 505)),
                (b'\r\n' * 20, (400,))):
            with self.subTest(raw=raw[:40]):
                self.assertErrorOrClosed(self.exchange(raw, close_write=True), statuses)

    def test_header_of_100_kib(self):
        request = self.signed('GET', 'sentinel-inline')
        raw = request.to_bytes(extra_headers=[('X-Pad', 'a' * (100 * KiB))])
        self.assertErrorOrClosed(self.exchange(raw))

    def test_ten_thousand_headers(self):
        request = self.signed('GET', 'sentinel-inline')
        raw = request.to_bytes(extra_headers=[(f'X-H-{i}', 'v') for i in range(10000)])
        self.assertErrorOrClosed(self.exchange(raw))

    def test_uri_of_100_kib(self):
        raw = b'GET /' + self.bucket.encode() + b'/' + b'k' * (100 * KiB) + \
            b' HTTP/1.1\r\nHost: ' + self.host.encode() + b'\r\n\r\n'
        # 403 (unsigned) or KeyTooLongError are fine if the server reads a URI that long.
        self.assertErrorOrClosed(self.exchange(raw), statuses=(400, 403, 414, 431))

    def test_header_without_colon(self):
        raw = (f'GET /{self.bucket}/sentinel-inline HTTP/1.1\r\nHost: {self.host}\r\n'
               'this line has no colon\r\n\r\n').encode()
        self.assertErrorOrClosed(self.exchange(raw, close_write=True))

    def test_unknown_method(self):
        request = h.sign_v4('BREW', self.host, h.object_path(self.bucket, 'sentinel-inline'))
        resp = self.exchange(request.to_bytes())
        self.assertErrorOrClosed(resp, statuses=(400, 405, 501))

    # -- bodies ----------------------------------------------------------------------------------

    def test_bad_content_length(self):
        for values in (['abc'], ['-1'], ['5', '6'], ['1e3'], ['0x10'], ['5 5'],
                       ['99999999999999999999999']):
            with self.subTest(content_length=values):
                key = 'bad-cl'
                request = self.unsigned_payload_put(key)
                raw = request.to_bytes(content_length=False,
                                       extra_headers=[('Content-Length', v) for v in values])
                self.assertErrorOrClosed(self.exchange(raw + b'hello', close_write=True))
                self.assertNoSuchKey(self.bucket, key)

    def test_truncated_body_then_close(self):
        for total, sent in ((1000, 500), (1 * MiB, 600 * KiB)):
            with self.subTest(content_length=total, sent=sent):
                key = f'truncated-{total}'
                shards_before = self.server.shard_counts()
                request = self.unsigned_payload_put(key)
                raw = request.to_bytes(content_length=False,
                                       extra_headers=[('Content-Length', str(total))])
                with self.server.raw() as conn:
                    conn.send(raw + h.random_bytes(sent))
                # The server sees EOF mid-body; nothing may become visible, and any shard file
                # it wrote must go away.
                self.assertNoSuchKey(self.bucket, key)
                h.wait_for(lambda: self.server.shard_counts() == shards_before, 15,
                           'shard files of the cut upload to disappear')

    def test_body_longer_than_content_length(self):
        request = self.unsigned_payload_put('longer-body')
        raw = request.to_bytes(content_length=False, extra_headers=[('Content-Length', '10')])
        with self.server.raw() as conn:
            conn.send(raw + b'0123456789' + b'JUNKJUNK\r\n\r\n')
            first = conn.read_response()
            self.assertIsNotNone(first, 'no response to the PUT')
            self.assertEqual(first.status, 200, first)
            self.assertErrorOrClosed(conn.read_response())
        self.stored['longer-body'] = b'0123456789'
        self.assertObjectEquals(self.bucket, 'longer-body', b'0123456789')

    def test_bad_chunked_encoding(self):
        request = self.unsigned_payload_put('bad-chunked')
        raw = request.to_bytes(content_length=False,
                               extra_headers=[('Transfer-Encoding', 'chunked')])
        self.assertErrorOrClosed(self.exchange(raw + b'zz\r\nhello\r\n0\r\n\r\n',
                                               close_write=True))
        self.assertNoSuchKey(self.bucket, 'bad-chunked')

    def test_error_with_unread_body_then_reuse(self):
        # A refused PUT whose body the server did not read: the connection must either be
        # closed or drained, never parse the body as the next request.
        body = b'GET /x HTTP/1.1\r\n\r\n' * 20000  # 380 KiB that looks like requests
        missing = h.unique_bucket('missing')
        request = h.sign_v4('PUT', self.host, h.object_path(missing, 'k'),
                            payload_hash=h.UNSIGNED_PAYLOAD)
        follow = self.signed('GET', 'sentinel-inline')
        with self.server.raw() as conn:
            conn.send(request.to_bytes(body))
            first = conn.read_response()
            self.assertIsNotNone(first, 'no answer to a PUT into a missing bucket')
            self.assertEqual((first.status, first.error_code()), (404, 'NoSuchBucket'), first)
            if conn.send(follow.to_bytes()):
                second = conn.read_response()
                if second is not None:
                    self.assertEqual(second.status, 200, second)
                    self.assertEqual(second.body, self.stored['sentinel-inline'])

    # -- malformed XML ---------------------------------------------------------------------------

    def post_delete(self, body):
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        request = self.signed('POST', query=[('delete', '')], headers=[('Content-MD5', md5)],
                              body=body)
        return self.exchange(request.to_bytes(body))

    def test_malformed_delete_objects(self):
        for body in (b'<Delete><Object><Key>sentinel-inline</Key></Object>',
                     b'not xml at all', b'',
                     b'<Foo><Object><Key>sentinel-inline</Key></Object></Foo>',
                     b'<Delete><Object><Key>sentinel-erasure</Key></Object></Delete>trailing<'):
            with self.subTest(body=body[:40]):
                resp = self.post_delete(body)
                self.assertIsNotNone(resp)
                self.assertEqual((resp.status, resp.error_code()), (400, 'MalformedXML'), resp)

    def test_delete_objects_over_1000_keys(self):
        keys = ''.join(f'<Object><Key>k{i}</Key></Object>' for i in range(1001))
        resp = self.post_delete(f'<Delete>{keys}</Delete>'.encode())
        self.assertIsNotNone(resp)
        self.assertEqual((resp.status, resp.error_code()), (400, 'MalformedXML'), resp)

    def test_delete_objects_xml_entity_expansion(self):
        # "Billion laughs": 10^9 'a's if the parser expands entities. It must not.
        levels = ['<!ENTITY l0 "aaaaaaaaaa">'] + [
            f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 9)]
        body = ('<?xml version="1.0"?><!DOCTYPE Delete [' + ''.join(levels) + ']>'
                '<Delete><Object><Key>&l8;</Key></Object></Delete>').encode()
        resp = self.post_delete(body)
        self.assertIsNotNone(resp, 'connection closed (server crashed?)')
        self.assertIn(resp.status, (200, 400), resp)
        if resp.status == 400:
            self.assertIsNotNone(resp.error_code(), resp)
        else:
            self.assertLess(len(resp.body), 64 * KiB, 'entities were expanded')

    def test_malformed_complete_multipart_upload(self):
        upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key='mpu')['UploadId']
        part = self.s3.upload_part(Bucket=self.bucket, Key='mpu', UploadId=upload_id,
                                   PartNumber=1, Body=b'part')
        for body in (b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>',
                     b'garbage', b'<CompleteMultipartUpload><Part><PartNumber>one</PartNumber>'
                     b'<ETag>' + part['ETag'].encode() + b'</ETag></Part>'
                     b'</CompleteMultipartUpload>'):
            with self.subTest(body=body[:40]):
                request = self.signed('POST', 'mpu', query=[('uploadId', upload_id)], body=body)
                resp = self.exchange(request.to_bytes(body))
                self.assertIsNotNone(resp)
                self.assertEqual(resp.status, 400, resp)
                self.assertIn(resp.error_code(), ('MalformedXML', 'InvalidArgument'), resp)
        self.assertNoSuchKey(self.bucket, 'mpu')
        parts = self.s3.list_parts(Bucket=self.bucket, Key='mpu', UploadId=upload_id)['Parts']
        self.assertEqual([p['PartNumber'] for p in parts], [1], 'upload survives bad XML')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='mpu', UploadId=upload_id)

    def test_malformed_create_bucket_configuration(self):
        for body in (b'<CreateBucketConfiguration><LocationConstraint>',
                     b'{"json": "instead"}'):
            with self.subTest(body=body[:40]):
                name = h.unique_bucket('badxml')
                request = self.signed('PUT', body=body, bucket=name)
                resp = self.exchange(request.to_bytes(body))
                self.assertIsNotNone(resp)
                self.assertEqual((resp.status, resp.error_code()), (400, 'MalformedXML'), resp)
                self.assertS3Error('404', 404, self.s3.head_bucket, Bucket=name)

    # -- ranges and 100-continue -----------------------------------------------------------------

    def test_invalid_range_syntax_is_ignored(self):
        for key, data in self.stored.items():
            for header in ('bytes=abc', 'bytes=5-2', 'items=0-5', 'bytes=--1', 'bytes=',
                           'bytes=1-2-3'):
                with self.subTest(key=key, range=header):
                    resp = self.s3.get_object(Bucket=self.bucket, Key=key, Range=header)
                    self.assertEqual(resp['ResponseMetadata']['HTTPStatusCode'], 200, header)
                    self.assertNotIn('ContentRange', resp)
                    self.assertTrue(resp['Body'].read() == data, f'{header}: full body expected')

    def test_expect_100_continue(self):
        for size in (1000, 400 * KiB):
            with self.subTest(size=size):
                data = h.random_bytes(size)
                key = f'continue-{size}'
                request = self.unsigned_payload_put(key, headers=[('Expect', '100-continue')])
                with self.server.raw() as conn:
                    conn.send(request.to_bytes(content_length=False, extra_headers=[
                        ('Content-Length', str(size))]))
                    interim = conn.read_response()
                    self.assertIsNotNone(interim, 'closed instead of 100 Continue')
                    self.assertEqual(interim.status, 100, interim)
                    conn.send(data)
                    final = conn.read_final_response()
                self.assertIsNotNone(final)
                self.assertEqual(final.status, 200, final)
                self.assertEqual(final.header('etag'), h.quoted_md5(data))
                self.stored[key] = data
                self.assertObjectEquals(self.bucket, key, data)

    def test_expect_100_continue_with_bad_signature(self):
        request = h.sign_v4('PUT', self.host, h.object_path(self.bucket, 'continue-denied'),
                            headers=[('Expect', '100-continue')], payload_hash=h.UNSIGNED_PAYLOAD,
                            secret_key='not-the-secret')
        with self.server.raw() as conn:
            conn.send(request.to_bytes(content_length=False,
                                       extra_headers=[('Content-Length', '100000')]))
            resp = conn.read_response()
            if resp is not None and resp.status == 100:
                conn.send(b'x' * 100000)  # allowed, if wasteful: check the final answer
                resp = conn.read_final_response()
        self.assertIsNotNone(resp, 'closed without an answer')
        self.assertEqual((resp.status, resp.error_code()), (403, 'SignatureDoesNotMatch'), resp)
        self.assertNoSuchKey(self.bucket, 'continue-denied')

    # -- keys and paths ---------------------------------------------------------------------------

    def test_path_traversal_key_stays_a_key(self):
        self.s3.put_object(Bucket=self.bucket, Key='../../../../etc/strata-e2e', Body=b'no')
        self.stored['../../../../etc/strata-e2e'] = b'no'
        self.assertObjectEquals(self.bucket, '../../../../etc/strata-e2e', b'no')
        self.assertNoSuchKey(self.bucket, 'etc/strata-e2e')

    def test_nul_in_key_refused(self):
        request = self.signed('PUT', 'nul\x00key', body=b'x')
        resp = self.exchange(request.to_bytes(b'x'))
        self.assertErrorOrClosed(resp, statuses=(400,))


if __name__ == '__main__':
    unittest.main()
