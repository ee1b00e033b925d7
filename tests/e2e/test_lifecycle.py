"""Storage classes, pools, tiers and lifecycle end to end (issue 6).

What is checked, through boto3, aws-cli (s3api) and `strata admin`:
  - storage classes on PUT, copy and multipart; what HEAD, GET and listings report; where
    the bytes of a cold object live (shard files under DATA/cold, none under DATA/hot);
  - Put/Get/DeleteBucketLifecycleConfiguration: round trips and S3's error codes;
  - the scanner (a lifecycle day shortened to 2 s): transitions, expirations with and
    without versioning, noncurrent versions, lone delete markers, stale multipart uploads,
    and WORM versions that no rule may remove;
  - tiers: an archive bucket on this server and a bucket on a second strata server;
  - restarts: data in the cold pool and both tiers, tiers and rules survive, the scanner goes on;
  - the scanner's Prometheus series.
Every wait polls the observable state with a deadline; "nothing more happens" is checked by
waiting for further completed scans (strata_lifecycle_scans_total), never by sleeping.
Run: python3 -m unittest -v test_lifecycle.py (STRATA_BIN=path/to/strata).
"""

import datetime
import json
import os
import re
import subprocess
import time
import urllib.request

import strata_harness as h
from strata_harness import KiB, MiB

DEADLINE = 30.0  # seconds for the scanner to reach an expected state
FAST_LIFECYCLE = {'STRATA_LIFECYCLE_DAY_SECONDS': '2', 'STRATA_LIFECYCLE_SCAN_SECONDS': '1'}
UTC = datetime.timezone.utc
SAMPLE_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


# -- helpers -------------------------------------------------------------------------------------

def run_admin(server, *args, endpoint=None):
    """`strata admin --endpoint ADMIN ARGS...` with the root credentials; CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('STRATA_')}
    env.update({'STRATA_ACCESS_KEY': h.ACCESS_KEY, 'STRATA_SECRET_KEY': h.SECRET_KEY})
    cmd = [h.strata_binary(), 'admin', '--endpoint', endpoint or server.admin_endpoint]
    return subprocess.run(cmd + list(args), env=env, capture_output=True, text=True, timeout=60)


def wait_until(probe, what, timeout=DEADLINE, interval=0.2):
    """Polls probe() until it returns something truthy (returned); fails with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f'timed out after {timeout:.0f}s waiting for {what}; '
                                 f'last observed: {value!r}')
        time.sleep(interval)


def pool_files(server, pool):
    """{drive number: set of shard files} under DATA/<pool>/driveN/data."""
    out = {}
    for n in range(1, h.DRIVES + 1):
        root = os.path.join(server.data_dir, pool, f'drive{n}', 'data')
        found = set()
        for parent, _dirs, files in os.walk(root):
            found.update(os.path.join(parent, f) for f in files)
        out[n] = found
    return out


def added_files(before, after):
    return {n: after[n] - before.get(n, set()) for n in after}


def scrape(server):
    """[(name, {label: value}, float)] from the admin listener's /metrics."""
    with urllib.request.urlopen(server.admin_endpoint + '/metrics', timeout=30) as res:
        text = res.read().decode('utf-8')
    samples = []
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        m = SAMPLE_LINE.match(line)
        if m:
            labels = dict(LABEL_PAIR.findall(m.group(2) or ''))
            samples.append((m.group(1), labels, float(m.group(3))))
    return samples


def metric(server, name, **labels):
    """Sum of the samples of `name` whose labels include `labels` (0 when there is none)."""
    return sum(v for n, lbl, v in scrape(server)
               if n == name and all(lbl.get(k) == want for k, want in labels.items()))


def versions_of(s3, bucket, key):
    """[(kind, version id, is latest)] of `key`, newest first; kind 'v' or 'marker'."""
    res = s3.list_object_versions(Bucket=bucket, Prefix=key)
    out = [('v', v['VersionId'], v['IsLatest'], v['LastModified'])
           for v in res.get('Versions', []) if v['Key'] == key]
    out += [('marker', v['VersionId'], v['IsLatest'], v['LastModified'])
            for v in res.get('DeleteMarkers', []) if v['Key'] == key]
    # The latest first, then newest first (version ids grow with time).
    out.sort(key=lambda t: (t[2], t[1]), reverse=True)
    return [(kind, vid, latest) for kind, vid, latest, _ in out]


def tags_of(s3, bucket, key, version_id=None):
    kwargs = {'VersionId': version_id} if version_id else {}
    got = s3.get_object_tagging(Bucket=bucket, Key=key, **kwargs)['TagSet']
    return sorted((t['Key'], t['Value']) for t in got)


def rule(rule_id, prefix=None, **actions):
    """One enabled rule for boto3, with a Prefix filter (or an empty filter)."""
    body = {'ID': rule_id, 'Status': 'Enabled',
            'Filter': {'Prefix': prefix} if prefix is not None else {}}
    body.update(actions)
    return body


class ScannerMixin:
    """Waits on the scanner through its completed-scans counter."""

    def scans_done(self):
        return metric(self.server, 'strata_lifecycle_scans_total')

    def wait_scans(self, count=2):
        """Waits until `count` more scans have completed (each sees every bucket)."""
        start = self.scans_done()
        wait_until(lambda: self.scans_done() >= start + count,
                   f'{count} more completed lifecycle scans (from {start})')

    def put_rules(self, bucket, *rules):
        self.s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={'Rules': list(rules)})
        # Rules go with the test: a leftover rule would keep acting in the shared server.
        self.addCleanup(self.s3.delete_bucket_lifecycle, Bucket=bucket)

    def head_class(self, bucket, key, **kwargs):
        return self.s3.head_object(Bucket=bucket, Key=key, **kwargs).get('StorageClass',
                                                                         'STANDARD')

    def wait_class(self, bucket, key, storage_class, **kwargs):
        wait_until(lambda: self.head_class(bucket, key, **kwargs) == storage_class,
                   f'{bucket}/{key} to become {storage_class}')

    def assertUnchanged(self, bucket, key, data, before, tags):
        """Bytes (whole and a range), ETag, metadata, tags and version id as `before` had them."""
        got = self.s3.get_object(Bucket=bucket, Key=key)
        body = got['Body'].read()
        self.assertEqual(h.md5_hex(body), h.md5_hex(data), f'{key}: bytes changed')
        self.assertEqual(got['ETag'], before['ETag'], f'{key}: ETag')
        self.assertEqual(got['Metadata'], before['Metadata'], f'{key}: metadata')
        self.assertEqual(got['ContentType'], before['ContentType'], f'{key}: content type')
        self.assertEqual(got.get('VersionId'), before.get('VersionId'), f'{key}: version id')
        self.assertEqual(got['ContentLength'], len(data))
        lo = len(data) // 3
        hi = min(lo + 100 * KiB, len(data) - 2)
        part = self.s3.get_object(Bucket=bucket, Key=key, Range=f'bytes={lo}-{hi}')
        self.assertEqual(part['Body'].read(), data[lo:hi + 1], f'{key}: ranged GET')
        self.assertEqual(part['ContentRange'], f'bytes {lo}-{hi}/{len(data)}')
        self.assertEqual(tags_of(self.s3, bucket, key), sorted(tags), f'{key}: tags')


# -- storage classes -----------------------------------------------------------------------------

class StorageClassTest(h.StrataTestCase):
    """PUT, copy and multipart with a storage class; reported classes; placement of the bytes."""

    def listed_classes(self, bucket):
        v2 = {o['Key']: o['StorageClass']
              for o in self.s3.list_objects_v2(Bucket=bucket).get('Contents', [])}
        v1 = {o['Key']: o['StorageClass']
              for o in self.s3.list_objects(Bucket=bucket).get('Contents', [])}
        versions = {o['Key']: o['StorageClass']
                    for o in self.s3.list_object_versions(Bucket=bucket).get('Versions', [])}
        self.assertEqual(v1, v2, 'ListObjects v1 and v2 disagree')
        self.assertEqual(versions, v2, 'ListObjectVersions and ListObjectsV2 disagree')
        return v2

    def test_put_copy_multipart_report_the_class(self):
        bucket = self.new_bucket('sc')
        data = h.random_bytes(300 * KiB)
        put = self.s3.put_object(Bucket=bucket, Key='g', Body=data, StorageClass='GLACIER',
                                 Metadata={'origin': 'glacier-put'}, ContentType='x/y')
        self.assertEqual(put['ETag'], h.quoted_md5(data))
        self.s3.put_object(Bucket=bucket, Key='ia', Body=data, StorageClass='STANDARD_IA')
        self.s3.put_object(Bucket=bucket, Key='gir', Body=b'tiny', StorageClass='GLACIER_IR')
        self.s3.put_object(Bucket=bucket, Key='s', Body=data)
        self.s3.put_object(Bucket=bucket, Key='rr', Body=b'x' * 10,
                           StorageClass='REDUCED_REDUNDANCY')

        head = self.s3.head_object(Bucket=bucket, Key='g')
        self.assertEqual(head['StorageClass'], 'GLACIER')
        self.assertEqual(head['ETag'], h.quoted_md5(data))
        self.assertEqual(head['Metadata'], {'origin': 'glacier-put'})
        self.assertNotIn('StorageClass', self.s3.head_object(Bucket=bucket, Key='s'),
                         'STANDARD is reported by leaving the header out, as S3 does')
        got = self.s3.get_object(Bucket=bucket, Key='g')
        self.assertEqual(got['StorageClass'], 'GLACIER')
        self.assertEqual(got['ETag'], h.quoted_md5(data))
        self.assertEqual(got['ContentType'], 'x/y')
        self.assertEqual(got['Body'].read(), data, 'a GLACIER object is readable at once')
        ranged = self.s3.get_object(Bucket=bucket, Key='g', Range='bytes=1000-199999')
        self.assertEqual(ranged['Body'].read(), data[1000:200000])
        self.assertEqual(ranged['ContentRange'], f'bytes 1000-199999/{len(data)}')
        self.assertEqual(self.get_bytes(bucket, 'gir'), b'tiny')
        self.assertEqual(self.s3.head_object(Bucket=bucket, Key='gir')['StorageClass'],
                         'GLACIER_IR')

        # Copy: the class is the request's (STANDARD when absent), never the source's.
        self.s3.copy_object(Bucket=bucket, Key='c-ia', CopySource={'Bucket': bucket, 'Key': 'g'},
                            StorageClass='STANDARD_IA')
        self.s3.copy_object(Bucket=bucket, Key='c-std', CopySource={'Bucket': bucket, 'Key': 'g'})
        self.s3.copy_object(Bucket=bucket, Key='c-g', CopySource={'Bucket': bucket, 'Key': 's'},
                            StorageClass='GLACIER')
        for key, cls in (('c-ia', 'STANDARD_IA'), ('c-g', 'GLACIER')):
            head = self.s3.head_object(Bucket=bucket, Key=key)
            self.assertEqual(head['StorageClass'], cls, key)
            self.assertEqual(head['ETag'], h.quoted_md5(data), key)
            self.assertEqual(self.get_bytes(bucket, key), data, key)
        self.assertEqual(self.s3.head_object(Bucket=bucket, Key='c-ia')['Metadata'],
                         {'origin': 'glacier-put'}, 'COPY directive keeps the metadata')
        self.assertNotIn('StorageClass', self.s3.head_object(Bucket=bucket, Key='c-std'))

        # Multipart: the upload carries the class to its parts listing and the object.
        parts = [h.random_bytes(5 * MiB), h.random_bytes(300 * KiB)]
        up = self.s3.create_multipart_upload(Bucket=bucket, Key='mp', StorageClass='GLACIER')
        uid = up['UploadId']
        uploads = self.s3.list_multipart_uploads(Bucket=bucket)['Uploads']
        self.assertEqual([(u['Key'], u['StorageClass']) for u in uploads], [('mp', 'GLACIER')])
        etags = [self.s3.upload_part(Bucket=bucket, Key='mp', UploadId=uid, PartNumber=i + 1,
                                     Body=p)['ETag'] for i, p in enumerate(parts)]
        self.assertEqual(self.s3.list_parts(Bucket=bucket, Key='mp', UploadId=uid)
                         ['StorageClass'], 'GLACIER')
        done = self.s3.complete_multipart_upload(
            Bucket=bucket, Key='mp', UploadId=uid,
            MultipartUpload={'Parts': [{'PartNumber': i + 1, 'ETag': e}
                                       for i, e in enumerate(etags)]})
        self.assertEqual(done['ETag'], h.multipart_etag(parts))
        head = self.s3.head_object(Bucket=bucket, Key='mp')
        self.assertEqual(head['StorageClass'], 'GLACIER')
        self.assertEqual(head['ETag'], h.multipart_etag(parts))
        self.assertEqual(self.get_bytes(bucket, 'mp'), b''.join(parts))
        tail = self.s3.get_object(Bucket=bucket, Key='mp',
                                  Range=f'bytes={5 * MiB - 10}-{5 * MiB + 9}')
        self.assertEqual(tail['Body'].read(), b''.join(parts)[5 * MiB - 10:5 * MiB + 10])

        self.assertEqual(self.listed_classes(bucket), {
            'g': 'GLACIER', 'ia': 'STANDARD_IA', 'gir': 'GLACIER_IR', 's': 'STANDARD',
            'rr': 'REDUCED_REDUNDANCY', 'c-ia': 'STANDARD_IA', 'c-std': 'STANDARD',
            'c-g': 'GLACIER', 'mp': 'GLACIER'})

    def test_cold_bytes_live_in_the_cold_pool(self):
        """A GLACIER object > 128 KiB: shard files under DATA/cold, none under DATA/hot."""
        bucket = self.new_bucket('place')
        data = h.random_bytes(1 * MiB)
        hot0, cold0 = pool_files(self.server, 'hot'), pool_files(self.server, 'cold')
        self.s3.put_object(Bucket=bucket, Key='glacier', Body=data, StorageClass='GLACIER')
        hot1, cold1 = pool_files(self.server, 'hot'), pool_files(self.server, 'cold')
        self.assertEqual({n: len(f) for n, f in added_files(hot0, hot1).items()},
                         {n: 0 for n in range(1, 7)}, 'a GLACIER PUT wrote shard files in hot')
        cold_new = added_files(cold0, cold1)
        self.assertTrue(all(cold_new[n] for n in range(1, 7)),
                        f'every cold drive holds a shard of the GLACIER object: {cold_new}')
        self.assertEqual(self.get_bytes(bucket, 'glacier'), data)

        self.s3.put_object(Bucket=bucket, Key='standard', Body=data)
        hot2, cold2 = pool_files(self.server, 'hot'), pool_files(self.server, 'cold')
        self.assertTrue(all(added_files(hot1, hot2)[n] for n in range(1, 7)),
                        'a STANDARD PUT writes shard files in hot')
        self.assertEqual(cold2, cold1, 'a STANDARD PUT wrote in the cold pool')

        # A copy to a cold class writes the cold pool too.
        self.s3.copy_object(Bucket=bucket, Key='copied', StorageClass='STANDARD_IA',
                            CopySource={'Bucket': bucket, 'Key': 'standard'})
        hot3, cold3 = pool_files(self.server, 'hot'), pool_files(self.server, 'cold')
        self.assertEqual(hot3, hot2, 'a copy to STANDARD_IA wrote shard files in hot')
        self.assertTrue(all(added_files(cold2, cold3)[n] for n in range(1, 7)))

        # Deleting the GLACIER object frees its cold shard files.
        self.s3.delete_object(Bucket=bucket, Key='glacier')
        self.assertNoSuchKey(bucket, 'glacier')
        wait_until(lambda: not any(f for n in cold_new for f in cold_new[n] if os.path.exists(f)),
                   'the deleted GLACIER object\'s cold shard files to go')

    def test_multipart_glacier_bytes_live_in_the_cold_pool(self):
        """A completed GLACIER multipart upload's bytes end in the cold pool (ARCHITECTURE:
        "A PUT (or copy, or completed multipart upload) with another class writes the
        internal object first")."""
        bucket = self.new_bucket('mpplace')
        parts = [h.random_bytes(5 * MiB), h.random_bytes(1 * MiB)]
        hot0, cold0 = pool_files(self.server, 'hot'), pool_files(self.server, 'cold')
        uid = self.s3.create_multipart_upload(Bucket=bucket, Key='mp',
                                              StorageClass='GLACIER')['UploadId']
        etags = [self.s3.upload_part(Bucket=bucket, Key='mp', UploadId=uid, PartNumber=i + 1,
                                     Body=p)['ETag'] for i, p in enumerate(parts)]
        self.s3.complete_multipart_upload(
            Bucket=bucket, Key='mp', UploadId=uid,
            MultipartUpload={'Parts': [{'PartNumber': i + 1, 'ETag': e}
                                       for i, e in enumerate(etags)]})
        self.assertEqual(self.s3.head_object(Bucket=bucket, Key='mp')['StorageClass'], 'GLACIER')
        self.assertEqual(self.get_bytes(bucket, 'mp'), b''.join(parts))
        cold_new = added_files(cold0, pool_files(self.server, 'cold'))
        hot_new = added_files(hot0, pool_files(self.server, 'hot'))
        counts = (f'new shard files per drive: cold { {n: len(f) for n, f in cold_new.items()} }'
                  f', hot { {n: len(f) for n, f in hot_new.items()} }')
        self.assertTrue(all(cold_new[n] for n in range(1, 7)),
                        f'the GLACIER multipart object has no shards in the cold pool ({counts})')
        self.assertFalse(any(hot_new[n] for n in range(1, 7)),
                         f'the GLACIER multipart object left shards in the hot pool ({counts})')

    def test_unknown_class_is_refused_and_nothing_stored(self):
        bucket = self.new_bucket('bad')
        data = h.random_bytes(200 * KiB)
        self.s3.put_object(Bucket=bucket, Key='src', Body=data)
        hot0, cold0 = pool_files(self.server, 'hot'), pool_files(self.server, 'cold')
        for cls in ('DEEP_ARCHIVE', 'FOO', 'glacier'):
            with self.subTest(storage_class=cls):
                self.assertS3Error('InvalidStorageClass', 400, self.s3.put_object,
                                   Bucket=bucket, Key='k', Body=data, StorageClass=cls)
                self.assertS3Error('InvalidStorageClass', 400, self.s3.copy_object,
                                   Bucket=bucket, Key='k', StorageClass=cls,
                                   CopySource={'Bucket': bucket, 'Key': 'src'})
                self.assertS3Error('InvalidStorageClass', 400, self.s3.create_multipart_upload,
                                   Bucket=bucket, Key='k', StorageClass=cls)
        cli = h.aws_cli(self.server.endpoint,
                        ['s3api', 'put-object', '--bucket', bucket, '--key', 'k',
                         '--storage-class', 'FOO', '--body', __file__],
                        self.work_dir, check=False)
        self.assertNotEqual(cli.returncode, 0)
        self.assertIn('InvalidStorageClass', cli.stderr)
        self.assertNoSuchKey(bucket, 'k')
        self.assertEqual(self.list_keys(bucket), ['src'])
        self.assertEqual(self.s3.list_multipart_uploads(Bucket=bucket).get('Uploads', []), [])
        self.assertEqual(pool_files(self.server, 'hot'), hot0, 'refused writes left shard files')
        self.assertEqual(pool_files(self.server, 'cold'), cold0, 'refused writes left shard files')

    def test_copy_onto_itself_changes_the_class(self):
        bucket = self.new_bucket('self')
        data = h.random_bytes(512 * KiB)
        hot0 = pool_files(self.server, 'hot')
        self.s3.put_object(Bucket=bucket, Key='k', Body=data, Metadata={'a': 'b'},
                           Tagging='t=1')
        hot_of_k = added_files(hot0, pool_files(self.server, 'hot'))
        self.assertTrue(all(hot_of_k[n] for n in range(1, 7)))
        cold0 = pool_files(self.server, 'cold')
        self.s3.copy_object(Bucket=bucket, Key='k', CopySource={'Bucket': bucket, 'Key': 'k'},
                            StorageClass='GLACIER')
        head = self.s3.head_object(Bucket=bucket, Key='k')
        self.assertEqual(head['StorageClass'], 'GLACIER')
        self.assertEqual(head['ETag'], h.quoted_md5(data))
        self.assertEqual(head['Metadata'], {'a': 'b'})
        self.assertEqual(tags_of(self.s3, bucket, 'k'), [('t', '1')])
        self.assertEqual(self.get_bytes(bucket, 'k'), data)
        self.assertEqual(self.listed_classes(bucket), {'k': 'GLACIER'})
        self.assertTrue(all(added_files(cold0, pool_files(self.server, 'cold'))[n]
                            for n in range(1, 7)), 'the recopied object is not in the cold pool')
        # The replaced STANDARD version's hot shards are gone (unversioned bucket).
        wait_until(lambda: not [f for n in hot_of_k for f in hot_of_k[n] if os.path.exists(f)],
                   'the replaced STANDARD version\'s hot shard files to go')
        # Without a change, a copy onto itself stays illegal.
        self.assertS3Error('InvalidRequest', 400, self.s3.copy_object, Bucket=bucket, Key='k',
                           CopySource={'Bucket': bucket, 'Key': 'k'})
        self.s3.copy_object(Bucket=bucket, Key='k', CopySource={'Bucket': bucket, 'Key': 'k'},
                            StorageClass='STANDARD')
        self.assertNotIn('StorageClass', self.s3.head_object(Bucket=bucket, Key='k'))
        self.assertEqual(self.get_bytes(bucket, 'k'), data)

    def test_aws_cli_storage_class(self):
        bucket = self.new_bucket('cli')
        data = h.random_bytes(200 * KiB)
        path = os.path.join(self.work_dir, 'cli-body')
        with open(path, 'wb') as f:
            f.write(data)
        ep, wd = self.server.endpoint, self.work_dir
        put = json.loads(h.aws_cli(ep, ['s3api', 'put-object', '--bucket', bucket, '--key', 'ia',
                                        '--body', path, '--storage-class', 'STANDARD_IA'],
                                   wd).stdout)
        self.assertEqual(put['ETag'], h.quoted_md5(data))
        h.aws_cli(ep, ['s3', 'cp', path, f's3://{bucket}/g', '--storage-class', 'GLACIER'], wd)
        head = json.loads(h.aws_cli(ep, ['s3api', 'head-object', '--bucket', bucket,
                                         '--key', 'ia'], wd).stdout)
        self.assertEqual(head['StorageClass'], 'STANDARD_IA')
        self.assertEqual(head['ContentLength'], len(data))
        listed = json.loads(h.aws_cli(ep, ['s3api', 'list-objects-v2', '--bucket', bucket],
                                      wd).stdout)
        self.assertEqual({o['Key']: o['StorageClass'] for o in listed['Contents']},
                         {'ia': 'STANDARD_IA', 'g': 'GLACIER'})
        out = os.path.join(self.work_dir, 'cli-out')
        got = json.loads(h.aws_cli(ep, ['s3api', 'get-object', '--bucket', bucket, '--key', 'g',
                                        out], wd).stdout)
        self.assertEqual(got['StorageClass'], 'GLACIER')
        with open(out, 'rb') as f:
            self.assertEqual(f.read(), data)


# -- the configuration API ----------------------------------------------------------------------

FULL_RULES = [
    {'ID': 'logs', 'Status': 'Enabled', 'Filter': {'Prefix': 'logs/'},
     'Expiration': {'Days': 365},
     'Transitions': [{'Days': 30, 'StorageClass': 'STANDARD_IA'},
                     {'Days': 90, 'StorageClass': 'GLACIER'}],
     'NoncurrentVersionExpiration': {'NoncurrentDays': 10, 'NewerNoncurrentVersions': 2},
     'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 3}},
    {'ID': 'tagged', 'Status': 'Disabled', 'Filter': {'Tag': {'Key': 'pii', 'Value': 'yes'}},
     'Expiration': {'Date': datetime.datetime(2031, 1, 1, tzinfo=UTC)}},
    {'ID': 'and', 'Status': 'Enabled',
     'Filter': {'And': {'Prefix': 'data/', 'Tags': [{'Key': 'a', 'Value': '1'},
                                                    {'Key': 'b', 'Value': '2'}],
                        'ObjectSizeGreaterThan': 1024, 'ObjectSizeLessThan': 1048576}},
     'Transitions': [{'Days': 1, 'StorageClass': 'GLACIER_IR'}],
     'NoncurrentVersionTransitions': [{'NoncurrentDays': 5, 'StorageClass': 'GLACIER',
                                       'NewerNoncurrentVersions': 1}]},
    {'ID': 'sizes', 'Status': 'Enabled', 'Filter': {'ObjectSizeGreaterThan': 500},
     'NoncurrentVersionExpiration': {'NoncurrentDays': 1}},
    {'ID': 'markers', 'Status': 'Enabled', 'Filter': {'Prefix': ''},
     'Expiration': {'ExpiredObjectDeleteMarker': True}},
]


def normalized(rules):
    """Rules as comparable JSON-ish values (dates as ISO strings, And tags sorted)."""
    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, datetime.datetime):
            return v.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')
        if isinstance(v, str) and re.match(r'^\d{4}-\d\d-\d\dT00:00:00(\.000)?(Z|\+00:00)$', v):
            return v[:10] + 'T00:00:00Z'
        return v
    out = norm(rules)
    for r in out:
        tags = r.get('Filter', {}).get('And', {}).get('Tags')
        if tags:
            tags.sort(key=lambda t: t['Key'])
    return out


class LifecycleConfigTest(h.StrataTestCase):
    """Put/Get/DeleteBucketLifecycleConfiguration through boto3 and aws-cli."""

    def test_round_trip_boto3(self):
        bucket = self.new_bucket('lc')
        self.assertS3Error('NoSuchLifecycleConfiguration', 404,
                           self.s3.get_bucket_lifecycle_configuration, Bucket=bucket)
        self.s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={'Rules': FULL_RULES})
        got = self.s3.get_bucket_lifecycle_configuration(Bucket=bucket)['Rules']
        self.assertEqual(normalized(got), normalized(FULL_RULES))
        # A second PUT replaces the whole configuration.
        one = [rule('only', 'x/', Expiration={'Days': 2})]
        self.s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                                   LifecycleConfiguration={'Rules': one})
        self.assertEqual(normalized(self.s3.get_bucket_lifecycle_configuration(
            Bucket=bucket)['Rules']), normalized(one))
        res = self.s3.delete_bucket_lifecycle(Bucket=bucket)
        self.assertEqual(res['ResponseMetadata']['HTTPStatusCode'], 204)
        self.assertS3Error('NoSuchLifecycleConfiguration', 404,
                           self.s3.get_bucket_lifecycle_configuration, Bucket=bucket)
        # Deleting what is not there is not an error, as in S3.
        self.assertEqual(self.s3.delete_bucket_lifecycle(Bucket=bucket)
                         ['ResponseMetadata']['HTTPStatusCode'], 204)

    def test_round_trip_aws_cli(self):
        bucket = self.new_bucket('lccli')
        config = {'Rules': [
            {'ID': 'cli-1', 'Status': 'Enabled', 'Filter': {'Prefix': 'ckpt/'},
             'Transitions': [{'Days': 7, 'StorageClass': 'GLACIER'}],
             'NoncurrentVersionExpiration': {'NoncurrentDays': 3, 'NewerNoncurrentVersions': 5},
             'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': 1}},
            {'ID': 'cli-2', 'Status': 'Enabled',
             'Filter': {'And': {'Prefix': 'tmp/', 'Tags': [{'Key': 'k', 'Value': 'v'}],
                                'ObjectSizeLessThan': 4096}},
             'Expiration': {'Date': '2032-06-01T00:00:00Z'}},
        ]}
        path = os.path.join(self.work_dir, 'lifecycle.json')
        with open(path, 'w') as f:
            json.dump(config, f)
        ep, wd = self.server.endpoint, self.work_dir
        h.aws_cli(ep, ['s3api', 'put-bucket-lifecycle-configuration', '--bucket', bucket,
                       '--lifecycle-configuration', f'file://{path}'], wd)
        got = json.loads(h.aws_cli(ep, ['s3api', 'get-bucket-lifecycle-configuration',
                                        '--bucket', bucket], wd).stdout)
        self.assertEqual(normalized(got['Rules']), normalized(config['Rules']))
        # boto3 reads what aws-cli wrote.
        self.assertEqual([r['ID'] for r in self.s3.get_bucket_lifecycle_configuration(
            Bucket=bucket)['Rules']], ['cli-1', 'cli-2'])
        h.aws_cli(ep, ['s3api', 'delete-bucket-lifecycle', '--bucket', bucket], wd)
        gone = h.aws_cli(ep, ['s3api', 'get-bucket-lifecycle-configuration', '--bucket',
                              bucket], wd, check=False)
        self.assertNotEqual(gone.returncode, 0)
        self.assertIn('NoSuchLifecycleConfiguration', gone.stderr)
        # An invalid configuration through aws-cli: its S3 code reaches the user.
        bad = {'Rules': [{'ID': 'x', 'Status': 'Enabled', 'Filter': {'Prefix': ''},
                          'Expiration': {'Days': 0}}]}
        with open(path, 'w') as f:
            json.dump(bad, f)
        refused = h.aws_cli(ep, ['s3api', 'put-bucket-lifecycle-configuration', '--bucket',
                                 bucket, '--lifecycle-configuration', f'file://{path}'], wd,
                            check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn('InvalidArgument', refused.stderr)

    def test_errors(self):
        bucket = self.new_bucket('lcerr')
        good = [rule('keep', 'a/', Expiration={'Days': 5})]
        self.s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                                   LifecycleConfiguration={'Rules': good})
        cases = [
            ('MalformedXML', 400, [rule('both', 'x/', Expiration={
                'Days': 3, 'Date': datetime.datetime(2030, 1, 1, tzinfo=UTC)})]),
            ('InvalidArgument', 400, [rule('zero', 'x/', Expiration={'Days': 0})]),
            ('InvalidArgument', 400, [rule('noon', 'x/', Expiration={
                'Date': datetime.datetime(2030, 1, 1, 12, tzinfo=UTC)})]),
            ('InvalidArgument', 400, [rule('dup', 'x/', Expiration={'Days': 1}),
                                      rule('dup', 'y/', Expiration={'Days': 1})]),
            ('InvalidArgument', 400, [rule('neg', 'x/', Transitions=[
                {'Days': -1, 'StorageClass': 'GLACIER'}])]),
            ('InvalidStorageClass', 400, [rule('cls', 'x/', Transitions=[
                {'Days': 1, 'StorageClass': 'FOO'}])]),
            ('InvalidStorageClass', 400, [rule('deep', 'x/', Transitions=[
                {'Days': 1, 'StorageClass': 'DEEP_ARCHIVE'}])]),
        ]
        for code, status, rules in cases:
            with self.subTest(code=code, rule=rules[0]['ID']):
                self.assertS3Error(code, status, self.s3.put_bucket_lifecycle_configuration,
                                   Bucket=bucket, LifecycleConfiguration={'Rules': rules})
        # Refused configurations changed nothing.
        self.assertEqual(normalized(self.s3.get_bucket_lifecycle_configuration(
            Bucket=bucket)['Rules']), normalized(good))
        missing = h.unique_bucket('nosuch')
        self.assertS3Error('NoSuchBucket', 404, self.s3.put_bucket_lifecycle_configuration,
                           Bucket=missing, LifecycleConfiguration={'Rules': good})
        self.assertS3Error('NoSuchBucket', 404, self.s3.get_bucket_lifecycle_configuration,
                           Bucket=missing)
        self.assertS3Error('NoSuchBucket', 404, self.s3.delete_bucket_lifecycle, Bucket=missing)


# -- the scanner ---------------------------------------------------------------------------------

class LifecycleScannerTest(ScannerMixin, h.StrataTestCase):
    """Rules applied by the background scanner; a lifecycle day lasts 2 s."""

    EXTRA_ENV = FAST_LIFECYCLE

    def versioned_bucket(self, prefix):
        bucket = self.new_bucket(prefix)
        self.s3.put_bucket_versioning(Bucket=bucket,
                                      VersioningConfiguration={'Status': 'Enabled'})
        return bucket

    def test_transition_to_glacier(self):
        bucket = self.versioned_bucket('tr')
        data = h.random_bytes(600 * KiB)
        small = h.random_bytes(2 * KiB)
        hot0 = pool_files(self.server, 'hot')
        self.s3.put_object(Bucket=bucket, Key='cold/a', Body=data, Metadata={'owner': 'vision'},
                           ContentType='application/x-tar', Tagging='team=ml&stage=raw')
        hot_of_a = added_files(hot0, pool_files(self.server, 'hot'))
        self.assertTrue(all(hot_of_a[n] for n in range(1, 7)), 'a STANDARD PUT has hot shards')
        self.s3.put_object(Bucket=bucket, Key='cold/tiny', Body=small)
        self.s3.put_object(Bucket=bucket, Key='warm/b', Body=small)
        ia_data = h.random_bytes(300 * KiB)
        cold_pre = pool_files(self.server, 'cold')
        self.s3.put_object(Bucket=bucket, Key='cold/ia', Body=ia_data, StorageClass='STANDARD_IA')
        cold_of_ia = added_files(cold_pre, pool_files(self.server, 'cold'))
        self.assertTrue(all(cold_of_ia[n] for n in range(1, 7)))
        before_ia = self.s3.head_object(Bucket=bucket, Key='cold/ia')
        before = self.s3.head_object(Bucket=bucket, Key='cold/a')
        before_tiny = self.s3.head_object(Bucket=bucket, Key='cold/tiny')
        cold0 = pool_files(self.server, 'cold')
        self.put_rules(bucket, rule('to-glacier', 'cold/',
                                    Transitions=[{'Days': 1, 'StorageClass': 'GLACIER'}]))
        self.wait_class(bucket, 'cold/a', 'GLACIER')
        self.wait_class(bucket, 'cold/tiny', 'GLACIER')
        self.wait_class(bucket, 'cold/ia', 'GLACIER')

        self.assertUnchanged(bucket, 'cold/a', data, before, [('team', 'ml'), ('stage', 'raw')])
        self.assertUnchanged(bucket, 'cold/tiny', small, before_tiny, [])
        self.assertUnchanged(bucket, 'cold/ia', ia_data, before_ia, [])
        # STANDARD_IA -> GLACIER is the same pool: the class changes, the shards stay.
        self.assertTrue(all(os.path.exists(f) for n in cold_of_ia for f in cold_of_ia[n]),
                        'STANDARD_IA -> GLACIER (one pool) rewrote the shards')
        self.assertEqual(versions_of(self.s3, bucket, 'cold/a'),
                         [('v', before['VersionId'], True)], 'a transition is no new version')
        listed = {o['Key']: o['StorageClass']
                  for o in self.s3.list_objects_v2(Bucket=bucket)['Contents']}
        self.assertEqual(listed, {'cold/a': 'GLACIER', 'cold/tiny': 'GLACIER',
                                  'cold/ia': 'GLACIER', 'warm/b': 'STANDARD'})
        versions = self.s3.list_object_versions(Bucket=bucket)['Versions']
        self.assertEqual({v['Key']: v['StorageClass'] for v in versions}, listed)
        # The shards moved: new files on every cold drive, the old hot ones unlinked.
        cold_new = added_files(cold0, pool_files(self.server, 'cold'))
        self.assertTrue(all(cold_new[n] for n in range(1, 7)), f'no cold shards: {cold_new}')
        wait_until(lambda: not [f for n in hot_of_a for f in hot_of_a[n] if os.path.exists(f)],
                   'the transitioned object\'s hot shard files to be unlinked')
        # Nothing moves twice and the rule leaves other prefixes alone.
        self.wait_scans(2)
        self.assertEqual(self.head_class(bucket, 'warm/b'), 'STANDARD')
        self.assertEqual(self.get_bytes(bucket, 'cold/a'), data)

    def test_filters_select_what_moves(self):
        """Prefix, tag and size filters (And) decide which objects a transition takes."""
        bucket = self.new_bucket('flt')
        big, small = h.random_bytes(200 * KiB), h.random_bytes(1 * KiB)
        objects = {'f/big-tagged': (big, 'tier=cold&x=1'), 'f/small-tagged': (small, 'tier=cold'),
                   'f/big-untagged': (big, ''), 'f/big-other-tag': (big, 'tier=hot'),
                   'g/big-tagged': (big, 'tier=cold'), 'sz/big': (big, ''),
                   'sz/small': (small, '')}
        for key, (body, tagging) in objects.items():
            self.s3.put_object(Bucket=bucket, Key=key, Body=body, Tagging=tagging)
        self.put_rules(
            bucket,
            {'ID': 'and', 'Status': 'Enabled', 'Filter': {'And': {
                'Prefix': 'f/', 'Tags': [{'Key': 'tier', 'Value': 'cold'}],
                'ObjectSizeGreaterThan': 100 * KiB}},
             'Transitions': [{'Days': 1, 'StorageClass': 'GLACIER'}]},
            {'ID': 'size', 'Status': 'Enabled', 'Filter': {'ObjectSizeLessThan': 10 * KiB},
             'Transitions': [{'Days': 1, 'StorageClass': 'STANDARD_IA'}]},
            {'ID': 'off', 'Status': 'Disabled', 'Filter': {'Prefix': 'g/'},
             'Expiration': {'Days': 1}})
        self.wait_class(bucket, 'f/big-tagged', 'GLACIER')
        self.wait_class(bucket, 'sz/small', 'STANDARD_IA')
        self.wait_scans(2)
        want = {'f/big-tagged': 'GLACIER', 'f/small-tagged': 'STANDARD_IA',
                'f/big-untagged': 'STANDARD', 'f/big-other-tag': 'STANDARD',
                'g/big-tagged': 'STANDARD', 'sz/big': 'STANDARD', 'sz/small': 'STANDARD_IA'}
        self.assertEqual({o['Key']: o['StorageClass']
                          for o in self.s3.list_objects_v2(Bucket=bucket)['Contents']}, want)
        for key, (body, _tagging) in objects.items():
            self.assertEqual(self.get_bytes(bucket, key), body, key)

    def test_transition_keeps_lock_checksum_and_multipart_etag(self):
        """Object lock does not stop a transition; a multipart object keeps its ETag."""
        bucket = h.unique_bucket('lockmove')
        self.s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        until = (datetime.datetime.now(UTC) + datetime.timedelta(days=30)).replace(microsecond=0)
        parts = [h.random_bytes(5 * MiB), h.random_bytes(1 * MiB)]
        uid = self.s3.create_multipart_upload(
            Bucket=bucket, Key='mp', ObjectLockMode='GOVERNANCE', ChecksumAlgorithm='CRC32',
            ObjectLockRetainUntilDate=until, Metadata={'kind': 'ckpt'})['UploadId']
        done = [self.s3.upload_part(Bucket=bucket, Key='mp', UploadId=uid, PartNumber=i + 1,
                                    Body=p, ChecksumAlgorithm='CRC32')
                for i, p in enumerate(parts)]
        self.s3.complete_multipart_upload(
            Bucket=bucket, Key='mp', UploadId=uid, MultipartUpload={'Parts': [
                {'PartNumber': i + 1, 'ETag': d['ETag'], 'ChecksumCRC32': d['ChecksumCRC32']}
                for i, d in enumerate(done)]})
        before = self.s3.head_object(Bucket=bucket, Key='mp', ChecksumMode='ENABLED')
        self.assertEqual(before['ETag'], h.multipart_etag(parts))
        self.put_rules(bucket, rule('cold', '', Transitions=[{'Days': 1,
                                                              'StorageClass': 'GLACIER'}]))
        self.wait_class(bucket, 'mp', 'GLACIER')
        after = self.s3.head_object(Bucket=bucket, Key='mp', ChecksumMode='ENABLED')
        for field in ('ETag', 'VersionId', 'ContentLength', 'ChecksumCRC32', 'Metadata',
                      'ObjectLockMode', 'ObjectLockRetainUntilDate'):
            self.assertEqual(after.get(field), before.get(field), field)
        self.assertEqual(after['ObjectLockMode'], 'GOVERNANCE')
        self.assertEqual(self.get_bytes(bucket, 'mp'), b''.join(parts))
        # Still locked where it now lives.
        self.assertS3Error('AccessDenied', 403, self.s3.delete_object, Bucket=bucket, Key='mp',
                           VersionId=before['VersionId'])
        self.assertEqual(self.get_bytes(bucket, 'mp'), b''.join(parts))

    def test_expiration_unversioned(self):
        bucket = self.new_bucket('exp')
        for key in ('exp/a', 'exp/b', 'keep/c', 'dated/d'):
            self.s3.put_object(Bucket=bucket, Key=key, Body=key.encode() * 1000)
        self.put_rules(bucket, rule('expire', 'exp/', Expiration={'Days': 1}),
                       rule('dated', 'dated/', Expiration={
                           'Date': datetime.datetime(2020, 1, 1, tzinfo=UTC)}))
        wait_until(lambda: self.list_keys(bucket) == ['keep/c'],
                   'exp/* and dated/* to expire', timeout=DEADLINE)
        self.assertNoSuchKey(bucket, 'exp/a')
        res = self.s3.list_object_versions(Bucket=bucket)
        self.assertEqual([v['Key'] for v in res.get('Versions', [])], ['keep/c'])
        self.assertEqual(res.get('DeleteMarkers', []), [], 'unversioned: no delete markers')
        self.assertEqual(self.get_bytes(bucket, 'keep/c'), b'keep/c' * 1000)

    def test_expiration_versioned_adds_a_delete_marker(self):
        bucket = self.versioned_bucket('expv')
        data = h.random_bytes(200 * KiB)
        v1 = self.s3.put_object(Bucket=bucket, Key='k', Body=data)['VersionId']
        self.put_rules(bucket, rule('expire', '', Expiration={'Days': 1}))
        state = wait_until(
            lambda: (lambda vs: vs if vs and vs[0][0] == 'marker' else None)(
                versions_of(self.s3, bucket, 'k')),
            'a delete marker on k')
        self.assertEqual(len(state), 2, state)
        self.assertEqual(state[0][2], True, 'the marker is the latest')
        self.assertEqual(state[1], ('v', v1, False), 'the old version stays, noncurrent')
        self.assertNoSuchKey(bucket, 'k')
        self.assertEqual(self.get_bytes(bucket, 'k', VersionId=v1), data)
        self.assertEqual(self.list_keys(bucket), [])
        # Later scans add no more markers and remove nothing.
        self.wait_scans(2)
        self.assertEqual(versions_of(self.s3, bucket, 'k'), state)

    def test_noncurrent_expiration_keeps_newer_noncurrent_versions(self):
        bucket = self.versioned_bucket('nc')
        bodies = [f'version {i}'.encode() * 100 for i in range(1, 5)]
        vids = [self.s3.put_object(Bucket=bucket, Key='k', Body=b)['VersionId'] for b in bodies]
        self.put_rules(bucket, rule('nc', '', NoncurrentVersionExpiration={
            'NoncurrentDays': 1, 'NewerNoncurrentVersions': 1}))
        want = [('v', vids[3], True), ('v', vids[2], False)]
        wait_until(lambda: versions_of(self.s3, bucket, 'k') == want,
                   f'only the current and the newest noncurrent version: {want}')
        self.assertEqual(self.get_bytes(bucket, 'k'), bodies[3])
        self.assertEqual(self.get_bytes(bucket, 'k', VersionId=vids[2]), bodies[2])
        for gone in vids[:2]:
            self.assertS3Error('NoSuchVersion', 404, self.s3.get_object, Bucket=bucket, Key='k',
                               VersionId=gone)
        self.wait_scans(2)
        self.assertEqual(versions_of(self.s3, bucket, 'k'), want, 'kept versions must stay')

    def test_expired_object_delete_marker_goes(self):
        bucket = self.versioned_bucket('dm')
        v = self.s3.put_object(Bucket=bucket, Key='lone', Body=b'x')['VersionId']
        self.s3.delete_object(Bucket=bucket, Key='lone')
        self.s3.delete_object(Bucket=bucket, Key='lone', VersionId=v)
        self.assertEqual([k for k, _, _ in versions_of(self.s3, bucket, 'lone')], ['marker'])
        keep = self.s3.put_object(Bucket=bucket, Key='shadow', Body=b'y')['VersionId']
        self.s3.delete_object(Bucket=bucket, Key='shadow')
        shadow = versions_of(self.s3, bucket, 'shadow')
        self.put_rules(bucket, rule('markers', '', Expiration={'ExpiredObjectDeleteMarker': True}))
        wait_until(lambda: versions_of(self.s3, bucket, 'lone') == [],
                   'the lone delete marker to be removed')
        self.wait_scans(2)
        self.assertEqual(versions_of(self.s3, bucket, 'shadow'), shadow,
                         'a marker with a version behind it is not expired')
        self.assertEqual(self.get_bytes(bucket, 'shadow', VersionId=keep), b'y')

    def test_abort_incomplete_multipart_upload(self):
        bucket = self.new_bucket('mpu')
        stale = self.s3.create_multipart_upload(Bucket=bucket, Key='mp/x')['UploadId']
        self.s3.upload_part(Bucket=bucket, Key='mp/x', UploadId=stale, PartNumber=1,
                            Body=h.random_bytes(256 * KiB))
        other = self.s3.create_multipart_upload(Bucket=bucket, Key='other/y')['UploadId']
        self.put_rules(bucket, rule('abort', 'mp/', AbortIncompleteMultipartUpload={
            'DaysAfterInitiation': 1}))

        def open_uploads():
            return sorted((u['Key'], u['UploadId']) for u in
                          self.s3.list_multipart_uploads(Bucket=bucket).get('Uploads', []))
        wait_until(lambda: open_uploads() == [('other/y', other)], 'mp/x to be aborted')
        self.assertS3Error('NoSuchUpload', 404, self.s3.list_parts, Bucket=bucket, Key='mp/x',
                           UploadId=stale)
        self.wait_scans(2)
        self.assertEqual(open_uploads(), [('other/y', other)], 'other prefixes stay')

    def test_locked_version_is_never_removed(self):
        bucket = h.unique_bucket('worm')
        self.s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        until = (datetime.datetime.now(UTC) + datetime.timedelta(days=365)).replace(microsecond=0)
        locked = self.s3.put_object(Bucket=bucket, Key='locked', Body=b'evidence',
                                    ObjectLockMode='COMPLIANCE',
                                    ObjectLockRetainUntilDate=until)['VersionId']
        current = self.s3.put_object(Bucket=bucket, Key='locked', Body=b'newer')['VersionId']
        free = [self.s3.put_object(Bucket=bucket, Key='free', Body=b)['VersionId']
                for b in (b'one', b'two')]
        refused0 = metric(self.server, 'strata_lifecycle_refused_total')
        self.put_rules(bucket, rule('nc', '', NoncurrentVersionExpiration={'NoncurrentDays': 1}))
        # The rule works (the unlocked noncurrent version goes) ...
        wait_until(lambda: versions_of(self.s3, bucket, 'free') == [('v', free[1], True)],
                   'the unlocked noncurrent version to be removed')
        # ... and is refused for the locked one, every scan.
        wait_until(lambda: metric(self.server, 'strata_lifecycle_refused_total') > refused0,
                   'strata_lifecycle_refused_total to count the locked version')
        self.wait_scans(2)
        self.assertEqual(versions_of(self.s3, bucket, 'locked'),
                         [('v', current, True), ('v', locked, False)])
        got = self.s3.get_object(Bucket=bucket, Key='locked', VersionId=locked)
        self.assertEqual(got['Body'].read(), b'evidence')
        self.assertEqual(got['ObjectLockMode'], 'COMPLIANCE')

    def test_metrics(self):
        bucket = self.new_bucket('met')
        data = h.random_bytes(150 * KiB)
        self.s3.put_object(Bucket=bucket, Key='t/x', Body=data)
        self.s3.put_object(Bucket=bucket, Key='e/x', Body=data)
        trans0 = metric(self.server, 'strata_lifecycle_transitioned_objects_total',
                        target='GLACIER_IR')
        bytes0 = metric(self.server, 'strata_lifecycle_transitioned_bytes_total',
                        target='GLACIER_IR')
        expired0 = metric(self.server, 'strata_lifecycle_expired_objects_total')
        self.put_rules(bucket,
                       rule('t', 't/', Transitions=[{'Days': 1, 'StorageClass': 'GLACIER_IR'}]),
                       rule('e', 'e/', Expiration={'Days': 1}))
        self.wait_class(bucket, 't/x', 'GLACIER_IR')
        wait_until(lambda: self.list_keys(bucket) == ['t/x'], 'e/x to expire')
        wait_until(lambda: metric(self.server, 'strata_lifecycle_transitioned_objects_total',
                                  target='GLACIER_IR') >= trans0 + 1,
                   'transitioned_objects_total{target="GLACIER_IR"} to count t/x')
        self.assertGreaterEqual(metric(self.server, 'strata_lifecycle_transitioned_bytes_total',
                                       target='GLACIER_IR'), bytes0 + len(data))
        wait_until(lambda: metric(self.server, 'strata_lifecycle_expired_objects_total')
                   >= expired0 + 1, 'expired_objects_total to count e/x')
        self.assertGreater(metric(self.server, 'strata_lifecycle_expired_objects_total',
                                  **{'class': 'STANDARD'}), 0)
        self.assertGreater(self.scans_done(), 0)
        self.assertGreater(metric(self.server, 'strata_lifecycle_versions_examined_total'), 0)
        names = {n for n, _, _ in scrape(self.server)}
        for name in ('strata_lifecycle_last_scan_duration_seconds',
                     'strata_lifecycle_scan_progress_ratio', 'strata_lifecycle_errors_total'):
            self.assertIn(name, names)


# -- tiers ---------------------------------------------------------------------------------------

REMOTE_KEY = 'TIERWRITERKEY0000001'
REMOTE_SECRET = 'tier/Writer+Secret0123456789abcdefghijk'


def start_remote(name):
    """A second strata server with a readwrite user REMOTE_KEY; its fixture (closed at cleanup)."""
    fixture = h.ServerFixture(name)
    try:
        fixture.server.start()
    except BaseException:
        fixture.failed = True
        fixture.close()
        raise
    added = run_admin(fixture.server, 'user', 'add', 'tierwriter', '--access-key', REMOTE_KEY,
                      '--secret-key', REMOTE_SECRET)
    if added.returncode != 0:
        fixture.close()
        raise AssertionError(f'user add on the remote failed: {added.stderr}')
    return fixture


class TierTestBase(ScannerMixin, h.StrataTestCase):

    EXTRA_ENV = FAST_LIFECYCLE

    def tier(self, *args, server=None):
        return run_admin(server or self.server, 'tier', *args)

    def tier_ok(self, *args, server=None):
        result = self.tier(*args, server=server)
        self.assertEqual(result.returncode, 0, f'tier {args}: {result.stderr}')
        return result

    def tier_list(self, server=None):
        result = self.tier_ok('list', server=server)
        as_json = run_admin(server or self.server, '--json', 'tier', 'list')
        self.assertEqual(as_json.returncode, 0, as_json.stderr)
        return result.stdout, {t['name']: t for t in json.loads(as_json.stdout)['tiers']}

    def archive_keys(self, client, bucket, prefix=''):
        res = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return {o['Key']: o['Size'] for o in res.get('Contents', [])}


class TierTest(TierTestBase):
    """An archive bucket on this server (LOCAL) and a bucket on a second strata (REMOTE)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.remote_fixture = start_remote('TierRemote')
        cls.addClassCleanup(cls.remote_fixture.close)
        cls.remote = cls.remote_fixture.server
        cls.remote_s3 = cls.remote.client(access_key=REMOTE_KEY, secret_key=REMOTE_SECRET)

    def test_local_tier(self):
        archive = self.new_bucket('archive')
        self.tier_ok('add', 'LOCAL', '--bucket', archive, '--prefix', 't/')
        src = self.new_bucket('src')
        self.s3.put_bucket_versioning(Bucket=src, VersioningConfiguration={'Status': 'Enabled'})
        data = h.random_bytes(700 * KiB)
        small = h.random_bytes(3 * KiB)
        self.s3.put_object(Bucket=src, Key='d/obj', Body=data, Metadata={'run': '42'},
                           ContentType='application/x-ckpt', Tagging='tier=local')
        self.s3.put_object(Bucket=src, Key='d/small', Body=small)
        cold0 = pool_files(self.server, 'cold')
        self.s3.put_object(Bucket=src, Key='d/ia', Body=data[:300 * KiB],
                           StorageClass='STANDARD_IA')
        cold_of_ia = added_files(cold0, pool_files(self.server, 'cold'))
        self.assertTrue(all(cold_of_ia[n] for n in range(1, 7)))
        before_ia = self.s3.head_object(Bucket=src, Key='d/ia')
        before = self.s3.head_object(Bucket=src, Key='d/obj')
        before_small = self.s3.head_object(Bucket=src, Key='d/small')
        self.put_rules(src, rule('to-local', 'd/',
                                 Transitions=[{'Days': 1, 'StorageClass': 'LOCAL'}]))
        self.wait_class(src, 'd/obj', 'LOCAL')
        self.wait_class(src, 'd/small', 'LOCAL')
        self.wait_class(src, 'd/ia', 'LOCAL')

        self.assertUnchanged(src, 'd/obj', data, before, [('tier', 'local')])
        self.assertUnchanged(src, 'd/small', small, before_small, [])
        self.assertUnchanged(src, 'd/ia', data[:300 * KiB], before_ia, [])
        want = {'d/obj': 'LOCAL', 'd/small': 'LOCAL', 'd/ia': 'LOCAL'}
        self.assertEqual({o['Key']: o['StorageClass']
                          for o in self.s3.list_objects_v2(Bucket=src)['Contents']}, want)
        self.assertEqual({o['Key']: o['StorageClass']
                          for o in self.s3.list_object_versions(Bucket=src)['Versions']}, want)
        # The bytes live in the archive bucket, named prefix + bucket/key/version.
        obj_key = f't/{src}/d/obj/{before["VersionId"]}'
        small_key = f't/{src}/d/small/{before_small["VersionId"]}'
        ia_key = f't/{src}/d/ia/{before_ia["VersionId"]}'
        self.assertEqual(self.archive_keys(self.s3, archive),
                         {obj_key: len(data), small_key: len(small), ia_key: 300 * KiB})
        self.assertEqual(self.get_bytes(archive, obj_key), data)
        # Out of the cold pool into the tier: the cold copy is gone.
        wait_until(lambda: not [f for n in cold_of_ia for f in cold_of_ia[n] if os.path.exists(f)],
                   'the cold shards of d/ia to go once it moved to the tier')
        # A tiered object is a copy source like any other.
        self.s3.copy_object(Bucket=src, Key='copy', CopySource={'Bucket': src, 'Key': 'd/obj'})
        self.assertEqual(self.get_bytes(src, 'copy'), data)
        self.assertEqual(self.head_class(src, 'copy'), 'STANDARD')
        self.s3.delete_object(Bucket=src, Key='copy',
                              VersionId=self.s3.head_object(Bucket=src, Key='copy')['VersionId'])
        wait_until(lambda: metric(self.server, 'strata_lifecycle_transitioned_objects_total',
                                  target='LOCAL') >= 3,
                   'transitioned_objects_total{target="LOCAL"}')

        out, tiers = self.tier_list()
        self.assertIn('LOCAL', out)
        self.assertEqual((tiers['LOCAL']['bucket'], tiers['LOCAL']['prefix'],
                          tiers['LOCAL']['endpoint']), (archive, 't/', ''))
        refused = self.tier('remove', 'LOCAL')
        self.assertEqual(refused.returncode, 1, refused.stdout)
        self.assertIn('objects still live in tier LOCAL', refused.stderr)
        self.assertIn('LOCAL', self.tier_list()[1], 'a refused remove removed the tier')

        # Deleting a version removes its archived copy.
        self.s3.delete_object(Bucket=src, Key='d/obj', VersionId=before['VersionId'])
        self.assertEqual(self.archive_keys(self.s3, archive),
                         {small_key: len(small), ia_key: 300 * KiB})
        self.s3.delete_object(Bucket=src, Key='d/small', VersionId=before_small['VersionId'])
        self.assertEqual(self.archive_keys(self.s3, archive), {ia_key: 300 * KiB})
        self.s3.delete_object(Bucket=src, Key='d/ia', VersionId=before_ia['VersionId'])
        self.assertEqual(self.archive_keys(self.s3, archive), {})
        self.s3.delete_bucket_lifecycle(Bucket=src)
        removed = self.tier_ok('remove', 'LOCAL')
        self.assertIn('removed tier LOCAL', removed.stdout)
        self.assertNotIn('LOCAL', self.tier_list()[1])

    def test_remote_tier(self):
        remote_bucket = h.unique_bucket('remote-archive')
        self.remote_s3.create_bucket(Bucket=remote_bucket)
        added = self.tier_ok('add', 'REMOTE', '--bucket', remote_bucket, '--prefix', 'p/',
                             '--endpoint-url', self.remote.endpoint, '--access-key', REMOTE_KEY,
                             '--secret-key', REMOTE_SECRET)
        self.assertIn('added tier REMOTE', added.stdout)
        out, tiers = self.tier_list()
        self.assertEqual((tiers['REMOTE']['bucket'], tiers['REMOTE']['prefix'],
                          tiers['REMOTE']['endpoint']), (remote_bucket, 'p/', self.remote.endpoint))
        self.assertIn(self.remote.endpoint, out)
        raw = run_admin(self.server, '--json', 'tier', 'list').stdout
        for text in (out, raw):
            self.assertNotIn(REMOTE_SECRET, text, 'tier list printed the secret key')
        for parent, _dirs, files in os.walk(self.server.data_dir):
            for name in files:
                with open(os.path.join(parent, name), 'rb') as f:
                    self.assertNotIn(REMOTE_SECRET.encode(), f.read(),
                                     f'the remote secret is stored in the clear in {name}')

        src = self.new_bucket('rsrc')  # unversioned
        data = h.random_bytes(900 * KiB)
        self.s3.put_object(Bucket=src, Key='r/obj', Body=data, Metadata={'m': 'remote'},
                           ContentType='text/x-remote', Tagging='where=remote')
        self.s3.put_object(Bucket=src, Key='e/obj', Body=data[:200 * KiB])
        before = self.s3.head_object(Bucket=src, Key='r/obj')
        self.put_rules(src,
                       rule('to-remote', 'r/', Transitions=[{'Days': 1, 'StorageClass': 'REMOTE'}]),
                       rule('then-expire', 'e/',
                            Transitions=[{'Days': 1, 'StorageClass': 'REMOTE'}],
                            Expiration={'Days': 5}))
        self.wait_class(src, 'r/obj', 'REMOTE')
        self.assertUnchanged(src, 'r/obj', data, before, [('where', 'remote')])
        self.assertEqual({o['Key']: o['StorageClass']
                          for o in self.s3.list_objects_v2(Bucket=src, Prefix='r/')['Contents']},
                         {'r/obj': 'REMOTE'})
        remote_obj = [k for k in self.archive_keys(self.remote_s3, remote_bucket)
                      if k.startswith(f'p/{src}/r/obj/')]
        self.assertEqual(len(remote_obj), 1, self.archive_keys(self.remote_s3, remote_bucket))
        got = self.remote_s3.get_object(Bucket=remote_bucket, Key=remote_obj[0])
        self.assertEqual(got['Body'].read(), data, 'the remote copy differs')
        # e/obj goes to the tier, then expires: its remote copy goes with it.
        wait_until(lambda: any(k.startswith(f'p/{src}/e/obj/')
                               for k in self.archive_keys(self.remote_s3, remote_bucket)),
                   'e/obj to reach the remote tier')
        wait_until(lambda: self.list_keys(src, 'e/') == [], 'e/obj to expire')
        wait_until(lambda: not any(k.startswith(f'p/{src}/e/')
                                   for k in self.archive_keys(self.remote_s3, remote_bucket)),
                   'the expired object\'s remote copy to be deleted')
        wait_until(lambda: metric(self.server, 'strata_lifecycle_transitioned_objects_total',
                                  target='REMOTE') >= 2,
                   'transitioned_objects_total{target="REMOTE"}')
        wait_until(lambda: metric(self.server, 'strata_lifecycle_expired_objects_total',
                                  **{'class': 'REMOTE'}) >= 1,
                   'expired_objects_total{class="REMOTE"}')

        refused = self.tier('remove', 'REMOTE')
        self.assertEqual(refused.returncode, 1)
        self.assertIn('objects still live in tier REMOTE', refused.stderr)
        # Overwriting (unversioned: the old version goes) drops the old remote copy.
        newer = h.random_bytes(150 * KiB)
        self.s3.put_object(Bucket=src, Key='r/obj', Body=newer)
        self.assertNotIn(remote_obj[0], self.archive_keys(self.remote_s3, remote_bucket),
                         'the overwritten version\'s remote copy stayed')
        self.assertEqual(self.get_bytes(src, 'r/obj'), newer)
        self.s3.delete_object(Bucket=src, Key='r/obj')
        self.assertNoSuchKey(src, 'r/obj')
        self.assertEqual(self.archive_keys(self.remote_s3, remote_bucket), {},
                         'deleting the object left its remote copy')
        self.s3.delete_bucket_lifecycle(Bucket=src)
        self.tier_ok('remove', 'REMOTE')
        self.assertNotIn('REMOTE', self.tier_list()[1])

    def refused(self, *args):
        result = self.tier(*args)
        self.assertEqual(result.returncode, 1, f'{args}: {result.stdout} {result.stderr}')
        self.assertIn('strata admin:', result.stderr)
        return result.stderr

    def test_bad_tiers_are_refused(self):
        remote_bucket = h.unique_bucket('remote-check')
        self.remote_s3.create_bucket(Bucket=remote_bucket)
        archive = self.new_bucket('arch')
        remote = ['--endpoint-url', self.remote.endpoint, '--access-key', REMOTE_KEY]
        cases = [
            (('add', 'NOBUCKET', '--bucket', h.unique_bucket('missing')), 'NoSuchBucket'),
            (('add', 'BADSECRET', '--bucket', remote_bucket, *remote, '--secret-key', 'wrong'),
             r'AccessDenied|SignatureDoesNotMatch'),
            (('add', 'REMOTEMISSING', '--bucket', h.unique_bucket('missing'), *remote,
              '--secret-key', REMOTE_SECRET), 'NoSuchBucket'),
            (('add', 'archive', '--bucket', archive), 'tier names are 1-64 characters'),
            (('add', 'Mixed', '--bucket', archive), 'tier names are 1-64 characters'),
            (('add', 'GLACIER', '--bucket', archive), None),
            (('add', 'STANDARD', '--bucket', archive), None),
            (('add', 'NOKEYS', '--bucket', archive, '--endpoint-url', self.remote.endpoint),
             'access key'),
            (('remove', 'NOSUCHTIER'), None),
        ]
        for args, message in cases:
            with self.subTest(args=args[:2]):
                stderr = self.refused(*args)
                if message:
                    self.assertRegex(stderr, message)
        usage = self.tier('add', 'NOBUCKETFLAG')
        self.assertEqual(usage.returncode, 2, 'a usage error')
        self.assertIn('tier add needs --bucket', usage.stderr)
        names = set(self.tier_list()[1])
        for name in ('NOBUCKETFLAG', 'NOBUCKET', 'BADSECRET', 'REMOTEMISSING', 'archive', 'Mixed',
                     'GLACIER', 'STANDARD', 'NOKEYS'):
            self.assertNotIn(name, names)
        # A name is taken once; a tier is a lifecycle class but not a PUT class.
        self.tier_ok('add', 'DUP', '--bucket', archive)
        self.refused('add', 'DUP', '--bucket', archive)
        bucket = self.new_bucket('cls')
        self.assertS3Error('InvalidStorageClass', 400, self.s3.put_object, Bucket=bucket,
                           Key='k', Body=b'x', StorageClass='DUP')
        self.s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={
            'Rules': [rule('dup', 'x/', Transitions=[{'Days': 30, 'StorageClass': 'DUP'}])]})
        self.assertS3Error('InvalidStorageClass', 400,
                           self.s3.put_bucket_lifecycle_configuration, Bucket=bucket,
                           LifecycleConfiguration={'Rules': [rule('nope', 'x/', Transitions=[
                               {'Days': 30, 'StorageClass': 'NOSUCHTIER'}])]})
        self.s3.delete_bucket_lifecycle(Bucket=bucket)
        self.tier_ok('remove', 'DUP')
        self.assertNotIn('DUP', self.tier_list()[1])

    def test_tier_refusals_say_why(self):
        """The admin CLI passes on the server's reason, not a generic S3 text."""
        archive = self.new_bucket('why')
        self.tier_ok('add', 'TAKEN', '--bucket', archive)
        self.addCleanup(self.tier, 'remove', 'TAKEN')
        for args, reason in ((('add', 'GLACIER', '--bucket', archive), 'storage class'),
                             (('add', 'TAKEN', '--bucket', archive), 'exists'),
                             (('remove', 'NOSUCHTIER'), 'no such tier')):
            with self.subTest(args=args[:2]):
                stderr = self.refused(*args)
                self.assertIn(reason, stderr)
                self.assertNotIn('Please try again', stderr, 'a refusal is not a retryable error')
                self.assertNotIn('The specified key does not exist', stderr)


# -- restarts ------------------------------------------------------------------------------------

class RestartTest(TierTestBase):
    """Transitioned data, tiers and rules survive a restart; the scanner carries on."""

    SERVER_PER_TEST = True

    def test_restart(self):
        remote_fixture = start_remote('RestartRemote')
        self.addCleanup(remote_fixture.close)
        remote_s3 = remote_fixture.server.client(access_key=REMOTE_KEY, secret_key=REMOTE_SECRET)
        remote_bucket = h.unique_bucket('rarchive')
        remote_s3.create_bucket(Bucket=remote_bucket)
        archive = self.new_bucket('archive')
        self.tier_ok('add', 'LOCAL', '--bucket', archive, '--prefix', 't/')
        self.tier_ok('add', 'REMOTE', '--bucket', remote_bucket, '--endpoint-url',
                     remote_fixture.server.endpoint, '--access-key', REMOTE_KEY,
                     '--secret-key', REMOTE_SECRET)
        src = self.new_bucket('src')
        objects = {p: h.random_bytes(300 * KiB) for p in ('c/x', 'l/x', 'r/x')}
        for key, data in objects.items():
            self.s3.put_object(Bucket=src, Key=key, Body=data, Metadata={'k': key},
                               Tagging=f'p={key[0]}')
        heads = {k: self.s3.head_object(Bucket=src, Key=k) for k in objects}
        rules = [rule('c', 'c/', Transitions=[{'Days': 1, 'StorageClass': 'GLACIER'}]),
                 rule('l', 'l/', Transitions=[{'Days': 1, 'StorageClass': 'LOCAL'}]),
                 rule('r', 'r/', Transitions=[{'Days': 1, 'StorageClass': 'REMOTE'}]),
                 rule('later', 'later/', Expiration={'Days': 6})]
        self.s3.put_bucket_lifecycle_configuration(Bucket=src,
                                                   LifecycleConfiguration={'Rules': rules})
        classes = {'c/x': 'GLACIER', 'l/x': 'LOCAL', 'r/x': 'REMOTE'}
        for key, cls in classes.items():
            self.wait_class(src, key, cls)
        config = self.s3.get_bucket_lifecycle_configuration(Bucket=src)['Rules']
        tiers_before = self.tier_list()[1]

        later_put = time.monotonic()
        self.s3.put_object(Bucket=src, Key='later/x', Body=b'expires after the restart')
        self.server.restart()
        self.refresh_client()
        if time.monotonic() - later_put < 10:  # 12 s to live: it must still be here
            self.assertEqual(self.get_bytes(src, 'later/x'), b'expires after the restart')

        self.assertEqual(self.s3.get_bucket_lifecycle_configuration(Bucket=src)['Rules'], config)
        self.assertEqual(self.tier_list()[1], tiers_before)
        for key, cls in classes.items():
            self.assertEqual(self.head_class(src, key), cls, key)
            self.assertUnchanged(src, key, objects[key], heads[key], [('p', key[0])])
        self.assertEqual({o['Key']: o['StorageClass'] for o in
                          self.s3.list_objects_v2(Bucket=src)['Contents'] if o['Key'] in classes},
                         classes)
        local_keys = self.archive_keys(self.s3, archive)
        self.assertEqual(len(local_keys), 1, local_keys)
        self.assertTrue(next(iter(local_keys)).startswith(f't/{src}/l/x/'), local_keys)
        remote_keys = self.archive_keys(remote_s3, remote_bucket)
        self.assertEqual(len(remote_keys), 1, remote_keys)
        self.assertTrue(next(iter(remote_keys)).startswith(f'{src}/r/x/'), remote_keys)
        # The scanner resumed: the rule from before the restart acts, and new objects move.
        wait_until(lambda: self.list_keys(src, 'later/') == [], 'later/x to expire after restart')
        self.s3.put_object(Bucket=src, Key='c/new', Body=b'after the restart')
        self.wait_class(src, 'c/new', 'GLACIER')
        self.assertEqual(self.get_bytes(src, 'c/new'), b'after the restart')
        # Cleaning up through the tiers still works after the restart.
        for key in objects:
            self.s3.delete_object(Bucket=src, Key=key)
        self.assertEqual(self.archive_keys(self.s3, archive), {})
        self.assertEqual(self.archive_keys(remote_s3, remote_bucket), {})
        self.s3.delete_bucket_lifecycle(Bucket=src)
        self.tier_ok('remove', 'LOCAL')
        self.tier_ok('remove', 'REMOTE')


if __name__ == '__main__':
    import unittest
    unittest.main()
