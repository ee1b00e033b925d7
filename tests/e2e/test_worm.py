"""Object lock (WORM) through boto3 and aws-cli against a real strata server.

AWS S3 behaviour: buckets created with object lock are versioned for good; retention
(GOVERNANCE / COMPLIANCE) and legal hold per version, from headers, the bucket default or the
retention APIs; COMPLIANCE yields to nobody before its date, GOVERNANCE only to
x-amz-bypass-governance-retention; a DELETE without version id only adds a marker.
Run: python3 -m unittest -v test_worm.py (STRATA_BIN=path/to/strata).
"""

import datetime
import json
import time
import unittest

import strata_harness as h
from strata_harness import KiB

UTC = datetime.timezone.utc


def ahead(**delta):
    return datetime.datetime.now(UTC) + datetime.timedelta(**delta)


class ObjectLockTest(h.StrataTestCase):

    def locked_bucket(self, default=None):
        bucket = h.unique_bucket('worm')
        self.s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        if default:
            self.s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
                'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': default}})
        return bucket

    def test_bucket_configuration(self):
        """Lock buckets are versioned for good; config with Days or Years; bad configs refused."""
        bucket = self.locked_bucket()
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=bucket)['Status'], 'Enabled')
        self.assertS3Error('InvalidBucketState', 409, self.s3.put_bucket_versioning,
                           Bucket=bucket, VersioningConfiguration={'Status': 'Suspended'})
        self.assertEqual(self.s3.get_object_lock_configuration(Bucket=bucket)
                         ['ObjectLockConfiguration'], {'ObjectLockEnabled': 'Enabled'})
        for rule in ({'Mode': 'GOVERNANCE', 'Days': 3}, {'Mode': 'COMPLIANCE', 'Years': 1}):
            self.s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
                'ObjectLockEnabled': 'Enabled', 'Rule': {'DefaultRetention': rule}})
            got = self.s3.get_object_lock_configuration(Bucket=bucket)['ObjectLockConfiguration']
            self.assertEqual(got['Rule']['DefaultRetention'], rule)
        put = lambda rule: self.s3.put_object_lock_configuration(
            Bucket=bucket, ObjectLockConfiguration={'ObjectLockEnabled': 'Enabled',
                                                    'Rule': {'DefaultRetention': rule}})
        self.assertS3Error('MalformedXML', 400, put, {'Mode': 'GOVERNANCE', 'Days': 1, 'Years': 1})
        self.assertS3Error('MalformedXML', 400, put, {'Mode': 'FOREVER', 'Days': 1})
        self.assertS3Error(('InvalidArgument', 'MalformedXML'), 400, put,
                           {'Mode': 'GOVERNANCE', 'Days': 0})
        plain = self.new_bucket('plain')
        self.assertS3Error('ObjectLockConfigurationNotFoundError', 404,
                           self.s3.get_object_lock_configuration, Bucket=plain)
        # An unversioned bucket cannot take a lock configuration.
        self.assertS3Error('InvalidBucketState', 409, self.s3.put_object_lock_configuration,
                           Bucket=plain, ObjectLockConfiguration={'ObjectLockEnabled': 'Enabled'})

    def test_default_retention_applies_and_headers_override(self):
        """New versions get the default retention; explicit headers win."""
        bucket = self.locked_bucket({'Mode': 'GOVERNANCE', 'Days': 2})
        self.s3.put_object(Bucket=bucket, Key='d', Body=b'x')
        head = self.s3.head_object(Bucket=bucket, Key='d')
        self.assertEqual(head['ObjectLockMode'], 'GOVERNANCE')
        days = (head['ObjectLockRetainUntilDate'] - datetime.datetime.now(UTC)).total_seconds()
        self.assertAlmostEqual(days / 86400, 2, delta=0.01)
        until = ahead(days=5).replace(microsecond=0)
        self.s3.put_object(Bucket=bucket, Key='e', Body=b'x', ObjectLockMode='COMPLIANCE',
                           ObjectLockRetainUntilDate=until)
        head = self.s3.head_object(Bucket=bucket, Key='e')
        self.assertEqual(head['ObjectLockMode'], 'COMPLIANCE')
        self.assertEqual(head['ObjectLockRetainUntilDate'], until)

    def test_compliance_yields_to_nobody(self):
        """COMPLIANCE: no delete even with bypass, no shortening, no mode change; extend works."""
        bucket = self.locked_bucket()
        until = ahead(days=3)
        v = self.s3.put_object(Bucket=bucket, Key='c', Body=b'evidence', ObjectLockMode='COMPLIANCE',
                               ObjectLockRetainUntilDate=until)['VersionId']
        self.assertS3Error('AccessDenied', 403, self.s3.delete_object, Bucket=bucket, Key='c',
                           VersionId=v, BypassGovernanceRetention=True)
        retention = lambda mode, date, **kw: self.s3.put_object_retention(
            Bucket=bucket, Key='c', VersionId=v, Retention={'Mode': mode, 'RetainUntilDate': date},
            **kw)
        self.assertS3Error('AccessDenied', 403, retention, 'COMPLIANCE', ahead(days=1),
                           BypassGovernanceRetention=True)
        self.assertS3Error('AccessDenied', 403, retention, 'GOVERNANCE', ahead(days=10),
                           BypassGovernanceRetention=True)
        later = ahead(days=9).replace(microsecond=0)
        retention('COMPLIANCE', later)
        got = self.s3.get_object_retention(Bucket=bucket, Key='c', VersionId=v)['Retention']
        self.assertEqual((got['Mode'], got['RetainUntilDate']), ('COMPLIANCE', later))
        self.assertEqual(self.get_bytes(bucket, 'c', VersionId=v), b'evidence')

    def test_governance_yields_to_bypass(self):
        """GOVERNANCE: delete and shortening refused, allowed with bypass."""
        bucket = self.locked_bucket()
        v = self.s3.put_object(Bucket=bucket, Key='g', Body=b'x', ObjectLockMode='GOVERNANCE',
                               ObjectLockRetainUntilDate=ahead(days=3))['VersionId']
        self.assertS3Error('AccessDenied', 403, self.s3.delete_object, Bucket=bucket, Key='g',
                           VersionId=v)
        shorter = {'Mode': 'GOVERNANCE', 'RetainUntilDate': ahead(days=1)}
        self.assertS3Error('AccessDenied', 403, self.s3.put_object_retention, Bucket=bucket,
                           Key='g', VersionId=v, Retention=shorter)
        self.s3.put_object_retention(Bucket=bucket, Key='g', VersionId=v, Retention=shorter,
                                     BypassGovernanceRetention=True)
        self.s3.delete_object(Bucket=bucket, Key='g', VersionId=v, BypassGovernanceRetention=True)
        self.assertS3Error('NoSuchVersion', 404, self.s3.get_object, Bucket=bucket, Key='g',
                           VersionId=v)

    def test_legal_hold_blocks_deletion(self):
        """Legal hold ON blocks deletion even with bypass; OFF allows it."""
        bucket = self.locked_bucket()
        v = self.s3.put_object(Bucket=bucket, Key='h', Body=b'x',
                               ObjectLockLegalHoldStatus='ON')['VersionId']
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=bucket, Key='h', VersionId=v)
                         ['LegalHold']['Status'], 'ON')
        self.assertEqual(self.s3.head_object(Bucket=bucket, Key='h')['ObjectLockLegalHoldStatus'],
                         'ON')
        self.assertS3Error('AccessDenied', 403, self.s3.delete_object, Bucket=bucket, Key='h',
                           VersionId=v, BypassGovernanceRetention=True)
        self.s3.put_object_legal_hold(Bucket=bucket, Key='h', VersionId=v,
                                      LegalHold={'Status': 'OFF'})
        self.s3.delete_object(Bucket=bucket, Key='h', VersionId=v)

    def test_delete_without_version_adds_marker(self):
        """A DELETE without version id on a locked object only adds a delete marker."""
        bucket = self.locked_bucket({'Mode': 'COMPLIANCE', 'Days': 1})
        v = self.s3.put_object(Bucket=bucket, Key='m', Body=b'kept')['VersionId']
        self.assertTrue(self.s3.delete_object(Bucket=bucket, Key='m')['DeleteMarker'])
        self.assertS3Error('NoSuchKey', 404, self.s3.get_object, Bucket=bucket, Key='m')
        self.assertEqual(self.get_bytes(bucket, 'm', VersionId=v), b'kept')

    def test_bad_requests(self):
        """Past dates, unknown modes, half-given headers, lock on a plain bucket."""
        bucket = self.locked_bucket()
        self.assertS3Error('InvalidArgument', 400, self.s3.put_object, Bucket=bucket, Key='p',
                           Body=b'x', ObjectLockMode='GOVERNANCE',
                           ObjectLockRetainUntilDate=ahead(days=-1))
        self.assertS3Error('InvalidArgument', 400, self.s3.put_object, Bucket=bucket, Key='p',
                           Body=b'x', ObjectLockMode='FOREVER',
                           ObjectLockRetainUntilDate=ahead(days=1))
        self.assertS3Error('InvalidArgument', 400, self.s3.put_object, Bucket=bucket, Key='p',
                           Body=b'x', ObjectLockMode='GOVERNANCE')
        v = self.s3.put_object(Bucket=bucket, Key='free', Body=b'x')['VersionId']
        self.assertS3Error('NoSuchObjectLockConfiguration', 404, self.s3.get_object_retention,
                           Bucket=bucket, Key='free', VersionId=v)
        self.assertS3Error('InvalidArgument', 400, self.s3.put_object_retention, Bucket=bucket,
                           Key='free', Retention={'Mode': 'GOVERNANCE',
                                                  'RetainUntilDate': ahead(days=-2)})
        plain = self.new_bucket('plain')
        self.assertS3Error('InvalidRequest', 400, self.s3.put_object, Bucket=plain, Key='p',
                           Body=b'x', ObjectLockLegalHoldStatus='ON')
        self.s3.put_object(Bucket=plain, Key='p', Body=b'x')
        self.assertS3Error('InvalidRequest', 400, self.s3.put_object_retention, Bucket=plain,
                           Key='p', Retention={'Mode': 'GOVERNANCE',
                                               'RetainUntilDate': ahead(days=1)})

    def test_delete_objects_reports_locked_keys(self):
        """DeleteObjects: AccessDenied for the locked version, the unlocked one goes."""
        bucket = self.locked_bucket()
        locked = self.s3.put_object(Bucket=bucket, Key='l', Body=b'x', ObjectLockMode='COMPLIANCE',
                                    ObjectLockRetainUntilDate=ahead(days=1))['VersionId']
        free = self.s3.put_object(Bucket=bucket, Key='f', Body=b'x')['VersionId']
        r = self.s3.delete_objects(Bucket=bucket, Delete={'Objects': [
            {'Key': 'l', 'VersionId': locked}, {'Key': 'f', 'VersionId': free}]})
        self.assertEqual([(e['Key'], e['Code']) for e in r.get('Errors', [])],
                         [('l', 'AccessDenied')])
        self.assertEqual([d['Key'] for d in r['Deleted']], ['f'])
        self.assertS3Error('BucketNotEmpty', 409, self.s3.delete_bucket, Bucket=bucket)
        self.assertEqual(self.get_bytes(bucket, 'l', VersionId=locked), b'x')

    def test_copy_and_multipart_take_lock_headers(self):
        """CopyObject and CreateMultipartUpload lock the new version."""
        bucket = self.locked_bucket()
        self.s3.put_object(Bucket=bucket, Key='src', Body=b'src')
        until = ahead(days=2).replace(microsecond=0)
        c = self.s3.copy_object(Bucket=bucket, Key='copy', CopySource={'Bucket': bucket,
                                                                      'Key': 'src'},
                                ObjectLockMode='COMPLIANCE', ObjectLockRetainUntilDate=until)
        self.assertS3Error('AccessDenied', 403, self.s3.delete_object, Bucket=bucket, Key='copy',
                           VersionId=c['VersionId'])
        up = self.s3.create_multipart_upload(Bucket=bucket, Key='mp',
                                             ObjectLockLegalHoldStatus='ON')
        part = self.s3.upload_part(Bucket=bucket, Key='mp', UploadId=up['UploadId'],
                                   PartNumber=1, Body=h.random_bytes(200 * KiB))
        done = self.s3.complete_multipart_upload(
            Bucket=bucket, Key='mp', UploadId=up['UploadId'],
            MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': part['ETag']}]})
        self.assertS3Error('AccessDenied', 403, self.s3.delete_object, Bucket=bucket, Key='mp',
                           VersionId=done['VersionId'], BypassGovernanceRetention=True)

    def test_expired_retention_allows_deletion(self):
        """Once the retain-until date passes, the version deletes as usual."""
        bucket = self.locked_bucket()
        until = ahead(seconds=3).replace(microsecond=0)  # boto3 sends whole seconds
        v = self.s3.put_object(Bucket=bucket, Key='t', Body=b'x', ObjectLockMode='COMPLIANCE',
                               ObjectLockRetainUntilDate=until)['VersionId']
        self.assertS3Error('AccessDenied', 403, self.s3.delete_object, Bucket=bucket, Key='t',
                           VersionId=v)
        # The server judges expiry by its clock: poll until it agrees (bounded).
        deadline = time.monotonic() + 15
        while True:
            try:
                self.s3.delete_object(Bucket=bucket, Key='t', VersionId=v)
                break
            except h.ClientError as e:
                self.assertEqual(e.response['Error']['Code'], 'AccessDenied')
                self.assertLess(time.monotonic(), deadline, 'retention never expired')
                time.sleep(0.2)
        self.assertGreaterEqual(datetime.datetime.now(UTC), until)
        self.assertS3Error('NoSuchVersion', 404, self.s3.get_object, Bucket=bucket, Key='t',
                           VersionId=v)

    def test_aws_cli(self):
        """aws s3api: create-bucket --object-lock-enabled-for-bucket, retention, legal hold."""
        bucket = h.unique_bucket('cli')
        cli = lambda *args, **kw: h.aws_cli(self.server.endpoint, list(args), self.work_dir, **kw)
        cli('s3api', 'create-bucket', '--bucket', bucket, '--object-lock-enabled-for-bucket')
        cli('s3api', 'put-object-lock-configuration', '--bucket', bucket,
            '--object-lock-configuration', json.dumps({
                'ObjectLockEnabled': 'Enabled',
                'Rule': {'DefaultRetention': {'Mode': 'GOVERNANCE', 'Days': 1}}}))
        v = self.s3.put_object(Bucket=bucket, Key='f', Body=b'x')['VersionId']
        got = json.loads(cli('s3api', 'get-object-retention', '--bucket', bucket, '--key', 'f',
                             '--version-id', v).stdout)
        self.assertEqual(got['Retention']['Mode'], 'GOVERNANCE')
        cli('s3api', 'put-object-legal-hold', '--bucket', bucket, '--key', 'f', '--version-id', v,
            '--legal-hold', 'Status=ON')
        denied = cli('s3api', 'delete-object', '--bucket', bucket, '--key', 'f', '--version-id',
                     v, '--bypass-governance-retention', check=False)
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn('AccessDenied', denied.stderr)


class ObjectLockRestartTest(h.StrataTestCase):
    SERVER_PER_TEST = True

    def test_lock_survives_restart(self):
        """Retention, legal hold and the bucket config are enforced after a restart."""
        bucket = h.unique_bucket('worm')
        self.s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        v = self.s3.put_object(Bucket=bucket, Key='k', Body=h.random_bytes(300 * KiB),
                               ObjectLockMode='COMPLIANCE',
                               ObjectLockRetainUntilDate=ahead(days=1))['VersionId']
        self.server.restart()
        s3 = self.refresh_client()
        self.assertEqual(s3.get_object_retention(Bucket=bucket, Key='k', VersionId=v)
                         ['Retention']['Mode'], 'COMPLIANCE')
        self.assertS3Error('AccessDenied', 403, s3.delete_object, Bucket=bucket, Key='k',
                           VersionId=v, BypassGovernanceRetention=True)
        self.assertS3Error('InvalidBucketState', 409, s3.put_bucket_versioning, Bucket=bucket,
                           VersioningConfiguration={'Status': 'Suspended'})


if __name__ == '__main__':
    unittest.main()
