"""The Helm chart (helm/strata), checked without helm (none on this machine, none in Debian).

- Chart.yaml and values.yaml parse and hold what helm needs; every values.yaml key is documented
  with a comment.
- Every template parses as YAML once its template actions are replaced by placeholders, its
  actions are balanced (if/range/with/define ... end), every `include` names a defined template,
  and every `.Values.x.y` it reads exists in values.yaml.
- The objects the design asks for are there: nodes as a StatefulSet with a volumeClaimTemplate
  per drive and a headless Service, gateways as a Deployment, S3 and admin Services, the
  topology ConfigMap, the Secrets, health probes, the PodDisruptionBudget, the ServiceMonitor.
- The topology: strata.topology in templates/_helpers.tpl is re-implemented here (same loop,
  same names) and rendered for the default values and for a two-pool layout; `strata node` and
  `strata gateway` must accept the result (a node opens its drives and serves; a gateway starts).
Run: python3 -m unittest -v test_helm.py (STRATA_BIN=...).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import yaml

import strata_harness as h

CHART = os.path.join(h.REPO_ROOT, 'helm', 'strata')
TEMPLATES = os.path.join(CHART, 'templates')
ACTION = re.compile(r'{{-?\s*(.*?)\s*-?}}', re.S)
BLOCK_OPEN = ('if', 'range', 'with', 'define', 'block')


def read(path):
    with open(path) as f:
        return f.read()


def load_values():
    return yaml.safe_load(read(os.path.join(CHART, 'values.yaml')))


def template_files():
    return sorted(f for f in os.listdir(TEMPLATES) if not f.startswith('.'))


def strip_actions(text):
    """YAML-parseable text: comments `{{/* */}}` go, a line holding only actions goes, any other
    action becomes the placeholder `X` (inside quotes too)."""
    text = re.sub(r'{{-?\s*/\*.*?\*/\s*-?}}', '', text, flags=re.S)
    out = []
    for line in text.splitlines():
        if ACTION.sub('', line).strip() == '' and ACTION.search(line):
            continue
        out.append(ACTION.sub('X', line))
    return '\n'.join(out)


def actions(text):
    text = re.sub(r'{{-?\s*/\*.*?\*/\s*-?}}', '', text, flags=re.S)
    return [m.group(1).strip() for m in ACTION.finditer(text)]


def lookup(values, dotted):
    node = values
    for part in dotted.split('.'):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def topology(values, release='strata', namespace='default', fullname=None):
    """Python twin of `strata.topology` (templates/_helpers.tpl) for a release whose name
    contains "strata" (fullname = the release name) unless `fullname` is given."""
    fullname = (fullname or release)[:40].rstrip('-')
    nodes_name = f'{fullname}-node'
    nodes_service = f'{fullname}-nodes'
    count = int(values['nodes']['count'])
    nodes = {}
    for i in range(count):
        name = f'{nodes_name}-{i}'
        nodes[name] = {'address': f'{name}.{nodes_service}.{namespace}.svc.'
                                  f'{values["clusterDomain"]}:{int(values["nodes"]["port"])}',
                       'tls': bool(values['tls']['internal']['enabled'])}
    pools = []
    for pool in values['pools']:
        drives = []
        for drive in values['nodes']['drives']:
            if drive['pool'] == pool['name']:
                for i in range(count):
                    drives.append(f'{nodes_name}-{i}:{values["nodes"]["dataPath"]}/{drive["name"]}')
        width = int(pool['data']) + int(pool['parity'])
        if not drives or len(drives) % width:
            raise ValueError(f'pool {pool["name"]}: {len(drives)} drives, sets of {width}')
        sets = [drives[s * width:(s + 1) * width] for s in range(len(drives) // width)]
        pools.append({'name': pool['name'], 'data': int(pool['data']),
                      'parity': int(pool['parity']), 'sets': sets})
    out = {'nodes': nodes, 'pools': pools}
    if values.get('s3StorageClasses'):
        out['storage_classes'] = values['s3StorageClasses']
    return out


class Process:
    """A strata process that must print `ready_line` (then is stopped with SIGTERM)."""

    def __init__(self, args, env, log_path):
        self.log_path = log_path
        with open(log_path, 'wb') as log:
            self.proc = subprocess.Popen([h.strata_binary()] + args, stdout=subprocess.PIPE,
                                         stderr=log, env=env, stdin=subprocess.DEVNULL,
                                         start_new_session=True)

    def wait_line(self, prefix, timeout=30):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode('utf-8', 'replace')
            if not line:
                break
            seen.append(line)
            if line.startswith(prefix):
                return line.strip()
        self.proc.poll()
        raise AssertionError(f'no "{prefix}" line (exit {self.proc.returncode}); stdout '
                             f'{seen!r}; log:\n{read(self.log_path)[-3000:]}')

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc.stdout.close()


class HelmChartTest(unittest.TestCase):

    def setUp(self):
        self.values = load_values()
        self.tmp = tempfile.mkdtemp(prefix='strata-e2e-helm-')
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_chart_yaml(self):
        chart = yaml.safe_load(read(os.path.join(CHART, 'Chart.yaml')))
        self.assertEqual(chart['apiVersion'], 'v2')
        self.assertEqual(chart['name'], 'strata')
        self.assertEqual(chart['type'], 'application')
        self.assertRegex(chart['version'], r'^\d+\.\d+\.\d+$')
        self.assertTrue(chart['appVersion'])
        self.assertFalse(os.path.exists(os.path.join(CHART, 'charts')), 'no dependencies')

    # Maps whose keys are Kubernetes' own (documented there), not the chart's.
    FREE_FORM = {'resources', 'podSecurityContext', 'containerSecurityContext'}

    def test_values_are_documented(self):
        """Every key of values.yaml has a comment right above it, except inside maps that are
        Kubernetes objects passed through (resources, security contexts)."""
        lines = read(os.path.join(CHART, 'values.yaml')).splitlines()
        undocumented = []
        parents = []  # (indent, key)
        for n, line in enumerate(lines):
            m = re.match(r'^(\s*)(- )?([A-Za-z][A-Za-z0-9]*):', line)
            if not m:
                continue
            indent = len(m.group(1)) + (2 if m.group(2) else 0)
            while parents and parents[-1][0] >= indent:
                parents.pop()
            inside_free_form = any(key in self.FREE_FORM for _, key in parents)
            parents.append((indent, m.group(3)))
            if inside_free_form:
                continue
            k = n - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            previous = lines[k].strip() if k >= 0 else ''
            if not (previous.startswith('#') or previous.startswith('- #')):
                undocumented.append(f'{n + 1}: {line.strip()}')
        self.assertEqual(undocumented, [], 'values.yaml keys without a comment right above')

    def test_templates_parse_and_are_balanced(self):
        defined = set()
        for name in template_files():
            for a in actions(read(os.path.join(TEMPLATES, name))):
                m = re.match(r'define\s+"([^"]+)"', a)
                if m:
                    defined.add(m.group(1))
        kinds = {}
        for name in template_files():
            text = read(os.path.join(TEMPLATES, name))
            with self.subTest(template=name):
                depth = 0
                for a in actions(text):
                    word = a.split()[0] if a.split() else ''
                    if word in BLOCK_OPEN:
                        depth += 1
                    elif word == 'end':
                        depth -= 1
                        self.assertGreaterEqual(depth, 0, f'{name}: "end" without a block')
                    for inc in re.findall(r'(?:include|template)\s+"([^"]+)"', a):
                        self.assertIn(inc, defined, f'{name}: include of undefined "{inc}"')
                self.assertEqual(depth, 0, f'{name}: unbalanced blocks')
                if not name.endswith('.yaml'):
                    continue
                docs = [d for d in yaml.safe_load_all(strip_actions(text)) if d]
                self.assertTrue(docs, f'{name}: no YAML document')
                for doc in docs:
                    self.assertIsInstance(doc, dict, name)
                    for field in ('apiVersion', 'kind', 'metadata'):
                        self.assertIn(field, doc, f'{name}: {field}')
                    kinds.setdefault(doc['kind'], []).append((name, doc))
        for kind in ('StatefulSet', 'Deployment', 'Service', 'ConfigMap', 'Secret',
                     'PodDisruptionBudget', 'ServiceMonitor'):
            self.assertIn(kind, kinds, f'no {kind} in the chart')
        self.check_objects(kinds)
        self.assertTrue(read(os.path.join(TEMPLATES, 'NOTES.txt')).strip())

    def check_objects(self, kinds):
        (_, sts), = kinds['StatefulSet']
        self.assertEqual(sts['spec']['podManagementPolicy'], 'Parallel')
        self.assertIn('serviceName', sts['spec'])
        claims = sts['spec']['volumeClaimTemplates']
        self.assertTrue(claims, 'a volumeClaimTemplate per drive')
        pod = sts['spec']['template']['spec']
        node = pod['containers'][0]
        args = node['args']
        self.assertEqual(args[0], 'node')
        for flag in ('--config', '--node', '--data', '--address', '--admin-address'):
            self.assertIn(flag, args)
        self.assertEqual(args[args.index('--node') + 1], '$(STRATA_NODE_NAME)')
        env = {e['name']: e for e in node['env']}
        self.assertEqual(env['STRATA_NODE_NAME']['valueFrom']['fieldRef']['fieldPath'],
                         'metadata.name')
        self.assertIn('secretKeyRef', env['STRATA_CLUSTER_SECRET']['valueFrom'])
        # Probes come from the strata.probes helper (a line of its own, stripped above).
        helpers = read(os.path.join(TEMPLATES, '_helpers.tpl'))
        for needle in ('livenessProbe:', 'path: /health/live', 'readinessProbe:',
                       'path: /health/ready'):
            self.assertIn(needle, helpers)
        for name in ('statefulset-nodes.yaml', 'deployment-gateway.yaml'):
            self.assertIn('include "strata.probes" (list . "admin"',
                          read(os.path.join(TEMPLATES, name)), name)
        services = [doc for _, doc in kinds['Service']]
        self.assertEqual(len(services), 3, 'S3, admin and the nodes\' headless Service')
        self.assertEqual(sorted(p['name'] for d in services for p in d['spec']['ports']),
                         ['admin', 'internal', 'node-admin', 's3'])
        headless = [d for d in services if d['spec'].get('clusterIP') == 'None']
        self.assertEqual(len(headless), 1)
        self.assertTrue(headless[0]['spec']['publishNotReadyAddresses'])

        (_, deploy), = kinds['Deployment']
        gw = deploy['spec']['template']['spec']['containers'][0]
        self.assertEqual(gw['args'][0], 'gateway')
        env = {e['name'] for e in gw['env']}
        self.assertTrue({'STRATA_ACCESS_KEY', 'STRATA_SECRET_KEY',
                         'STRATA_CLUSTER_SECRET'} <= env)
        pdbs = [doc for _, doc in kinds['PodDisruptionBudget']]
        self.assertTrue(any('maxUnavailable' in p['spec'] for p in pdbs))

    def test_values_referenced_by_templates_exist(self):
        missing = []
        for name in template_files():
            text = read(os.path.join(TEMPLATES, name))
            for a in actions(text):
                for ref in re.findall(r'\.Values\.([A-Za-z0-9_.]+)', a):
                    ref = ref.rstrip('.')
                    if not lookup(self.values, ref):
                        missing.append(f'{name}: .Values.{ref}')
        self.assertEqual(missing, [], 'templates read values that values.yaml does not define')
        # Drive entries carry what the StatefulSet and the topology read from them.
        for drive in self.values['nodes']['drives']:
            for field in ('name', 'pool', 'storageClass', 'size', 'accessModes'):
                self.assertIn(field, drive)

    def test_pdb_keeps_write_quorum_by_default(self):
        """maxUnavailable (nodes) stays below every pool's margin: m, or m - 1 when k == m."""
        max_unavailable = self.values['nodes']['podDisruptionBudget']['maxUnavailable']
        for pool in self.values['pools']:
            k, m = pool['data'], pool['parity']
            limit = m - 1 if k == m else m
            self.assertLessEqual(max_unavailable, limit, pool['name'])
            self.assertLess(max_unavailable, m, f'{pool["name"]}: keep a margin')
        helper = read(os.path.join(TEMPLATES, 'pdb-nodes.yaml'))
        self.assertIn('fail', helper, 'the chart refuses a PDB that would break write quorum')

    def test_topology_helper_matches_the_python_twin(self):
        """The twin above follows the helper's names and loop; catch one drifting alone."""
        helper = read(os.path.join(TEMPLATES, '_helpers.tpl'))
        body = helper[helper.index('define "strata.topology"'):]
        body = body[:body.index('{{- end -}}\n\n')] if '{{- end -}}\n\n' in body else body
        for needle in ('printf "%s-%d" $nodesName $i',
                       'printf "%s.%s.%s.svc.%s:%d" $node $nodesService $.Release.Namespace '
                       '$.Values.clusterDomain (int $.Values.nodes.port)',
                       'printf "%s-%d:%s/%s" $nodesName $i $.Values.nodes.dataPath $drive.name',
                       'range $pool := .Values.pools', 'range $drive := $.Values.nodes.drives',
                       'if eq $drive.pool $pool.name', 'range $i := until $count',
                       'slice $drives (mul $s $width) (mul (add $s 1) $width)',
                       'set $topology "storage_classes" .Values.s3StorageClasses',
                       '"tls" $.Values.tls.internal.enabled', 'toPrettyJson $topology'):
            self.assertIn(needle, helper)
        self.assertIn('printf "%s-node" (include "strata.fullname" .)', helper)
        self.assertIn('printf "%s-nodes" (include "strata.fullname" .)', helper)

    def cluster_env(self):
        env = dict(os.environ)
        env.update({'STRATA_CLUSTER_SECRET': 'helm-test-cluster-secret-0123456789',
                    'STRATA_ACCESS_KEY': h.ACCESS_KEY, 'STRATA_SECRET_KEY': h.SECRET_KEY})
        return env

    def gateway_accepts(self, path, total_drives, env):
        """A gateway takes the topology at `path` as is: it opens every drive as a remote one
        and, as no node answers (their names do not resolve here), waits for them rather than
        exit, still stopping on SIGTERM. A topology it rejects says "bad topology"."""
        log_path = os.path.join(self.tmp, f'gateway-{total_drives}.log')
        gateway = Process(['gateway', '--config', path, '--address', '127.0.0.1:0',
                           '--admin-address', 'off'], env, log_path)
        try:
            deadline = time.monotonic() + 60
            while 'waiting for the nodes' not in read(log_path):
                self.assertIsNone(gateway.proc.poll(), read(log_path))
                self.assertLess(time.monotonic(), deadline, read(log_path))
                time.sleep(0.1)
            gateway.proc.send_signal(signal.SIGTERM)
            self.assertEqual(gateway.proc.wait(timeout=10), 0, read(log_path))
        finally:
            gateway.close()
        log = read(log_path)
        self.assertNotIn('bad topology', log)
        self.assertIn(f'msg="cluster drives" online=0 total={total_drives}', log)

    def test_default_topology_is_what_strata_expects(self):
        topo = topology(self.values, release='strata', namespace='storage')
        self.assertEqual(len(topo['nodes']), 6)
        self.assertEqual(topo['nodes']['strata-node-0']['address'],
                         'strata-node-0.strata-nodes.storage.svc.cluster.local:9100')
        self.assertEqual(topo['pools'][0]['sets'][0],
                         [f'strata-node-{i}:/data/drive1' for i in range(6)])
        self.assertEqual((topo['pools'][0]['data'], topo['pools'][0]['parity']), (4, 2))
        path = os.path.join(self.tmp, 'topology.json')
        with open(path, 'w') as f:
            json.dump(topo, f, indent=2)
        env = self.cluster_env()
        self.gateway_accepts(path, 6, env)
        self.run_nodes(self.values, env, nodes=(0, 5))

    def test_two_pool_topology_is_what_strata_expects(self):
        """The values.yaml comment's hot NVMe + wider cold HDD layout renders a topology that
        gateways and nodes accept, with the storage classes mapped."""
        values = json.loads(json.dumps(self.values))
        values['nodes']['drives'] = [
            {'name': 'drive1', 'pool': 'hot', 'storageClass': 'nvme', 'size': '500Gi'},
            {'name': 'drive2', 'pool': 'cold', 'storageClass': 'hdd', 'size': '4Ti'},
            {'name': 'drive3', 'pool': 'cold', 'storageClass': 'hdd', 'size': '4Ti'}]
        values['pools'] = [{'name': 'hot', 'data': 4, 'parity': 2},
                           {'name': 'cold', 'data': 4, 'parity': 2}]
        values['s3StorageClasses'] = {'STANDARD': 'hot', 'STANDARD_IA': 'cold',
                                      'GLACIER_IR': 'cold', 'GLACIER': 'cold'}
        topo = topology(values)
        self.assertEqual([p['name'] for p in topo['pools']], ['hot', 'cold'])
        self.assertEqual(len(topo['pools'][0]['sets']), 1)
        self.assertEqual(len(topo['pools'][1]['sets']), 2)
        for s in topo['pools'][1]['sets']:
            self.assertEqual(len(s), 6)
        self.assertEqual(topo['storage_classes']['GLACIER'], 'cold')
        path = os.path.join(self.tmp, 'topology-two-pools.json')
        with open(path, 'w') as f:
            json.dump(topo, f, indent=2)
        env = self.cluster_env()
        self.gateway_accepts(path, 18, env)
        self.run_nodes(values, env, nodes=(2,))

    def test_example_cluster_topology_parses(self):
        """conf/cluster-6-nodes.json: a node of it opens its four drives (paths moved into a
        temp dir) and a gateway accepts it as is."""
        path = os.path.join(h.REPO_ROOT, 'conf', 'cluster-6-nodes.json')
        with open(path) as f:
            topo = json.load(f)
        self.assertEqual(len(topo['nodes']), 6)
        for pool in topo['pools']:
            for s in pool['sets']:
                self.assertEqual(len(s), pool['data'] + pool['parity'])
                owners = [d.split(':')[0] for d in s]
                self.assertEqual(len(set(owners)), len(owners), 'one drive per node per set')
        env = self.cluster_env()
        local = json.loads(json.dumps(topo).replace('/mnt/', os.path.join(self.tmp, 'mnt') + '/'))
        local_path = os.path.join(self.tmp, 'cluster-6-nodes.json')
        with open(local_path, 'w') as f:
            json.dump(local, f)
        node = Process(['node', '--config', local_path, '--node', 'node3', '--data',
                        os.path.join(self.tmp, 'state'), '--address', '127.0.0.1:0',
                        '--admin-address', 'off'], env, os.path.join(self.tmp, 'node3.log'))
        try:
            node.wait_line('Node endpoint: ')
        finally:
            node.close()
        self.assertIn('online=4 total=4', read(node.log_path))
        self.gateway_accepts(path, 24, env)

    def run_nodes(self, values, env, nodes=(0,)):
        """`strata node` for the given pod indexes over the twin's topology with dataPath in a
        temp dir; each must open all its drives and print its endpoint."""
        values = json.loads(json.dumps(values))
        data_path = os.path.join(self.tmp, 'pod-data')
        values['nodes']['dataPath'] = data_path
        topo = topology(values)
        path = os.path.join(self.tmp, 'topology-local.json')
        with open(path, 'w') as f:
            json.dump(topo, f, indent=2)
        for index in nodes:
            name = f'strata-node-{index}'
            proc = Process(['node', '--config', path, '--node', name, '--data',
                            os.path.join(self.tmp, f'state-{index}'), '--address',
                            '127.0.0.1:0', '--admin-address', 'off'], env,
                           os.path.join(self.tmp, f'{name}.log'))
            try:
                proc.wait_line('Node endpoint: ')
                log = read(proc.log_path)
                expected = len(values['nodes']['drives'])
                self.assertIn(f'online={expected} total={expected}', log,
                              f'{name} did not open all its drives:\n{log}')
            finally:
                proc.close()
            for drive in values['nodes']['drives']:
                self.assertTrue(os.path.isdir(os.path.join(data_path, drive['name'], 'meta')),
                                f'{name}: drive {drive["name"]} not opened')


if __name__ == '__main__':
    unittest.main()
