"""Multipart uploads through boto3 and the aws-cli high-level `aws s3` commands.

One server per test class. Run: python3 -m unittest -v test_multipart.py (STRATA_BIN=...).
"""

import hashlib
import os
import re
import unittest

import strata_harness as h
from strata_harness import KiB, MiB

PART = 5 * MiB


class MultipartTest(h.StrataTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('mpu')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def create(self, key, **kwargs):
        return self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, **kwargs)['UploadId']

    def upload(self, key, upload_id, number, data):
        resp = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                   PartNumber=number, Body=data)
        self.assertEqual(resp['ETag'], h.quoted_md5(data), f'part {number} ETag is not its md5')
        return {'PartNumber': number, 'ETag': resp['ETag']}

    def complete(self, key, upload_id, parts):
        return self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                 MultipartUpload={'Parts': parts})

    def test_complete_etag_content_and_metadata(self):
        key = 'big/object.bin'
        chunks = [h.random_bytes(PART), h.random_bytes(PART), h.random_bytes(MiB + 3)]
        upload_id = self.create(key, ContentType='application/x-tar', Metadata={'m': 'v'})
        parts = [self.upload(key, upload_id, i + 1, c) for i, c in enumerate(chunks)]
        self.assertNoSuchKey(self.bucket, key)  # nothing visible before completion
        resp = self.complete(key, upload_id, parts)
        expected_etag = h.multipart_etag(chunks)
        self.assertEqual(resp['ETag'], expected_etag, 'md5 of part md5s, dash, part count')
        data = b''.join(chunks)
        self.assertObjectEquals(self.bucket, key, data)
        head = self.s3.head_object(Bucket=self.bucket, Key=key)
        self.assertEqual(head['ETag'], expected_etag)
        self.assertEqual(head['ContentType'], 'application/x-tar')
        self.assertEqual(head['Metadata'], {'m': 'v'})
        start, end = PART - 10, PART + 10  # a range across the part boundary
        got = self.s3.get_object(Bucket=self.bucket, Key=key, Range=f'bytes={start}-{end}')
        self.assertTrue(got['Body'].read() == data[start:end + 1], 'range across parts')
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key)['Contents'][0]
        self.assertEqual((listed['Size'], listed['ETag']), (len(data), expected_etag))
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket).get('Uploads', [])
        self.assertNotIn(upload_id, [u['UploadId'] for u in uploads], 'completed upload listed')

    def test_single_small_part(self):
        upload_id = self.create('one-part')
        parts = [self.upload('one-part', upload_id, 1, b'x')]
        resp = self.complete('one-part', upload_id, parts)
        self.assertEqual(resp['ETag'], h.multipart_etag([b'x']))
        self.assertObjectEquals(self.bucket, 'one-part', b'x')

    def test_reuploaded_part_replaces_earlier(self):
        key = 'reupload'
        upload_id = self.create(key)
        self.upload(key, upload_id, 1, h.random_bytes(PART))
        first = h.random_bytes(PART)
        parts = [self.upload(key, upload_id, 1, first),
                 self.upload(key, upload_id, 2, b'tail')]
        listed = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id)['Parts']
        self.assertEqual([(p['PartNumber'], p['ETag'], p['Size']) for p in listed],
                         [(1, h.quoted_md5(first), PART), (2, h.quoted_md5(b'tail'), 4)])
        self.complete(key, upload_id, parts)
        self.assertObjectEquals(self.bucket, key, first + b'tail')

    def test_list_parts_with_pagination(self):
        key = 'parts'
        upload_id = self.create(key)
        chunks = [h.random_bytes(1000 + i) for i in range(5)]
        for i, c in enumerate(chunks):
            self.upload(key, upload_id, i + 1, c)
        page = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id, MaxParts=2)
        self.assertTrue(page['IsTruncated'])
        self.assertEqual([p['PartNumber'] for p in page['Parts']], [1, 2])
        self.assertEqual(page['NextPartNumberMarker'], 2)
        rest = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                  PartNumberMarker=2)
        self.assertFalse(rest['IsTruncated'])
        self.assertEqual([(p['PartNumber'], p['Size'], p['ETag']) for p in rest['Parts']],
                         [(i + 1, len(c), h.quoted_md5(c)) for i, c in enumerate(chunks)][2:])
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def test_list_multipart_uploads(self):
        ids = {('lmu/a', self.create('lmu/a')), ('lmu/a', self.create('lmu/a')),
               ('lmu/b', self.create('lmu/b')), ('other', self.create('other'))}
        resp = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix='lmu/')
        got = {(u['Key'], u['UploadId']) for u in resp.get('Uploads', [])}
        self.assertEqual(got, {i for i in ids if i[0].startswith('lmu/')})
        keys = [u['Key'] for u in resp['Uploads']]
        self.assertEqual(keys, sorted(keys), 'uploads are listed in key order')
        for key, upload_id in ids:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        resp = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix='lmu/')
        self.assertEqual(resp.get('Uploads', []), [])

    def test_abort(self):
        key = 'aborted'
        upload_id = self.create(key)
        parts = [self.upload(key, upload_id, 1, h.random_bytes(300 * KiB))]
        resp = self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        self.assertEqual(resp['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertS3Error('NoSuchUpload', 404, self.s3.upload_part, Bucket=self.bucket,
                           Key=key, UploadId=upload_id, PartNumber=2, Body=b'late')
        self.assertS3Error('NoSuchUpload', 404, self.s3.list_parts, Bucket=self.bucket, Key=key,
                           UploadId=upload_id)
        self.assertS3Error('NoSuchUpload', 404, self.complete, key, upload_id, parts)
        self.assertNoSuchKey(self.bucket, key)

    def test_unknown_upload_id(self):
        self.assertS3Error('NoSuchUpload', 404, self.s3.upload_part, Bucket=self.bucket,
                           Key='k', UploadId='no-such-upload-id', PartNumber=1, Body=b'x')

    def test_upload_part_copy_with_range(self):
        source = h.random_bytes(6 * MiB + 100)
        self.s3.put_object(Bucket=self.bucket, Key='copy-src', Body=source)
        key = 'copy-dst'
        upload_id = self.create(key)
        first = h.random_bytes(PART)
        parts = [self.upload(key, upload_id, 1, first)]
        ranges = [(0, PART - 1), (PART, len(source) - 1)]  # the last part may be small
        for number, (start, end) in enumerate(ranges, 2):
            resp = self.s3.upload_part_copy(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                            PartNumber=number,
                                            CopySourceRange=f'bytes={start}-{end}',
                                            CopySource={'Bucket': self.bucket, 'Key': 'copy-src'})
            etag = resp['CopyPartResult']['ETag']
            self.assertEqual(etag, h.quoted_md5(source[start:end + 1]), f'part {number}')
            parts.append({'PartNumber': number, 'ETag': etag})
        resp = self.complete(key, upload_id, parts)
        pieces = [first, source[:PART], source[PART:]]
        self.assertEqual(resp['ETag'], h.multipart_etag(pieces))
        self.assertObjectEquals(self.bucket, key, b''.join(pieces))

    def test_entity_too_small(self):
        key = 'too-small'
        upload_id = self.create(key)
        parts = [self.upload(key, upload_id, 1, h.random_bytes(MiB)),
                 self.upload(key, upload_id, 2, h.random_bytes(MiB))]
        self.assertS3Error('EntityTooSmall', 400, self.complete, key, upload_id, parts)
        self.assertNoSuchKey(self.bucket, key)
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def test_invalid_part_etag(self):
        key = 'bad-etag'
        upload_id = self.create(key)
        self.upload(key, upload_id, 1, b'one')
        self.assertS3Error('InvalidPart', 400, self.complete, key, upload_id,
                           [{'PartNumber': 1, 'ETag': h.quoted_md5(b'not one')}])
        self.assertNoSuchKey(self.bucket, key)

    def test_invalid_part_never_uploaded(self):
        key = 'missing-part'
        upload_id = self.create(key)
        first = self.upload(key, upload_id, 1, h.random_bytes(PART))
        self.assertS3Error('InvalidPart', 400, self.complete, key, upload_id,
                           [first, {'PartNumber': 3, 'ETag': h.quoted_md5(b'3')}])
        self.assertNoSuchKey(self.bucket, key)

    def test_invalid_part_order(self):
        key = 'order'
        upload_id = self.create(key)
        one = self.upload(key, upload_id, 1, h.random_bytes(PART))
        two = self.upload(key, upload_id, 2, h.random_bytes(PART))
        self.assertS3Error('InvalidPartOrder', 400, self.complete, key, upload_id, [two, one])
        self.assertNoSuchKey(self.bucket, key)
        self.complete(key, upload_id, [one, two])  # the upload survives the refusal
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key=key)['ContentLength'],
                         2 * PART)

    def test_complete_without_parts_is_malformed(self):
        key = 'no-parts'
        upload_id = self.create(key)
        self.assertS3Error('MalformedXML', 400, self.complete, key, upload_id, [])
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def test_part_number_out_of_range(self):
        upload_id = self.create('numbers')
        for number in (0, 10001):
            with self.subTest(part=number):
                self.assertS3Error('InvalidArgument', 400, self.s3.upload_part,
                                   Bucket=self.bucket, Key='numbers', UploadId=upload_id,
                                   PartNumber=number, Body=b'x')
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key='numbers', UploadId=upload_id)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(MiB), b''):
            digest.update(block)
    return digest.hexdigest()


def write_random_file(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        remaining = size
        while remaining:
            n = min(remaining, 4 * MiB)
            f.write(os.urandom(n))
            remaining -= n


def tree_digest(root):
    """{relative path: sha256} of every file under root."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, root)] = sha256_file(path)
    return out


class AwsCliTest(h.StrataTestCase):
    """The high-level aws-cli commands (s3transfer: multipart up, ranged GETs down)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = h.unique_bucket('cli')
        cls.s3.create_bucket(Bucket=cls.bucket)

    def aws(self, *args, **kwargs):
        return h.aws_cli(self.server.endpoint, args, self.work_dir, **kwargs)

    def test_cp_100_mib_up_and_down(self):
        src = os.path.join(self.work_dir, 'cp', 'random-100m.bin')
        write_random_file(src, 100 * MiB)
        self.aws('s3', 'cp', src, f's3://{self.bucket}/cp/random-100m.bin')
        head = self.s3.head_object(Bucket=self.bucket, Key='cp/random-100m.bin')
        self.assertEqual(head['ContentLength'], 100 * MiB)
        self.assertRegex(head['ETag'], r'^"[0-9a-f]{32}-13"$', 'aws-cli uses 8 MiB parts')
        with open(src, 'rb') as f:
            chunks = list(iter(lambda: f.read(8 * MiB), b''))
        self.assertEqual(head['ETag'], h.multipart_etag(chunks))
        del chunks
        dst = os.path.join(self.work_dir, 'cp', 'down.bin')
        self.aws('s3', 'cp', f's3://{self.bucket}/cp/random-100m.bin', dst)
        self.assertEqual(os.path.getsize(dst), 100 * MiB)
        self.assertEqual(sha256_file(dst), sha256_file(src), 'downloaded bytes differ')
        os.remove(src)
        os.remove(dst)

    def make_tree(self, root):
        files = {'top.txt': 10, 'empty.bin': 0, 'sub dir/a b.txt': 1000,
                 'sub dir/deeper/big.bin': 300 * KiB, 'unicode-ü/file+plus': 77}
        for rel, size in files.items():
            write_random_file(os.path.join(root, rel), size)
        return files

    def test_sync_both_ways(self):
        up = os.path.join(self.work_dir, 'sync-up')
        files = self.make_tree(up)
        url = f's3://{self.bucket}/tree/'
        out = self.aws('s3', 'sync', up, url).stdout
        self.assertEqual(out.count('upload:'), len(files), out)
        self.assertEqual(sorted(self.list_keys(self.bucket, 'tree/')),
                         sorted('tree/' + k for k in files))
        again = self.aws('s3', 'sync', up, url).stdout
        self.assertNotIn('upload:', again, 'second sync must find nothing to upload')
        down = os.path.join(self.work_dir, 'sync-down')
        out = self.aws('s3', 'sync', url, down).stdout
        self.assertEqual(out.count('download:'), len(files), out)
        self.assertEqual(tree_digest(down), tree_digest(up))
        again = self.aws('s3', 'sync', url, down).stdout
        self.assertNotIn('download:', again, 'second sync down must find nothing to download')
        os.remove(os.path.join(up, 'top.txt'))
        out = self.aws('s3', 'sync', '--delete', up, url).stdout
        self.assertIn('delete:', out)
        self.assertNotIn('tree/top.txt', self.list_keys(self.bucket, 'tree/'))

    def test_ls(self):
        self.s3.put_object(Bucket=self.bucket, Key='ls/dir/inner.txt', Body=b'12345')
        self.s3.put_object(Bucket=self.bucket, Key='ls/file one.txt', Body=b'x' * 42)
        buckets = self.aws('s3', 'ls').stdout
        self.assertRegex(buckets, rf'(?m)^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d {self.bucket}$')
        out = self.aws('s3', 'ls', f's3://{self.bucket}/ls/').stdout
        self.assertRegex(out, r'(?m)^\s+PRE dir/$')
        self.assertRegex(out, r'(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+42 file one\.txt$')
        recursive = self.aws('s3', 'ls', '--recursive', f's3://{self.bucket}/ls/').stdout
        self.assertRegex(recursive, r'(?m)\s5 ls/dir/inner\.txt$')

    def test_rm_recursive_and_rb(self):
        bucket = h.unique_bucket('rm')
        self.aws('s3', 'mb', f's3://{bucket}')
        self.s3.head_bucket(Bucket=bucket)
        keys = [f'r/{i}/obj-{i}' for i in range(12)] + ['r/big']
        for key in keys:
            self.s3.put_object(Bucket=bucket, Key=key,
                               Body=h.random_bytes(200 * KiB if key == 'r/big' else 10))
        self.s3.put_object(Bucket=bucket, Key='keep', Body=b'k')
        out = self.aws('s3', 'rm', '--recursive', f's3://{bucket}/r/').stdout
        self.assertEqual(out.count('delete:'), len(keys), out)
        self.assertEqual(self.list_keys(bucket), ['keep'])
        failed = self.aws('s3', 'rb', f's3://{bucket}', check=False)
        self.assertNotEqual(failed.returncode, 0, 'rb of a non-empty bucket must fail')
        self.assertIn('BucketNotEmpty', failed.stderr)
        self.aws('s3', 'rm', f's3://{bucket}/keep')
        self.aws('s3', 'rb', f's3://{bucket}')
        self.assertS3Error('404', 404, self.s3.head_bucket, Bucket=bucket)

    def test_s3api_errors_surface(self):
        result = self.aws('s3api', 'head-object', '--bucket', self.bucket, '--key', 'absent',
                          check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertTrue(re.search(r'404|Not Found', result.stderr), result.stderr)


if __name__ == '__main__':
    unittest.main()
