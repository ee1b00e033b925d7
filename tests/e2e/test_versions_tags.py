"""Versioning and tagging through boto3 and aws-cli s3api against a real strata server.

Behaviour is AWS S3's: PutBucketVersioning/GetBucketVersioning, version ids on PUT, COPY and
CompleteMultipartUpload, GET/HEAD/DELETE with versionId, delete markers, the Suspended null
version, ListObjectVersions with pagination, DeleteObjects with version ids, object tags per
version and bucket tags with AWS's limits. One server per class; a bucket per test.
Run: python3 -m unittest -v test_versions_tags.py (STRATA_BIN=path/to/strata).
"""

import json
import time
import unittest

import strata_harness as h
from strata_harness import KiB

BIG = 300 * KiB  # above the inline limit: erasure-coded shard files


def versions_of(s3, bucket, **kwargs):
    """[(key, version id, is_latest, is_marker)] over every page, in listing order."""
    out = []
    for page in s3.get_paginator('list_object_versions').paginate(Bucket=bucket, **kwargs):
        entries = [(v['Key'], v['VersionId'], v['IsLatest'], False, v['LastModified'])
                   for v in page.get('Versions', [])]
        entries += [(m['Key'], m['VersionId'], m['IsLatest'], True, m['LastModified'])
                    for m in page.get('DeleteMarkers', [])]
        # boto3 splits versions and markers; the wire order is keys ascending, newest first.
        entries.sort(key=lambda e: (e[0], -e[4].timestamp()))
        out += [e[:4] for e in entries]
    return out


class VersioningTest(h.StrataTestCase):

    def versioned_bucket(self):
        bucket = self.new_bucket('ver')
        self.s3.put_bucket_versioning(Bucket=bucket,
                                      VersioningConfiguration={'Status': 'Enabled'})
        return bucket

    def test_configuration_states(self):
        """Unset has no Status; Enabled and Suspended read back; anything else is MalformedXML."""
        bucket = self.new_bucket('ver')
        self.assertNotIn('Status', self.s3.get_bucket_versioning(Bucket=bucket))
        for state in ('Enabled', 'Suspended', 'Enabled'):
            self.s3.put_bucket_versioning(Bucket=bucket,
                                          VersioningConfiguration={'Status': state})
            self.assertEqual(self.s3.get_bucket_versioning(Bucket=bucket)['Status'], state)
        self.assertS3Error('MalformedXML', 400, self.s3.put_bucket_versioning, Bucket=bucket,
                           VersioningConfiguration={'Status': 'On'})
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=bucket)['Status'], 'Enabled')

    def test_every_put_is_a_version(self):
        """Distinct version ids; each readable by id (inline and erasure-coded); latest wins."""
        bucket = self.versioned_bucket()
        bodies = [b'one', h.random_bytes(BIG), b'three']
        ids = []
        for body in bodies:
            r = self.s3.put_object(Bucket=bucket, Key='k', Body=body)
            self.assertNotIn(r['VersionId'], ('', 'null'))
            ids.append(r['VersionId'])
        self.assertEqual(len(set(ids)), 3)
        for vid, body in zip(ids, bodies):
            got = self.s3.get_object(Bucket=bucket, Key='k', VersionId=vid)
            self.assertEqual(got['Body'].read(), body)
            self.assertEqual(got['VersionId'], vid)
            self.assertEqual(got['ETag'], h.quoted_md5(body))
            head = self.s3.head_object(Bucket=bucket, Key='k', VersionId=vid)
            self.assertEqual(head['ContentLength'], len(body))
        latest = self.s3.get_object(Bucket=bucket, Key='k')
        self.assertEqual(latest['Body'].read(), b'three')
        self.assertEqual(latest['VersionId'], ids[-1])

    def test_unknown_and_malformed_version_ids(self):
        """A well-formed unknown id is NoSuchVersion (HEAD: bare 404); garbage is InvalidArgument."""
        bucket = self.versioned_bucket()
        self.s3.put_object(Bucket=bucket, Key='k', Body=b'x')
        unknown = '0' * 32
        self.assertS3Error('NoSuchVersion', 404, self.s3.get_object, Bucket=bucket, Key='k',
                           VersionId=unknown)
        self.assertS3Error('404', 404, self.s3.head_object, Bucket=bucket, Key='k',
                           VersionId=unknown)
        self.assertS3Error('InvalidArgument', 400, self.s3.get_object, Bucket=bucket, Key='k',
                           VersionId='not-a-version')

    def test_delete_marker_hides_and_unhides(self):
        """DELETE adds a marker: GET 404 with x-amz-delete-marker; deleting the marker restores."""
        bucket = self.versioned_bucket()
        v1 = self.s3.put_object(Bucket=bucket, Key='k', Body=b'kept')['VersionId']
        marker = self.s3.delete_object(Bucket=bucket, Key='k')
        self.assertTrue(marker['DeleteMarker'])
        self.assertNotIn(marker['VersionId'], ('', 'null', v1))
        resp = self.assertS3Error('NoSuchKey', 404, self.s3.get_object, Bucket=bucket, Key='k')
        headers = resp['ResponseMetadata']['HTTPHeaders']
        self.assertEqual(headers.get('x-amz-delete-marker'), 'true')
        self.assertEqual(headers.get('x-amz-version-id'), marker['VersionId'])
        self.assertS3Error('404', 404, self.s3.head_object, Bucket=bucket, Key='k')
        self.assertNotIn('Contents', self.s3.list_objects_v2(Bucket=bucket))
        self.assertS3Error('MethodNotAllowed', 405, self.s3.get_object, Bucket=bucket, Key='k',
                           VersionId=marker['VersionId'])
        self.assertEqual(versions_of(self.s3, bucket),
                         [('k', marker['VersionId'], True, True), ('k', v1, False, False)])
        # The old version is still there by id; removing the marker brings it back.
        self.assertEqual(self.get_bytes(bucket, 'k', VersionId=v1), b'kept')
        gone = self.s3.delete_object(Bucket=bucket, Key='k', VersionId=marker['VersionId'])
        self.assertTrue(gone['DeleteMarker'])
        self.assertEqual(gone['VersionId'], marker['VersionId'])
        self.assertEqual(self.get_bytes(bucket, 'k'), b'kept')

    def test_delete_version_for_good_frees_shards(self):
        """DELETE with a version id removes just that version, and its shard files go."""
        bucket = self.versioned_bucket()
        before = sum(self.server.shard_counts().values())
        big = h.random_bytes(BIG)
        v_big = self.s3.put_object(Bucket=bucket, Key='k', Body=big)['VersionId']
        v_small = self.s3.put_object(Bucket=bucket, Key='k', Body=b'small')['VersionId']
        self.assertEqual(sum(self.server.shard_counts().values()), before + h.DRIVES)
        r = self.s3.delete_object(Bucket=bucket, Key='k', VersionId=v_big)
        self.assertEqual(r['VersionId'], v_big)
        self.assertNotIn('DeleteMarker', r)
        self.assertS3Error('NoSuchVersion', 404, self.s3.get_object, Bucket=bucket, Key='k',
                           VersionId=v_big)
        self.assertEqual(self.get_bytes(bucket, 'k'), b'small')
        self.assertEqual([v[1] for v in versions_of(self.s3, bucket)], [v_small])
        # Unlinking happens right after the commit, off the request path: poll briefly.
        deadline = time.monotonic() + 10
        while sum(self.server.shard_counts().values()) != before and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(sum(self.server.shard_counts().values()), before)
        # Deleting an unknown version is not an error (S3 answers 204).
        self.s3.delete_object(Bucket=bucket, Key='k', VersionId='0' * 32)

    def test_suspended_writes_the_null_version(self):
        """Suspended: PUTs replace the null version; versions made while Enabled stay."""
        bucket = self.new_bucket('ver')
        self.s3.put_object(Bucket=bucket, Key='k', Body=b'before versioning')
        self.s3.put_bucket_versioning(Bucket=bucket,
                                      VersioningConfiguration={'Status': 'Enabled'})
        self.assertEqual(versions_of(self.s3, bucket), [('k', 'null', True, False)])
        v1 = self.s3.put_object(Bucket=bucket, Key='k', Body=b'enabled')['VersionId']
        self.assertEqual(self.get_bytes(bucket, 'k', VersionId='null'), b'before versioning')
        self.s3.put_bucket_versioning(Bucket=bucket,
                                      VersioningConfiguration={'Status': 'Suspended'})
        r = self.s3.put_object(Bucket=bucket, Key='k', Body=b'suspended 1')
        self.assertEqual(r.get('VersionId', 'null'), 'null')
        self.s3.put_object(Bucket=bucket, Key='k', Body=b'suspended 2')
        self.assertEqual(versions_of(self.s3, bucket),
                         [('k', 'null', True, False), ('k', v1, False, False)])
        self.assertEqual(self.get_bytes(bucket, 'k'), b'suspended 2')
        self.assertEqual(self.get_bytes(bucket, 'k', VersionId=v1), b'enabled')
        # A DELETE without version id makes a null marker that replaces the null version.
        marker = self.s3.delete_object(Bucket=bucket, Key='k')
        self.assertTrue(marker['DeleteMarker'])
        self.assertEqual(marker['VersionId'], 'null')
        self.assertEqual(versions_of(self.s3, bucket),
                         [('k', 'null', True, True), ('k', v1, False, False)])

    def test_list_versions_pagination_prefix_delimiter(self):
        """Pages of 3 over 7 versions of a key and other keys equal the one-page listing."""
        bucket = self.versioned_bucket()
        expected = []
        for key, count in (('a', 2), ('dir/x', 1), ('dir/y', 2), ('m', 7), ('z', 1)):
            ids = [self.s3.put_object(Bucket=bucket, Key=key, Body=f'{key}{i}'.encode())
                   ['VersionId'] for i in range(count)]
            expected += [(key, vid, i == 0, False) for i, vid in enumerate(reversed(ids))]
        self.assertEqual(versions_of(self.s3, bucket), expected)
        # Manual pagination with MaxKeys 3: markers as S3 returns them.
        paged, kwargs = [], {}
        while True:
            page = self.s3.list_object_versions(Bucket=bucket, MaxKeys=3, **kwargs)
            paged += [(v['Key'], v['VersionId'], v['IsLatest'], False)
                      for v in page.get('Versions', [])]
            self.assertLessEqual(len(page.get('Versions', [])), 3)
            if not page['IsTruncated']:
                break
            kwargs = {'KeyMarker': page['NextKeyMarker'],
                      'VersionIdMarker': page['NextVersionIdMarker']}
        self.assertEqual(paged, expected)
        only_dir = versions_of(self.s3, bucket, Prefix='dir/')
        self.assertEqual([e[0] for e in only_dir], ['dir/x', 'dir/y', 'dir/y'])
        rolled = self.s3.list_object_versions(Bucket=bucket, Delimiter='/')
        self.assertEqual([p['Prefix'] for p in rolled['CommonPrefixes']], ['dir/'])
        self.assertEqual(sorted({v['Key'] for v in rolled['Versions']}), ['a', 'm', 'z'])
        self.assertS3Error('InvalidArgument', 400, self.s3.list_object_versions, Bucket=bucket,
                           VersionIdMarker=expected[0][1])

    def test_delete_objects_with_versions(self):
        """DeleteObjects: by id removes versions; without id makes markers."""
        bucket = self.versioned_bucket()
        v1 = self.s3.put_object(Bucket=bucket, Key='a', Body=b'1')['VersionId']
        v2 = self.s3.put_object(Bucket=bucket, Key='a', Body=b'2')['VersionId']
        self.s3.put_object(Bucket=bucket, Key='b', Body=b'b')
        r = self.s3.delete_objects(Bucket=bucket, Delete={'Objects': [
            {'Key': 'a', 'VersionId': v1}, {'Key': 'b'}]})
        deleted = {d['Key']: d for d in r['Deleted']}
        self.assertEqual(deleted['a']['VersionId'], v1)
        self.assertTrue(deleted['b']['DeleteMarker'])
        marker_id = deleted['b']['DeleteMarkerVersionId']
        self.assertEqual([v[1] for v in versions_of(self.s3, bucket, Prefix='a')], [v2])
        r = self.s3.delete_objects(Bucket=bucket, Delete={'Objects': [
            {'Key': 'b', 'VersionId': marker_id}]})
        self.assertTrue(r['Deleted'][0]['DeleteMarker'])
        self.assertEqual(r['Deleted'][0]['DeleteMarkerVersionId'], marker_id)
        self.assertEqual(self.get_bytes(bucket, 'b'), b'b')

    def test_copy_from_a_version_and_multipart_versions(self):
        """CopyObject reads the named source version; copies and uploads are new versions."""
        bucket = self.versioned_bucket()
        v1 = self.s3.put_object(Bucket=bucket, Key='src', Body=b'first')['VersionId']
        self.s3.put_object(Bucket=bucket, Key='src', Body=b'second')
        r = self.s3.copy_object(Bucket=bucket, Key='dst',
                                CopySource={'Bucket': bucket, 'Key': 'src', 'VersionId': v1})
        self.assertEqual(r['CopySourceVersionId'], v1)
        self.assertNotIn(r['VersionId'], ('', 'null'))
        self.assertEqual(self.get_bytes(bucket, 'dst'), b'first')
        # Restoring an old version onto its own key is a plain copy.
        self.s3.copy_object(Bucket=bucket, Key='src',
                            CopySource={'Bucket': bucket, 'Key': 'src', 'VersionId': v1})
        self.assertEqual(self.get_bytes(bucket, 'src'), b'first')
        self.assertEqual(len(versions_of(self.s3, bucket, Prefix='src')), 3)
        up = self.s3.create_multipart_upload(Bucket=bucket, Key='mp')
        part = self.s3.upload_part(Bucket=bucket, Key='mp', UploadId=up['UploadId'],
                                   PartNumber=1, Body=b'part')
        done = self.s3.complete_multipart_upload(
            Bucket=bucket, Key='mp', UploadId=up['UploadId'],
            MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
        self.assertNotIn(done['VersionId'], ('', 'null'))
        self.assertEqual(self.s3.head_object(Bucket=bucket, Key='mp')['VersionId'],
                         done['VersionId'])

    def test_bucket_with_only_versions_is_not_empty(self):
        """Versions and markers keep a bucket; once all are gone it can be deleted."""
        bucket = self.versioned_bucket()
        v = self.s3.put_object(Bucket=bucket, Key='k', Body=b'x')['VersionId']
        marker = self.s3.delete_object(Bucket=bucket, Key='k')['VersionId']
        self.assertS3Error('BucketNotEmpty', 409, self.s3.delete_bucket, Bucket=bucket)
        self.s3.delete_object(Bucket=bucket, Key='k', VersionId=v)
        self.assertS3Error('BucketNotEmpty', 409, self.s3.delete_bucket, Bucket=bucket)
        self.s3.delete_object(Bucket=bucket, Key='k', VersionId=marker)
        self.s3.delete_bucket(Bucket=bucket)

    def test_aws_cli_s3api(self):
        """aws s3api: put-bucket-versioning, list-object-versions, get-object --version-id."""
        bucket = self.new_bucket('cli')
        cli = lambda *args: h.aws_cli(self.server.endpoint, list(args), self.work_dir)
        cli('s3api', 'put-bucket-versioning', '--bucket', bucket,
            '--versioning-configuration', 'Status=Enabled')
        state = json.loads(cli('s3api', 'get-bucket-versioning', '--bucket', bucket).stdout)
        self.assertEqual(state['Status'], 'Enabled')
        v1 = self.s3.put_object(Bucket=bucket, Key='f', Body=b'v1 bytes')['VersionId']
        self.s3.put_object(Bucket=bucket, Key='f', Body=b'v2 bytes')
        listed = json.loads(cli('s3api', 'list-object-versions', '--bucket', bucket).stdout)
        self.assertEqual([v['IsLatest'] for v in listed['Versions']], [True, False])
        self.assertEqual(listed['Versions'][1]['VersionId'], v1)
        cli('s3api', 'get-object', '--bucket', bucket, '--key', 'f', '--version-id', v1, 'out')
        with open(f'{self.work_dir}/out', 'rb') as f:
            self.assertEqual(f.read(), b'v1 bytes')


class TaggingTest(h.StrataTestCase):

    def tags(self, **kwargs):
        return {t['Key']: t['Value'] for t in self.s3.get_object_tagging(**kwargs)['TagSet']}

    def test_put_with_tagging_header(self):
        """x-amz-tagging (URL-encoded) is stored; GET reports x-amz-tagging-count."""
        bucket = self.new_bucket('tag')
        self.s3.put_object(Bucket=bucket, Key='k', Body=b'x', Tagging='a=1&b=two%20words')
        self.assertEqual(self.tags(Bucket=bucket, Key='k'), {'a': '1', 'b': 'two words'})
        self.assertEqual(self.s3.get_object(Bucket=bucket, Key='k')['TagCount'], 2)
        self.assertS3Error('NoSuchKey', 404, self.s3.get_object_tagging, Bucket=bucket,
                           Key='missing')

    def test_tags_per_version_in_place(self):
        """Tags belong to a version and change in place (no new version)."""
        bucket = self.new_bucket('tag')
        self.s3.put_bucket_versioning(Bucket=bucket,
                                      VersioningConfiguration={'Status': 'Enabled'})
        v1 = self.s3.put_object(Bucket=bucket, Key='k', Body=b'1')['VersionId']
        v2 = self.s3.put_object(Bucket=bucket, Key='k', Body=b'2')['VersionId']
        r = self.s3.put_object_tagging(Bucket=bucket, Key='k', VersionId=v1,
                                       Tagging={'TagSet': [{'Key': 'stage', 'Value': 'raw'}]})
        self.assertEqual(r['VersionId'], v1)
        self.s3.put_object_tagging(Bucket=bucket, Key='k',
                                   Tagging={'TagSet': [{'Key': 'stage', 'Value': 'curated'}]})
        self.assertEqual(self.tags(Bucket=bucket, Key='k', VersionId=v1), {'stage': 'raw'})
        self.assertEqual(self.tags(Bucket=bucket, Key='k', VersionId=v2), {'stage': 'curated'})
        self.assertEqual(len(versions_of(self.s3, bucket)), 2)
        self.s3.delete_object_tagging(Bucket=bucket, Key='k', VersionId=v1)
        self.assertEqual(self.tags(Bucket=bucket, Key='k', VersionId=v1), {})
        self.assertEqual(self.tags(Bucket=bucket, Key='k'), {'stage': 'curated'})

    def test_limits(self):
        """AWS limits: 10 tags, key 128 / value 256 characters, unique keys, no aws: prefix."""
        bucket = self.new_bucket('tag')
        self.s3.put_object(Bucket=bucket, Key='k', Body=b'x')
        put = lambda tags: self.s3.put_object_tagging(
            Bucket=bucket, Key='k', Tagging={'TagSet': [{'Key': k, 'Value': v} for k, v in tags]})
        put([(f'k{i}', 'v') for i in range(10)])
        put([('é' * 128, 'ü' * 256)])  # characters, not bytes
        self.assertS3Error('BadRequest', 400, put, [(f'k{i}', 'v') for i in range(11)])
        self.assertS3Error('InvalidTag', 400, put, [('k' * 129, 'v')])
        self.assertS3Error('InvalidTag', 400, put, [('k', 'v' * 257)])
        self.assertS3Error('InvalidTag', 400, put, [('k', '1'), ('k', '2')])
        self.assertS3Error('InvalidTag', 400, put, [('aws:reserved', '1')])
        self.assertS3Error('InvalidTag', 400, self.s3.put_object, Bucket=bucket, Key='h',
                           Body=b'x', Tagging='a=1&a=2')
        self.assertS3Error('BadRequest', 400, self.s3.put_object, Bucket=bucket, Key='h',
                           Body=b'x', Tagging='&'.join(f'k{i}=v' for i in range(11)))
        self.assertEqual(self.tags(Bucket=bucket, Key='k'), {'é' * 128: 'ü' * 256})

    def test_copy_directive_and_multipart(self):
        """COPY keeps the source's tags, REPLACE takes the header; multipart carries its tags."""
        bucket = self.new_bucket('tag')
        self.s3.put_object(Bucket=bucket, Key='src', Body=b'x', Tagging='a=1')
        self.s3.copy_object(Bucket=bucket, Key='c1', CopySource={'Bucket': bucket, 'Key': 'src'})
        self.assertEqual(self.tags(Bucket=bucket, Key='c1'), {'a': '1'})
        self.s3.copy_object(Bucket=bucket, Key='c2', CopySource={'Bucket': bucket, 'Key': 'src'},
                            TaggingDirective='REPLACE', Tagging='b=2')
        self.assertEqual(self.tags(Bucket=bucket, Key='c2'), {'b': '2'})
        self.assertS3Error('InvalidArgument', 400, self.s3.copy_object, Bucket=bucket, Key='c3',
                           CopySource={'Bucket': bucket, 'Key': 'src'}, TaggingDirective='BOTH')
        up = self.s3.create_multipart_upload(Bucket=bucket, Key='mp', Tagging='team=vision')
        part = self.s3.upload_part(Bucket=bucket, Key='mp', UploadId=up['UploadId'],
                                   PartNumber=1, Body=b'part')
        self.s3.complete_multipart_upload(
            Bucket=bucket, Key='mp', UploadId=up['UploadId'],
            MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
        self.assertEqual(self.tags(Bucket=bucket, Key='mp'), {'team': 'vision'})

    def test_bucket_tagging(self):
        """Put/Get/DeleteBucketTagging; NoSuchTagSet when none; 50-tag limit."""
        bucket = self.new_bucket('tag')
        self.assertS3Error('NoSuchTagSet', 404, self.s3.get_bucket_tagging, Bucket=bucket)
        self.s3.put_bucket_tagging(Bucket=bucket, Tagging={'TagSet': [
            {'Key': 'cost-center', 'Value': 'ml'}, {'Key': 'pii', 'Value': 'no'}]})
        got = self.s3.get_bucket_tagging(Bucket=bucket)['TagSet']
        self.assertEqual({t['Key']: t['Value'] for t in got}, {'cost-center': 'ml', 'pii': 'no'})
        self.assertS3Error('BadRequest', 400, self.s3.put_bucket_tagging, Bucket=bucket,
                           Tagging={'TagSet': [{'Key': f'k{i}', 'Value': 'v'} for i in range(51)]})
        self.assertS3Error('InvalidTag', 400, self.s3.put_bucket_tagging, Bucket=bucket,
                           Tagging={'TagSet': [{'Key': 'x' * 129, 'Value': 'v'}]})
        self.s3.delete_bucket_tagging(Bucket=bucket)
        self.assertS3Error('NoSuchTagSet', 404, self.s3.get_bucket_tagging, Bucket=bucket)

    def test_aws_cli_tagging(self):
        """aws s3api put/get-object-tagging and put/get-bucket-tagging."""
        bucket = self.new_bucket('cli')
        self.s3.put_object(Bucket=bucket, Key='f', Body=b'x')
        cli = lambda *args: h.aws_cli(self.server.endpoint, list(args), self.work_dir)
        cli('s3api', 'put-object-tagging', '--bucket', bucket, '--key', 'f', '--tagging',
            'TagSet=[{Key=owner,Value=data-eng}]')
        got = json.loads(cli('s3api', 'get-object-tagging', '--bucket', bucket, '--key', 'f')
                         .stdout)
        self.assertEqual(got['TagSet'], [{'Key': 'owner', 'Value': 'data-eng'}])
        cli('s3api', 'put-bucket-tagging', '--bucket', bucket, '--tagging',
            'TagSet=[{Key=env,Value=prod}]')
        got = json.loads(cli('s3api', 'get-bucket-tagging', '--bucket', bucket).stdout)
        self.assertEqual(got['TagSet'], [{'Key': 'env', 'Value': 'prod'}])


class RestartTest(h.StrataTestCase):
    SERVER_PER_TEST = True

    def test_versions_tags_and_state_survive_restart(self):
        """Versioning state, every version, markers and tags are there after a restart."""
        bucket = self.new_bucket('rs')
        self.s3.put_bucket_versioning(Bucket=bucket,
                                      VersioningConfiguration={'Status': 'Enabled'})
        big = h.random_bytes(BIG)
        v1 = self.s3.put_object(Bucket=bucket, Key='k', Body=big, Tagging='a=1')['VersionId']
        v2 = self.s3.put_object(Bucket=bucket, Key='k', Body=b'small')['VersionId']
        marker = self.s3.delete_object(Bucket=bucket, Key='k')['VersionId']
        self.s3.put_bucket_tagging(Bucket=bucket, Tagging={'TagSet': [{'Key': 'b', 'Value': '2'}]})
        before = versions_of(self.s3, bucket)
        self.server.restart()
        s3 = self.refresh_client()
        self.assertEqual(s3.get_bucket_versioning(Bucket=bucket)['Status'], 'Enabled')
        self.assertEqual(versions_of(s3, bucket), before)
        self.assertEqual([e[1] for e in before], [marker, v2, v1])
        self.assertEqual(self.get_bytes(bucket, 'k', VersionId=v1), big)
        self.assertEqual(s3.get_object_tagging(Bucket=bucket, Key='k', VersionId=v1)['TagSet'],
                         [{'Key': 'a', 'Value': '1'}])
        self.assertEqual(s3.get_bucket_tagging(Bucket=bucket)['TagSet'],
                         [{'Key': 'b', 'Value': '2'}])


if __name__ == '__main__':
    unittest.main()
