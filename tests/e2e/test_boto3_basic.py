"""boto3 against a real strata server: buckets, objects, ranges, conditionals, copy, listing,
auth, presigned URLs, flexible checksums, aws-chunked uploads and unsupported APIs.

One server per test class; each test makes its own bucket(s). Run: python3 -m unittest -v
test_boto3_basic.py (STRATA_BIN=path/to/strata).
"""

import base64
import concurrent.futures
import datetime
import email.utils
import hashlib
import threading
import unittest
import urllib.parse
from unittest import mock


import strata_harness as h
from strata_harness import KiB, MiB

UTC = datetime.timezone.utc
SIZES = [0, 1, 128 * KiB - 1, 128 * KiB, 128 * KiB + 1, 1 * MiB, 5 * MiB + 7]


def http_date(dt):
    return email.utils.format_datetime(dt.astimezone(UTC), usegmt=True)


class BucketTest(h.StrataTestCase):

    def test_create_head_list_delete(self):
        name = h.unique_bucket('life')
        self.s3.create_bucket(Bucket=name)
        self.s3.head_bucket(Bucket=name)
        names = [b['Name'] for b in self.s3.list_buckets()['Buckets']]
        self.assertIn(name, names, 'new bucket missing from ListBuckets')
        resp = self.s3.delete_bucket(Bucket=name)
        self.assertEqual(resp['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertS3Error('404', 404, self.s3.head_bucket, Bucket=name)
        names = [b['Name'] for b in self.s3.list_buckets()['Buckets']]
        self.assertNotIn(name, names, 'deleted bucket still listed')

    def test_list_buckets_has_owner_and_creation_date(self):
        name = self.new_bucket('own')
        resp = self.s3.list_buckets()
        self.assertTrue(resp.get('Owner', {}).get('ID'), f'ListBuckets without Owner: {resp}')
        entry = [b for b in resp['Buckets'] if b['Name'] == name][0]
        age = datetime.datetime.now(UTC) - entry['CreationDate']
        self.assertLess(abs(age.total_seconds()), 300, f'CreationDate off: {entry}')

    def test_invalid_bucket_names(self):
        bad = ['ab', 'x' * 64, 'UpperCase', 'under_score', '-leading-dash', 'trailing-dash-',
               'double..dot', '192.168.1.10', '.leading-dot', 'trailing-dot.', 'xn--punycode']
        for name in bad:
            with self.subTest(bucket=name):
                self.assertS3Error('InvalidBucketName', 400, self.s3.create_bucket, Bucket=name)

    def test_valid_edge_bucket_names(self):
        for name in ['abc', 'x' * 63, 'a.b-c.d1', '1digits2']:
            with self.subTest(bucket=name):
                self.s3.create_bucket(Bucket=name)
                self.s3.head_bucket(Bucket=name)
                self.s3.delete_bucket(Bucket=name)

    def test_recreate_own_bucket(self):
        name = self.new_bucket('again')
        self.assertS3Error('BucketAlreadyOwnedByYou', 409, self.s3.create_bucket, Bucket=name)

    def test_location_is_us_east_1(self):
        name = self.new_bucket('loc')
        resp = self.s3.get_bucket_location(Bucket=name)
        # S3 reports us-east-1 as an empty LocationConstraint.
        self.assertIsNone(resp.get('LocationConstraint'), resp)

    def test_delete_non_empty(self):
        name = self.new_bucket('full')
        self.s3.put_object(Bucket=name, Key='k', Body=b'data')
        self.assertS3Error('BucketNotEmpty', 409, self.s3.delete_bucket, Bucket=name)
        self.assertObjectEquals(name, 'k', b'data')

    def test_missing_bucket(self):
        name = h.unique_bucket('nope')
        self.assertS3Error('404', 404, self.s3.head_bucket, Bucket=name)
        self.assertS3Error('NoSuchBucket', 404, self.s3.delete_bucket, Bucket=name)
        self.assertS3Error('NoSuchBucket', 404, self.s3.list_objects_v2, Bucket=name)
        self.assertS3Error('NoSuchBucket', 404, self.s3.get_object, Bucket=name, Key='k')
        self.assertS3Error('NoSuchBucket', 404, self.s3.put_object, Bucket=name, Key='k',
                           Body=b'x')


class ObjectTest(h.StrataTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('obj')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def test_sizes_round_trip_byte_exact(self):
        for size in SIZES:
            with self.subTest(size=size):
                data = h.random_bytes(size)
                key = f'size/{size}'
                put = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
                self.assertEqual(put['ETag'], h.quoted_md5(data), 'PUT ETag is not the md5')
                head = self.s3.head_object(Bucket=self.bucket, Key=key)
                self.assertEqual(head['ContentLength'], size)
                self.assertEqual(head['ETag'], h.quoted_md5(data), 'HEAD ETag')
                got = self.s3.get_object(Bucket=self.bucket, Key=key)
                self.assertEqual(got['ETag'], h.quoted_md5(data), 'GET ETag')
                body = got['Body'].read()
                self.assertEqual(len(body), size)
                self.assertTrue(body == data, f'{size} bytes: content differs')

    def test_overwrite_across_inline_and_erasure_paths(self):
        key = 'overwrite'
        for size in [100, 300 * KiB, 10, 2 * MiB + 1, 0]:
            with self.subTest(size=size):
                data = h.random_bytes(size)
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
                self.assertObjectEquals(self.bucket, key, data)
        self.assertEqual(self.list_keys(self.bucket, 'overwrite'), ['overwrite'])

    def test_metadata_and_headers_kept(self):
        expires = datetime.datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
        headers = {
            'ContentType': 'text/x-strata; charset=utf-8',
            'ContentEncoding': 'gzip',
            'ContentDisposition': 'attachment; filename="a b.txt"',
            'CacheControl': 'max-age=60, private',
            'ContentLanguage': 'en-GB',
        }
        meta = {'color': 'blue', 'multi-word': 'Hello World', 'Mixed-Case': 'v'}
        self.s3.put_object(Bucket=self.bucket, Key='meta', Body=b'{}', Metadata=meta,
                           Expires=expires, **headers)
        for op in (self.s3.head_object, self.s3.get_object):
            with self.subTest(op=op.__name__):
                resp = op(Bucket=self.bucket, Key='meta')
                for field, value in headers.items():
                    self.assertEqual(resp.get(field), value, f'{field} not kept')
                self.assertEqual(resp['Metadata'],
                                 {'color': 'blue', 'multi-word': 'Hello World', 'mixed-case': 'v'},
                                 'user metadata (S3 lower-cases names)')
                raw = resp['ResponseMetadata']['HTTPHeaders'].get('expires')
                self.assertIsNotNone(raw, 'Expires header missing')
                self.assertEqual(email.utils.parsedate_to_datetime(raw), expires)
                lm = resp['LastModified']
                self.assertLess(abs((datetime.datetime.now(UTC) - lm).total_seconds()), 300,
                                f'Last-Modified far from now: {lm}')

    def test_concurrent_overwrites_leave_one_whole_version(self):
        key = 'contended'
        payloads = [h.random_bytes(300 * KiB + i) for i in range(6)]
        by_md5 = {h.md5_hex(p): i for i, p in enumerate(payloads)}
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=payloads[0])

        def writer(i):
            client = self.server.client()
            for _ in range(3):
                client.put_object(Bucket=self.bucket, Key=key, Body=payloads[i])

        def reader(_):
            client = self.server.client()
            return [h.md5_hex(client.get_object(Bucket=self.bucket, Key=key)['Body'].read())
                    for _ in range(6)]

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            writes = [pool.submit(writer, i) for i in range(len(payloads))]
            reads = [pool.submit(reader, i) for i in range(2)]
            for future in writes:
                future.result()
            seen = [md5 for future in reads for md5 in future.result()]
        self.assertEqual([m for m in seen if m not in by_md5], [],
                         'a concurrent GET returned bytes of no single PUT')
        final = h.md5_hex(self.get_bytes(self.bucket, key))
        self.assertIn(final, by_md5, 'after concurrent PUTs the object is no single version')
        self.assertEqual(self.list_keys(self.bucket, key), [key])

    def test_default_content_type(self):
        self.s3.put_object(Bucket=self.bucket, Key='ctype', Body=b'x')
        ctype = self.s3.head_object(Bucket=self.bucket, Key='ctype')['ContentType']
        self.assertIn(ctype, ('binary/octet-stream', 'application/octet-stream'))

    def test_content_md5_correct(self):
        data = b'content md5 checked'
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        put = self.s3.put_object(Bucket=self.bucket, Key='md5-ok', Body=data, ContentMD5=md5)
        self.assertEqual(put['ETag'], h.quoted_md5(data))

    def test_wrong_content_md5_is_bad_digest_and_stores_nothing(self):
        for size in (20, 200 * KiB):
            with self.subTest(size=size):
                data = h.random_bytes(size)
                wrong = base64.b64encode(hashlib.md5(b'other').digest()).decode()
                key = f'md5-bad-{size}'
                self.assertS3Error('BadDigest', 400, self.s3.put_object, Bucket=self.bucket,
                                   Key=key, Body=data, ContentMD5=wrong)
                self.assertNoSuchKey(self.bucket, key)

    def test_malformed_content_md5_is_invalid_digest(self):
        self.assertS3Error('InvalidDigest', 400, self.s3.put_object, Bucket=self.bucket,
                           Key='md5-malformed', Body=b'abc', ContentMD5='not-base64-md5')
        self.assertNoSuchKey(self.bucket, 'md5-malformed')

    def test_overwrite_with_bad_digest_keeps_old(self):
        self.s3.put_object(Bucket=self.bucket, Key='keep', Body=b'old')
        wrong = base64.b64encode(hashlib.md5(b'x').digest()).decode()
        self.assertS3Error('BadDigest', 400, self.s3.put_object, Bucket=self.bucket,
                           Key='keep', Body=b'new', ContentMD5=wrong)
        self.assertObjectEquals(self.bucket, 'keep', b'old')

    def test_delete_object(self):
        for size in (5, 300 * KiB):
            with self.subTest(size=size):
                key = f'del-{size}'
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=h.random_bytes(size))
                resp = self.s3.delete_object(Bucket=self.bucket, Key=key)
                self.assertEqual(resp['ResponseMetadata']['HTTPStatusCode'], 204)
                self.assertNoSuchKey(self.bucket, key)
                self.assertNotIn(key, self.list_keys(self.bucket, 'del-'))

    def test_delete_missing_key_is_204(self):
        resp = self.s3.delete_object(Bucket=self.bucket, Key='never-existed')
        self.assertEqual(resp['ResponseMetadata']['HTTPStatusCode'], 204)

    def test_missing_key(self):
        err = self.assertS3Error('NoSuchKey', 404, self.s3.get_object, Bucket=self.bucket,
                                 Key='missing/key')
        self.assertIn('Message', err['Error'])
        self.assertS3Error('404', 404, self.s3.head_object, Bucket=self.bucket, Key='missing')

    def test_key_of_1024_bytes(self):
        key = 'k/' + 'é' * 511  # 2 + 1022 bytes of UTF-8
        self.assertEqual(len(key.encode()), 1024)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=b'long')
        self.assertObjectEquals(self.bucket, key, b'long')
        self.assertIn(key, self.list_keys(self.bucket, 'k/'))

    def test_key_of_1025_bytes_is_too_long(self):
        key = 'x' * 1025
        self.assertS3Error('KeyTooLongError', 400, self.s3.put_object, Bucket=self.bucket,
                           Key=key, Body=b'long')

    def test_unusual_keys(self):
        keys = ['with space', 'plus+sign', 'percent%20literal', '100%', 'tilde~x', 'a//b',
                'trailing/', 'unicode-ÅÄÖ-日本語-🚀', "quote'\"<&>", 'q?mark#hash&amp=eq',
                'semi;colon,comma:colon', 'star*paren()!', '../dotdot', 'dir/./dot',
                '  leading-spaces', 'back\\slash', '=equals', '@at$dollar']
        for key in keys:
            with self.subTest(key=key):
                data = key.encode() * 3
                self.s3.put_object(Bucket=self.bucket, Key='u/' + key, Body=data)
                self.assertObjectEquals(self.bucket, 'u/' + key, data)
                self.assertEqual(self.s3.head_object(Bucket=self.bucket,
                                                     Key='u/' + key)['ContentLength'], len(data))
        listed = self.list_keys(self.bucket, 'u/')
        self.assertEqual(sorted(listed, key=str.encode), sorted(['u/' + k for k in keys],
                                                                key=str.encode))
        for key in keys:
            with self.subTest(delete=key):
                self.s3.delete_object(Bucket=self.bucket, Key='u/' + key)
                self.assertNoSuchKey(self.bucket, 'u/' + key)


class RangeTest(h.StrataTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('range')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.small = h.random_bytes(1000)
        cls.large = h.random_bytes(3 * MiB + 333)
        cls.s3.put_object(Bucket=cls.bucket, Key='small', Body=cls.small)
        cls.s3.put_object(Bucket=cls.bucket, Key='large', Body=cls.large)

    def check_range(self, key, data, header, start, end):
        resp = self.s3.get_object(Bucket=self.bucket, Key=key, Range=header)
        self.assertEqual(resp['ResponseMetadata']['HTTPStatusCode'], 206, header)
        self.assertEqual(resp['ContentRange'], f'bytes {start}-{end}/{len(data)}', header)
        self.assertEqual(resp['ContentLength'], end - start + 1, header)
        body = resp['Body'].read()
        self.assertTrue(body == data[start:end + 1], f'{key} {header}: wrong bytes')

    def test_ranges(self):
        for key, data in (('small', self.small), ('large', self.large)):
            n = len(data)
            cases = [('bytes=0-9', 0, 9), ('bytes=-5', n - 5, n - 1), ('bytes=5-', 5, n - 1),
                     (f'bytes={n - 1}-', n - 1, n - 1), (f'bytes=0-{n + 100}', 0, n - 1),
                     (f'bytes=-{n + 100}', 0, n - 1), ('bytes=3-3', 3, 3)]
            for header, start, end in cases:
                with self.subTest(key=key, range=header):
                    self.check_range(key, data, header, start, end)

    def test_ranges_across_stripes_of_erasure_coded_object(self):
        n = len(self.large)
        for start, end in [(MiB - 7, MiB + 7), (256 * KiB - 1, 256 * KiB), (0, 2 * MiB),
                           (n - 3 * KiB, n - 1), (123457, 2 * MiB + 99)]:
            with self.subTest(start=start, end=end):
                self.check_range('large', self.large, f'bytes={start}-{end}', start, end)

    def test_range_beyond_end_is_416(self):
        for key, data in (('small', self.small), ('large', self.large)):
            for header in (f'bytes={len(data)}-', f'bytes={len(data) + 10}-{len(data) + 20}'):
                with self.subTest(key=key, range=header):
                    self.assertS3Error('InvalidRange', 416, self.s3.get_object,
                                       Bucket=self.bucket, Key=key, Range=header)

    def test_range_on_head(self):
        resp = self.s3.head_object(Bucket=self.bucket, Key='large', Range='bytes=10-19')
        self.assertEqual(resp['ResponseMetadata']['HTTPStatusCode'], 206)
        self.assertEqual(resp['ContentLength'], 10)
        self.assertEqual(resp['ContentRange'], f'bytes 10-19/{len(self.large)}')

    def test_accept_ranges_header(self):
        resp = self.s3.get_object(Bucket=self.bucket, Key='small')
        self.assertEqual(resp.get('AcceptRanges'), 'bytes')


class ConditionalTest(h.StrataTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('cond')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.data = b'conditional body'
        cls.s3.put_object(Bucket=cls.bucket, Key='k', Body=cls.data)
        head = cls.s3.head_object(Bucket=cls.bucket, Key='k')
        cls.etag = head['ETag']
        cls.last_modified = head['LastModified']
        cls.before = cls.last_modified - datetime.timedelta(hours=1)
        cls.after = cls.last_modified + datetime.timedelta(hours=1)

    def get(self, **kwargs):
        return self.s3.get_object(Bucket=self.bucket, Key='k', **kwargs)

    def head(self, **kwargs):
        return self.s3.head_object(Bucket=self.bucket, Key='k', **kwargs)

    def test_if_match(self):
        self.assertEqual(self.get(IfMatch=self.etag)['Body'].read(), self.data)
        self.assertS3Error('PreconditionFailed', 412, self.get, IfMatch='"0123456789abcdef"')
        self.assertS3Error('412', 412, self.head, IfMatch='"0123456789abcdef"')

    def test_if_none_match(self):
        self.assertS3Error('304', 304, self.get, IfNoneMatch=self.etag)
        self.assertS3Error('304', 304, self.head, IfNoneMatch=self.etag)
        self.assertEqual(self.get(IfNoneMatch='"other"')['Body'].read(), self.data)

    def test_if_modified_since(self):
        # A date after the object's but not in the future is Last-Modified itself (a future
        # date is invalid by RFC 7232 and may be ignored).
        self.assertS3Error('304', 304, self.get, IfModifiedSince=self.last_modified)
        self.assertS3Error('304', 304, self.head, IfModifiedSince=self.last_modified)
        self.assertEqual(self.get(IfModifiedSince=self.before)['Body'].read(), self.data)

    def test_if_unmodified_since(self):
        self.assertS3Error('PreconditionFailed', 412, self.get, IfUnmodifiedSince=self.before)
        self.assertEqual(self.get(IfUnmodifiedSince=self.after)['Body'].read(), self.data)
        self.assertEqual(self.get(IfUnmodifiedSince=self.last_modified)['Body'].read(),
                         self.data)

    def test_if_match_true_wins_over_unmodified_since_false(self):
        # S3 (RFC 7232 6): If-Match true + If-Unmodified-Since false -> 200.
        resp = self.get(IfMatch=self.etag, IfUnmodifiedSince=self.before)
        self.assertEqual(resp['Body'].read(), self.data)

    def test_if_none_match_false_wins_over_modified_since_true(self):
        # S3: If-None-Match false + If-Modified-Since true -> 304.
        self.assertS3Error('304', 304, self.get, IfNoneMatch=self.etag,
                           IfModifiedSince=self.before)

    def test_conditional_on_missing_key_is_404(self):
        self.assertS3Error('NoSuchKey', 404, self.s3.get_object, Bucket=self.bucket,
                           Key='absent', IfMatch=self.etag)


class ResponseOverrideTest(h.StrataTestCase):
    OVERRIDES = {
        'ResponseContentType': ('content-type', 'application/x-override'),
        'ResponseContentLanguage': ('content-language', 'fr-CA'),
        'ResponseExpires': ('expires', 'Thu, 01 Dec 2033 16:00:00 GMT'),
        'ResponseCacheControl': ('cache-control', 'no-store'),
        'ResponseContentDisposition': ('content-disposition', 'attachment; filename="o.bin"'),
        'ResponseContentEncoding': ('content-encoding', 'identity'),
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('ovr')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_object(Bucket=cls.bucket, Key='k', Body=b'override me',
                          ContentType='text/plain', CacheControl='max-age=1')

    def params(self):
        params = {'Bucket': self.bucket, 'Key': 'k'}
        for name, (_header, value) in self.OVERRIDES.items():
            params[name] = value
        return params

    def check_headers(self, headers):
        for name, (header, value) in self.OVERRIDES.items():
            self.assertEqual(headers.get(header), value, f'{name} did not override {header}')

    def test_overrides_on_signed_get(self):
        resp = self.s3.get_object(**self.params())
        self.check_headers(resp['ResponseMetadata']['HTTPHeaders'])
        self.assertEqual(resp['Body'].read(), b'override me')

    def test_overrides_on_presigned_get(self):
        url = self.s3.generate_presigned_url('get_object', Params=self.params(), ExpiresIn=300)
        status, headers, body = h.http_request(url)
        self.assertEqual(status, 200, body[:300])
        self.check_headers(headers)
        self.assertEqual(body, b'override me')

    def test_no_override_without_parameters(self):
        resp = self.s3.get_object(Bucket=self.bucket, Key='k')
        self.assertEqual(resp['ContentType'], 'text/plain')
        self.assertEqual(resp['CacheControl'], 'max-age=1')


class CopyTest(h.StrataTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.src = h.unique_bucket('src')
        cls.dst = h.unique_bucket('dst')
        cls.s3.create_bucket(Bucket=cls.src)
        cls.s3.create_bucket(Bucket=cls.dst)

    def put_source(self, key, data):
        self.s3.put_object(Bucket=self.src, Key=key, Body=data, ContentType='text/source',
                           Metadata={'origin': 'src', 'n': '1'}, CacheControl='no-cache')

    def test_copy_keeps_metadata_by_default(self):
        for size in (10, 700 * KiB):
            with self.subTest(size=size):
                data = h.random_bytes(size)
                key = f'dir/a b+c {size}.txt'
                self.put_source(key, data)
                resp = self.s3.copy_object(Bucket=self.dst, Key=key,
                                           CopySource={'Bucket': self.src, 'Key': key})
                self.assertEqual(resp['CopyObjectResult']['ETag'], h.quoted_md5(data))
                self.assertObjectEquals(self.dst, key, data)
                head = self.s3.head_object(Bucket=self.dst, Key=key)
                self.assertEqual(head['Metadata'], {'origin': 'src', 'n': '1'})
                self.assertEqual(head['ContentType'], 'text/source')
                self.assertEqual(head['CacheControl'], 'no-cache')
                self.assertObjectEquals(self.src, key, data)

    def test_copy_replace_directive(self):
        data = h.random_bytes(300 * KiB)
        self.put_source('rep', data)
        self.s3.copy_object(Bucket=self.dst, Key='rep2', CopySource={'Bucket': self.src,
                                                                     'Key': 'rep'},
                            MetadataDirective='REPLACE', Metadata={'fresh': 'yes'},
                            ContentType='application/x-new')
        head = self.s3.head_object(Bucket=self.dst, Key='rep2')
        self.assertEqual(head['Metadata'], {'fresh': 'yes'})
        self.assertEqual(head['ContentType'], 'application/x-new')
        self.assertIsNone(head.get('CacheControl'), 'REPLACE must drop the old Cache-Control')
        self.assertObjectEquals(self.dst, 'rep2', data)

    def test_copy_onto_itself_needs_replace(self):
        self.put_source('self', b'self')
        self.assertS3Error('InvalidRequest', 400, self.s3.copy_object, Bucket=self.src,
                           Key='self', CopySource={'Bucket': self.src, 'Key': 'self'})
        self.s3.copy_object(Bucket=self.src, Key='self', CopySource={'Bucket': self.src,
                                                                     'Key': 'self'},
                            MetadataDirective='REPLACE', Metadata={'v': '2'})
        head = self.s3.head_object(Bucket=self.src, Key='self')
        self.assertEqual(head['Metadata'], {'v': '2'})
        self.assertObjectEquals(self.src, 'self', b'self')

    def test_copy_missing_source(self):
        self.assertS3Error('NoSuchKey', 404, self.s3.copy_object, Bucket=self.dst, Key='x',
                           CopySource={'Bucket': self.src, 'Key': 'absent'})
        self.assertS3Error('NoSuchBucket', 404, self.s3.copy_object, Bucket=self.dst, Key='x',
                           CopySource={'Bucket': h.unique_bucket('gone'), 'Key': 'a'})
        self.assertNoSuchKey(self.dst, 'x')

    def test_copy_source_if_match(self):
        self.put_source('cond', b'cond')
        self.assertS3Error('PreconditionFailed', 412, self.s3.copy_object, Bucket=self.dst,
                           Key='cond', CopySource={'Bucket': self.src, 'Key': 'cond'},
                           CopySourceIfMatch='"deadbeef"')
        self.assertNoSuchKey(self.dst, 'cond')
        self.s3.copy_object(Bucket=self.dst, Key='cond', CopySource={'Bucket': self.src,
                                                                     'Key': 'cond'},
                            CopySourceIfMatch=h.quoted_md5(b'cond'))
        self.assertObjectEquals(self.dst, 'cond', b'cond')


class DeleteObjectsTest(h.StrataTestCase):

    def fill(self, keys):
        bucket = self.new_bucket('multi')
        for i, key in enumerate(keys):
            self.s3.put_object(Bucket=bucket, Key=key, Body=h.random_bytes(10 + i * 100 * KiB))
        return bucket

    def test_delete_objects_verbose(self):
        keys = ['a', 'b c', 'd/e+f', 'ü']
        bucket = self.fill(keys)
        objects = [{'Key': k} for k in keys + ['never-existed']]
        resp = self.s3.delete_objects(Bucket=bucket, Delete={'Objects': objects, 'Quiet': False})
        deleted = sorted(d['Key'] for d in resp.get('Deleted', []))
        self.assertEqual(deleted, sorted(keys + ['never-existed']),
                         'S3 reports every requested key, existing or not, as deleted')
        self.assertEqual(resp.get('Errors', []), [])
        self.assertEqual(self.list_keys(bucket), [])

    def test_delete_objects_quiet(self):
        keys = ['q1', 'q2', 'q3']
        bucket = self.fill(keys)
        resp = self.s3.delete_objects(Bucket=bucket, Delete={
            'Objects': [{'Key': k} for k in keys], 'Quiet': True})
        self.assertEqual(resp.get('Deleted', []), [], 'Quiet mode lists no successes')
        self.assertEqual(resp.get('Errors', []), [])
        self.assertEqual(self.list_keys(bucket), [])

    def test_delete_objects_leaves_others(self):
        bucket = self.fill(['keep', 'drop'])
        self.s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': 'drop'}]})
        self.assertEqual(self.list_keys(bucket), ['keep'])


class ListTest(h.StrataTestCase):
    KEYS = ['a/1', 'a/2', 'a/b/3', 'b/1', 'c', 'd/1', 'd/2', 'e', 'photos/2024/jan/x.jpg',
            'photos/2024/feb/y.jpg', 'photos/2025/z.jpg', 'space key', 'plus+key',
            'ünïcode/ø', 'zz%41']

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('list')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.sizes = {}
        for i, key in enumerate(cls.KEYS):
            cls.sizes[key] = i * 7
            cls.s3.put_object(Bucket=cls.bucket, Key=key, Body=b'z' * (i * 7))
        cls.sorted_keys = sorted(cls.KEYS, key=lambda k: k.encode())

    def v2(self, **kwargs):
        return self.s3.list_objects_v2(Bucket=self.bucket, **kwargs)

    def v1(self, **kwargs):
        return self.s3.list_objects(Bucket=self.bucket, **kwargs)

    @staticmethod
    def keys_of(resp):
        return [o['Key'] for o in resp.get('Contents', [])]

    @staticmethod
    def prefixes_of(resp):
        return [p['Prefix'] for p in resp.get('CommonPrefixes', [])]

    def test_full_listing_v1_and_v2_in_byte_order(self):
        for fn in (self.v1, self.v2):
            with self.subTest(api=fn.__name__):
                resp = fn()
                self.assertEqual(self.keys_of(resp), self.sorted_keys)
                self.assertFalse(resp['IsTruncated'])
        self.assertEqual(self.v2()['KeyCount'], len(self.KEYS))

    def test_entries_have_size_etag_and_date(self):
        for entry in self.v2()['Contents']:
            key = entry['Key']
            self.assertEqual(entry['Size'], self.sizes[key], key)
            self.assertEqual(entry['ETag'], h.quoted_md5(b'z' * self.sizes[key]), key)
            self.assertEqual(entry.get('StorageClass'), 'STANDARD', key)
            self.assertLess(abs((datetime.datetime.now(UTC) - entry['LastModified'])
                                .total_seconds()), 600, key)

    def test_prefix(self):
        for fn in (self.v1, self.v2):
            with self.subTest(api=fn.__name__):
                self.assertEqual(self.keys_of(fn(Prefix='photos/2024/')),
                                 ['photos/2024/feb/y.jpg', 'photos/2024/jan/x.jpg'])
                self.assertEqual(self.keys_of(fn(Prefix='nothing-here')), [])

    def test_delimiter_at_root(self):
        for fn in (self.v1, self.v2):
            with self.subTest(api=fn.__name__):
                resp = fn(Delimiter='/')
                self.assertEqual(self.prefixes_of(resp), ['a/', 'b/', 'd/', 'photos/',
                                                          'ünïcode/'])
                self.assertEqual(self.keys_of(resp), ['c', 'e', 'plus+key', 'space key',
                                                      'zz%41'])
                self.assertEqual(resp['Delimiter'], '/')

    def test_delimiter_under_prefix(self):
        resp = self.v2(Prefix='photos/', Delimiter='/')
        self.assertEqual(self.prefixes_of(resp), ['photos/2024/', 'photos/2025/'])
        self.assertEqual(self.keys_of(resp), [])
        resp = self.v2(Prefix='a/', Delimiter='/')
        self.assertEqual(self.prefixes_of(resp), ['a/b/'])
        self.assertEqual(self.keys_of(resp), ['a/1', 'a/2'])
        self.assertEqual(resp['KeyCount'], 3)

    def test_non_slash_delimiter(self):
        resp = self.v2(Delimiter='2')
        self.assertEqual(self.prefixes_of(resp), ['a/2', 'd/2', 'photos/2'])

    def test_v2_pagination_with_continuation_token(self):
        seen, token, pages = [], None, 0
        while True:
            kwargs = {'MaxKeys': 4}
            if token:
                kwargs['ContinuationToken'] = token
            resp = self.v2(**kwargs)
            pages += 1
            self.assertLessEqual(len(resp.get('Contents', [])), 4)
            self.assertEqual(resp['KeyCount'], len(resp.get('Contents', [])))
            self.assertEqual(resp['MaxKeys'], 4)
            seen += self.keys_of(resp)
            if not resp['IsTruncated']:
                self.assertNotIn('NextContinuationToken', resp)
                break
            token = resp['NextContinuationToken']
            self.assertTrue(token, 'IsTruncated without NextContinuationToken')
            self.assertLess(pages, 20, 'pagination does not end')
        self.assertEqual(seen, self.sorted_keys)
        self.assertEqual(pages, 4)

    def test_v2_pagination_with_delimiter(self):
        entries, token = [], None
        for _ in range(20):
            kwargs = {'MaxKeys': 2, 'Delimiter': '/'}
            if token:
                kwargs['ContinuationToken'] = token
            resp = self.v2(**kwargs)
            page = self.keys_of(resp) + self.prefixes_of(resp)
            self.assertLessEqual(len(page), 2, 'CommonPrefixes count towards MaxKeys')
            entries += page
            if not resp['IsTruncated']:
                break
            token = resp['NextContinuationToken']
        full = self.v2(Delimiter='/')
        self.assertEqual(sorted(entries), sorted(self.keys_of(full) + self.prefixes_of(full)))
        self.assertEqual(len(entries), len(set(entries)), f'duplicates across pages: {entries}')

    def test_v2_start_after(self):
        resp = self.v2(StartAfter='b/1')
        self.assertEqual(self.keys_of(resp), [k for k in self.sorted_keys if k.encode() > b'b/1'])
        self.assertEqual(resp.get('StartAfter'), 'b/1')
        self.assertEqual(self.keys_of(self.v2(StartAfter=self.sorted_keys[-1])), [])

    def test_v1_marker_pagination(self):
        seen, marker = [], ''
        for _ in range(20):
            resp = self.v1(MaxKeys=5, Marker=marker)
            page = self.keys_of(resp)
            seen += page
            if not resp['IsTruncated']:
                break
            marker = resp.get('NextMarker') or page[-1]
        self.assertEqual(seen, self.sorted_keys)

    def test_v1_next_marker_with_delimiter(self):
        # Byte order: 'photos/...' sorts before 'plus+key' ('h' < 'l').
        expected_pages = [(['a/', 'b/'], []), (['d/'], ['c']), (['photos/'], ['e']),
                          ([], ['plus+key', 'space key']), (['ünïcode/'], ['zz%41'])]
        marker = ''
        for i, (prefixes, keys) in enumerate(expected_pages):
            with self.subTest(page=i, marker=marker):
                resp = self.v1(MaxKeys=2, Delimiter='/', Marker=marker)
                self.assertEqual(self.prefixes_of(resp), prefixes)
                self.assertEqual(self.keys_of(resp), keys)
                last = max(prefixes + keys, key=str.encode)
                if i + 1 < len(expected_pages):
                    self.assertTrue(resp['IsTruncated'])
                    self.assertEqual(resp.get('NextMarker'), last,
                                     'NextMarker must be the last key or prefix of the page')
                    marker = resp['NextMarker']
                else:
                    self.assertFalse(resp['IsTruncated'])

    def test_encoding_type_url_when_asked(self):
        resp = self.v2(EncodingType='url', Prefix='')
        self.assertEqual(resp.get('EncodingType'), 'url')
        returned = self.keys_of(resp)
        self.assertEqual([urllib.parse.unquote_plus(k) for k in returned], self.sorted_keys)
        plus = [k for k in returned if urllib.parse.unquote_plus(k) == 'plus+key'][0]
        self.assertEqual(plus, 'plus%2Bkey', "'+' must be encoded")
        space = [k for k in returned if urllib.parse.unquote_plus(k) == 'space key'][0]
        self.assertIn(space, ('space%20key', 'space+key'))
        pct = [k for k in returned if urllib.parse.unquote_plus(k) == 'zz%41'][0]
        self.assertEqual(pct, 'zz%2541')

    def test_encoding_type_url_on_prefixes_v1(self):
        resp = self.v1(EncodingType='url', Delimiter='/')
        self.assertIn('%C3%BCn%C3%AFcode/', [p.replace('%2F', '/')
                                             for p in self.prefixes_of(resp)])

    def test_fetch_owner(self):
        with_owner = self.v2(FetchOwner=True)['Contents']
        self.assertTrue(all(o.get('Owner', {}).get('ID') for o in with_owner),
                        'FetchOwner=true must return Owner.ID on every entry')
        without = self.v2()['Contents']
        self.assertFalse(any('Owner' in o for o in without), 'v2 without FetchOwner: no Owner')
        v1 = self.v1()['Contents']
        self.assertTrue(all(o.get('Owner', {}).get('ID') for o in v1), 'v1 always has Owner')

    def test_default_page_is_1000_keys(self):
        bucket = self.new_bucket('page')
        keys = [f'k{i:05d}' for i in range(1001)]

        local = threading.local()

        def put(key):
            if not hasattr(local, 'client'):
                local.client = self.server.client()
            local.client.put_object(Bucket=bucket, Key=key, Body=key.encode())

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(put, keys))
        first = self.s3.list_objects_v2(Bucket=bucket)
        self.assertEqual((first['KeyCount'], first['IsTruncated']), (1000, True))
        rest = self.s3.list_objects_v2(Bucket=bucket,
                                       ContinuationToken=first['NextContinuationToken'])
        self.assertEqual(self.keys_of(rest), ['k01000'])
        self.assertFalse(rest['IsTruncated'])
        v1 = self.s3.list_objects(Bucket=bucket)
        self.assertEqual((len(v1['Contents']), v1['IsTruncated']), (1000, True))
        resp = self.s3.delete_objects(Bucket=bucket, Delete={
            'Objects': [{'Key': k} for k in keys[:1000]], 'Quiet': True})
        self.assertEqual(resp.get('Errors', []), [])
        self.assertEqual(self.keys_of(self.s3.list_objects_v2(Bucket=bucket)), ['k01000'])

    def test_list_empty_bucket(self):
        bucket = self.new_bucket('empty')
        resp = self.s3.list_objects_v2(Bucket=bucket)
        self.assertEqual(resp['KeyCount'], 0)
        self.assertNotIn('Contents', resp)
        self.assertFalse(resp['IsTruncated'])


class AuthTest(h.StrataTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('auth')
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_object(Bucket=cls.bucket, Key='k', Body=b'secret data')

    def test_anonymous_is_denied(self):
        anon = self.server.client(unsigned=True)
        self.assertS3Error('AccessDenied', 403, anon.get_object, Bucket=self.bucket, Key='k')
        self.assertS3Error('AccessDenied', 403, anon.list_objects_v2, Bucket=self.bucket)
        self.assertS3Error('AccessDenied', 403, anon.put_object, Bucket=self.bucket,
                           Key='anon', Body=b'x')
        self.assertS3Error('AccessDenied', 403, anon.list_buckets)
        self.assertNoSuchKey(self.bucket, 'anon')

    def test_wrong_secret(self):
        bad = self.server.client(secret_key=h.SECRET_KEY + 'x')
        self.assertS3Error('SignatureDoesNotMatch', 403, bad.get_object, Bucket=self.bucket,
                           Key='k')
        self.assertS3Error('SignatureDoesNotMatch', 403, bad.put_object, Bucket=self.bucket,
                           Key='bad', Body=b'x')
        self.assertNoSuchKey(self.bucket, 'bad')

    def test_unknown_access_key(self):
        bad = self.server.client(access_key='AKIDUNKNOWN000000000')
        self.assertS3Error('InvalidAccessKeyId', 403, bad.list_objects_v2, Bucket=self.bucket)

    def test_clock_skew_is_refused(self):
        skewed = (datetime.datetime.now(UTC).replace(tzinfo=None) - datetime.timedelta(minutes=30))
        with mock.patch('botocore.auth.get_current_datetime', return_value=skewed):
            self.assertS3Error('RequestTimeTooSkewed', 403, self.s3.get_object,
                               Bucket=self.bucket, Key='k')

    def test_sigv2_client(self):
        v2 = self.server.client(signature_version='s3')
        v2.put_object(Bucket=self.bucket, Key='v2/obj', Body=b'via sigv2',
                      Metadata={'sig': 'v2'})
        self.assertEqual(v2.get_object(Bucket=self.bucket, Key='v2/obj')['Body'].read(),
                         b'via sigv2')
        self.assertEqual(v2.head_object(Bucket=self.bucket, Key='v2/obj')['Metadata'],
                         {'sig': 'v2'})
        self.assertIn('v2/obj', [o['Key'] for o in v2.list_objects(
            Bucket=self.bucket, Prefix='v2/')['Contents']])

    def test_sigv2_wrong_secret(self):
        bad = self.server.client(signature_version='s3', secret_key='wrong-secret')
        self.assertS3Error('SignatureDoesNotMatch', 403, bad.get_object, Bucket=self.bucket,
                           Key='k')

    def test_presigned_v4_get(self):
        url = self.s3.generate_presigned_url('get_object', Params={'Bucket': self.bucket,
                                                                   'Key': 'k'}, ExpiresIn=300)
        self.assertIn('X-Amz-Signature=', url)
        status, _headers, body = h.http_request(url)
        self.assertEqual((status, body), (200, b'secret data'))

    def test_presigned_v4_put(self):
        url = self.s3.generate_presigned_url('put_object', Params={'Bucket': self.bucket,
                                                                   'Key': 'presigned-put'},
                                             ExpiresIn=300)
        status, _headers, body = h.http_request(url, method='PUT', body=b'uploaded')
        self.assertEqual(status, 200, body[:300])
        self.assertObjectEquals(self.bucket, 'presigned-put', b'uploaded')

    def test_presigned_v4_expired(self):
        two_hours_ago = (datetime.datetime.now(UTC).replace(tzinfo=None)
                         - datetime.timedelta(hours=2))
        with mock.patch('botocore.auth.get_current_datetime', return_value=two_hours_ago):
            url = self.s3.generate_presigned_url(
                'get_object', Params={'Bucket': self.bucket, 'Key': 'k'}, ExpiresIn=60)
        status, _headers, body = h.http_request(url)
        self.assertEqual(status, 403, body[:300])
        self.assertEqual(h.error_code_of(body), 'AccessDenied', body[:300])

    def test_presigned_v4_tampered(self):
        url = self.s3.generate_presigned_url('get_object', Params={'Bucket': self.bucket,
                                                                   'Key': 'k'}, ExpiresIn=300)
        self.s3.put_object(Bucket=self.bucket, Key='other', Body=b'other')
        status, _headers, body = h.http_request(url.replace('/k?', '/other?'))
        self.assertEqual(status, 403, body[:300])
        self.assertEqual(h.error_code_of(body), 'SignatureDoesNotMatch', body[:300])

    def test_presigned_v2_get(self):
        v2 = self.server.client(signature_version='s3')
        url = v2.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'k'},
                                        ExpiresIn=300)
        self.assertIn('AWSAccessKeyId=', url)
        self.assertIn('Signature=', url)
        status, _headers, body = h.http_request(url)
        self.assertEqual((status, body), (200, b'secret data'))

    def test_presigned_v2_expired(self):
        v2 = self.server.client(signature_version='s3')
        url = v2.generate_presigned_url('get_object', Params={'Bucket': self.bucket, 'Key': 'k'},
                                        ExpiresIn=-3600)
        status, _headers, body = h.http_request(url)
        self.assertEqual(status, 403, body[:300])
        self.assertEqual(h.error_code_of(body), 'AccessDenied', body[:300])

    def test_error_body_is_s3_xml(self):
        status, headers, body = h.http_request(f'{self.server.endpoint}/{self.bucket}/k')
        self.assertEqual(status, 403)
        self.assertIn('xml', headers.get('content-type', ''), headers)
        self.assertEqual(h.error_code_of(body), 'AccessDenied', body[:300])


class ChecksumTest(h.StrataTestCase):
    ALGORITHMS = ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME']

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('sum')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def test_put_with_checksum_and_read_it_back(self):
        for algorithm in self.ALGORITHMS:
            for size in (1000, 128 * KiB + 1):
                with self.subTest(algorithm=algorithm, size=size):
                    data = h.random_bytes(size)
                    value = h.checksum_b64(algorithm, data)
                    field = 'Checksum' + algorithm
                    key = f'{algorithm}/{size}'
                    put = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data,
                                             ChecksumAlgorithm=algorithm, **{field: value})
                    self.assertEqual(put.get(field), value, 'PutObject echoes the checksum')
                    got = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode='ENABLED')
                    self.assertEqual(got.get(field), value, 'GET checksum')
                    self.assertTrue(got['Body'].read() == data)
                    head = self.s3.head_object(Bucket=self.bucket, Key=key,
                                               ChecksumMode='ENABLED')
                    self.assertEqual(head.get(field), value, 'HEAD checksum')

    def test_botocore_computes_crc32(self):
        data = h.random_bytes(200 * KiB)
        put = self.s3.put_object(Bucket=self.bucket, Key='boto-crc32', Body=data,
                                 ChecksumAlgorithm='CRC32')
        self.assertEqual(put.get('ChecksumCRC32'), h.checksum_b64('CRC32', data))
        got = self.s3.get_object(Bucket=self.bucket, Key='boto-crc32', ChecksumMode='ENABLED')
        self.assertEqual(got.get('ChecksumCRC32'), h.checksum_b64('CRC32', data))
        self.assertTrue(got['Body'].read() == data)  # botocore also validates the CRC32

    def test_wrong_checksum_is_bad_digest_and_stores_nothing(self):
        for algorithm in ('CRC32', 'CRC32C', 'SHA256', 'CRC64NVME'):
            for size in (100, 300 * KiB):
                with self.subTest(algorithm=algorithm, size=size):
                    data = h.random_bytes(size)
                    wrong = h.checksum_b64(algorithm, data + b'!')
                    key = f'wrong/{algorithm}/{size}'
                    self.assertS3Error('BadDigest', 400, self.s3.put_object, Bucket=self.bucket,
                                       Key=key, Body=data, ChecksumAlgorithm=algorithm,
                                       **{'Checksum' + algorithm: wrong})
                    self.assertNoSuchKey(self.bucket, key)

    def capture_headers(self, client, event='before-send.s3.PutObject'):
        sent = []
        client.meta.events.register(event, lambda request, **_: sent.append(
            {k.lower(): v for k, v in request.headers.items()}))
        return sent

    def test_default_when_supported_sends_crc32(self):
        client = self.server.client(checksum_calculation='when_supported')
        sent = self.capture_headers(client)
        data = h.random_bytes(150 * KiB)
        client.put_object(Bucket=self.bucket, Key='default-supported', Body=data)
        self.assertIn('x-amz-checksum-crc32', sent[0], 'premise: boto3 sends a CRC32')
        got = client.get_object(Bucket=self.bucket, Key='default-supported',
                                ChecksumMode='ENABLED')
        self.assertEqual(got.get('ChecksumCRC32'), h.checksum_b64('CRC32', data))
        self.assertTrue(got['Body'].read() == data)

    def test_when_required_sends_no_checksum(self):
        client = self.server.client(checksum_calculation='when_required')
        sent = self.capture_headers(client)
        data = h.random_bytes(150 * KiB)
        put = client.put_object(Bucket=self.bucket, Key='default-required', Body=data)
        self.assertFalse([k for k in sent[0] if k.startswith('x-amz-checksum-')],
                         'premise: no checksum header')
        self.assertEqual(put['ETag'], h.quoted_md5(data))
        self.assertObjectEquals(self.bucket, 'default-required', data, client=client)

    def test_delete_objects_with_default_checksum(self):
        client = self.server.client(checksum_calculation='when_supported')
        client.put_object(Bucket=self.bucket, Key='dobj', Body=b'x')
        resp = client.delete_objects(Bucket=self.bucket, Delete={'Objects': [{'Key': 'dobj'}]})
        self.assertEqual([d['Key'] for d in resp.get('Deleted', [])], ['dobj'])
        self.assertNoSuchKey(self.bucket, 'dobj')


class AwsChunkedTest(h.StrataTestCase):
    """aws-chunked bodies as SDKs send them over TLS (botocore uses plain bodies over http)."""

    CHUNK = 64 * KiB

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('chunk')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def host(self):
        return f'127.0.0.1:{self.server.port}'

    def send(self, request, body):
        with self.server.raw() as conn:
            self.assertTrue(conn.send(request.to_bytes(body)), 'server reset the connection')
            resp = conn.read_response()
        self.assertIsNotNone(resp, 'server closed without a response')
        return resp

    def unsigned_trailer_body(self, data, trailer_value):
        body = b''
        for i in range(0, len(data), self.CHUNK):
            chunk = data[i:i + self.CHUNK]
            body += b'%x\r\n%s\r\n' % (len(chunk), chunk)
        return body + b'0\r\nx-amz-checksum-crc32:' + trailer_value.encode() + b'\r\n\r\n'

    def trailer_request(self, key, data):
        return h.sign_v4('PUT', self.host(), h.object_path(self.bucket, key), headers=[
            ('Content-Encoding', 'aws-chunked'),
            ('x-amz-decoded-content-length', str(len(data))),
            ('x-amz-trailer', 'x-amz-checksum-crc32'),
            ('x-amz-sdk-checksum-algorithm', 'CRC32')],
            payload_hash='STREAMING-UNSIGNED-PAYLOAD-TRAILER')

    def test_unsigned_payload_with_crc32_trailer(self):
        for size in (1000, 300 * KiB + 5):
            with self.subTest(size=size):
                data = h.random_bytes(size)
                value = h.checksum_b64('CRC32', data)
                key = f'trailer/{size}'
                resp = self.send(self.trailer_request(key, data),
                                 self.unsigned_trailer_body(data, value))
                self.assertEqual(resp.status, 200, resp)
                self.assertEqual(resp.header('etag'), h.quoted_md5(data))
                self.assertObjectEquals(self.bucket, key, data)
                head = self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode='ENABLED')
                self.assertEqual(head.get('ChecksumCRC32'), value)
                self.assertNotIn('aws-chunked', head.get('ContentEncoding', ''),
                                 'aws-chunked must not be stored as Content-Encoding')

    def test_wrong_trailer_checksum_is_bad_digest(self):
        data = h.random_bytes(200 * KiB)
        resp = self.send(self.trailer_request('trailer-bad', data),
                         self.unsigned_trailer_body(data, h.checksum_b64('CRC32', b'other')))
        self.assertEqual((resp.status, resp.error_code()), (400, 'BadDigest'), resp)
        self.assertNoSuchKey(self.bucket, 'trailer-bad')

    def signed_chunks(self, key, data, corrupt=False):
        request = h.sign_v4('PUT', self.host(), h.object_path(self.bucket, key), headers=[
            ('Content-Encoding', 'aws-chunked'),
            ('x-amz-decoded-content-length', str(len(data)))],
            payload_hash='STREAMING-AWS4-HMAC-SHA256-PAYLOAD')
        body, previous = b'', request.signature
        chunks = [data[i:i + self.CHUNK] for i in range(0, len(data), self.CHUNK)] + [b'']
        for chunk in chunks:
            sig = h.chunk_signature(h.SECRET_KEY, request, previous, chunk)
            sent = chunk
            if corrupt and chunk and len(body) > 0:
                sent = bytes([chunk[0] ^ 1]) + chunk[1:]
            body += b'%x;chunk-signature=%s\r\n%s\r\n' % (len(chunk), sig.encode(), sent)
            previous = sig
        return request, body

    def test_signed_chunks(self):
        for size in (10, 400 * KiB + 3):
            with self.subTest(size=size):
                data = h.random_bytes(size)
                resp = self.send(*self.signed_chunks(f'signed/{size}', data))
                self.assertEqual(resp.status, 200, resp)
                self.assertObjectEquals(self.bucket, f'signed/{size}', data)

    def test_bad_chunk_signature(self):
        data = h.random_bytes(300 * KiB)
        resp = self.send(*self.signed_chunks('signed-bad', data, corrupt=True))
        self.assertEqual((resp.status, resp.error_code()), (403, 'SignatureDoesNotMatch'), resp)
        self.assertNoSuchKey(self.bucket, 'signed-bad')


class UnsupportedApiTest(h.StrataTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('unsup')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def test_website_is_not_implemented(self):
        self.assertS3Error('NotImplemented', 501, self.s3.put_bucket_website, Bucket=self.bucket,
                           WebsiteConfiguration={'IndexDocument': {'Suffix': 'index.html'}})
        self.assertS3Error('NotImplemented', 501, self.s3.get_bucket_website, Bucket=self.bucket)

    def test_bucket_policy_is_not_implemented(self):
        self.assertS3Error('NotImplemented', 501, self.s3.get_bucket_policy, Bucket=self.bucket)

    def test_replication_is_not_implemented(self):
        self.assertS3Error('NotImplemented', 501, self.s3.get_bucket_replication,
                           Bucket=self.bucket)


if __name__ == '__main__':
    unittest.main()
