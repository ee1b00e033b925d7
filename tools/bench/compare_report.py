#!/usr/bin/env python3
"""Turns the raw results of tools/bench/compare.sh (one directory) into the markdown tables of
docs/PERFORMANCE.md: the machine's limits, Strata's figures, and Strata as ratios of those limits
next to the targets.

usage: compare_report.py RESULTS_DIR
"""

import json
import os
import sys

MiB = 1024 * 1024
SIZES = ['4KiB', '64KiB', '1MiB', '64MiB']


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class Results:
    def __init__(self, directory):
        self.dir = directory
        self.machine = {}
        for name in ('machine.txt',):
            with open(os.path.join(directory, name)) as f:
                for line in f:
                    if '=' in line:
                        k, v = line.rstrip('\n').split('=', 1)
                        self.machine[k] = v

    def path(self, name):
        return os.path.join(self.dir, name)

    def fio(self, name):
        """(IOPS, bytes/s) of a fio job's writes."""
        j = load_json(self.path(f'fio_{name}.json'))
        if not j:
            return None, None
        w = j['jobs'][0]['write']
        return w['iops'], w['bw_bytes']

    def md5_bytes_per_s(self):
        """openssl speed's MD5 rate over its largest block size, in bytes/s (one core)."""
        sizes, rates = None, None
        with open(self.path('openssl_md5.txt')) as f:
            for line in f:
                parts = line.strip().split(':')
                if parts[0] == '+H':
                    sizes = [int(x) for x in parts[1:]]
                elif parts[0] == '+F':
                    rates = [float(x) for x in parts[3:]]
        if not rates:
            return None
        return rates[-1] if not sizes else rates[sizes.index(max(sizes))]

    def wrk(self, name):
        """(requests/s, bytes/s, p50 ms, p99 ms, errors) of a wrk run, or None."""
        j = load_json(self.path(f'wrk_{name}.json'))
        if not j or not j.get('duration_us'):
            return None
        secs = j['duration_us'] / 1e6
        return (j['requests'] / secs, j['bytes'] / secs, j['p50_us'] / 1000, j['p99_us'] / 1000,
                j['errors'] + j['non2xx'])

    def url(self, name):
        """The same tuple for a `strata-bench url` run (body bytes only)."""
        j = load_json(self.path(f'url_{name}.json'))
        if not j:
            return None
        lat = j['latency_ms']
        return (j['ops_per_s'], j['mib_per_s'] * MiB, lat['p50'], lat['p99'], j['errors'])

    def client(self, client, name):
        return self.wrk(name) if client == 'wrk' else self.url(name)

    def bench(self, name):
        return load_json(self.path(f'bench_{name}.json'))


def fmt(v, digits=0):
    if v is None:
        return 'n/a'
    return f'{v:,.{digits}f}'


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def main(directory):
    r = Results(directory)
    m = r.machine
    out = []
    w = out.append
    w(f"Run {m.get('date_utc', '?')}, commit {m.get('commit', '?')}"
      f"{' (+ uncommitted changes)' if m.get('dirty', '0') not in ('0', '') else ''}, "
      f"{m.get('cpus', '?')} CPUs ({m.get('cpu_model', '?')}), {m.get('filesystem', '?')}, "
      f"kernel {m.get('kernel', '?')}, {m.get('duration', '?')} per measurement, "
      f"load average {m.get('loadavg_at_start', '?')} at start and "
      f"{m.get('loadavg_at_end', '?')} at the end.")
    w('')

    fsync_iops, _ = r.fio('fsync4k')
    fsync16_iops, _ = r.fio('fsync4k_16jobs')
    _, seq_bw = r.fio('seqwrite')
    md5 = r.md5_bytes_per_s()
    w('### The machine\'s limits')
    w('')
    w('| limit | measured |')
    w('|---|---|')
    w(f'| fio 4 KiB write + fdatasync, 1 job | {fmt(fsync_iops)} writes/s |')
    w(f'| fio 4 KiB write + fdatasync, 16 jobs | {fmt(fsync16_iops)} writes/s |')
    w(f'| fio sequential write 1 MiB blocks (O_DIRECT, QD8) | '
      f'{fmt(seq_bw and seq_bw / MiB)} MiB/s |')
    w(f'| openssl speed -evp md5 (16 KiB blocks, one core) | {fmt(md5 and md5 / MiB)} MiB/s |')
    w('')
    w('nginx is in the next table but one, beside Strata.')
    w('')

    w('### Strata, measured with strata-bench')
    w('')
    w('| workload | size | connections | ops/s | MiB/s | p50 ms | p99 ms | errors |')
    w('|---|---|---|---|---|---|---|---|')
    names = [f'put_{s}' for s in SIZES] + [f'get_{s}' for s in SIZES] + [
        'head_4KiB', 'mixed_4KiB', 'list']
    for name in names:
        b = r.bench(name)
        if not b:
            w(f'| {name} | | | failed | | | | |')
            continue
        size = 'keys' if name == 'list' else name.split('_')[1]
        extra = f" ({fmt(b.get('keys_per_s'))} keys/s)" if name == 'list' else ''
        lat = b['latency_ms']
        w(f"| {b['workload']} | {size} | {b['concurrency']} | {fmt(b['ops_per_s'])}{extra} | "
          f"{fmt(b['mib_per_s'], 1)} | {fmt(lat['p50'], 2)} | {fmt(lat['p99'], 2)} | "
          f"{b['errors']} |")
    w('')

    w('### nginx and Strata under the same load generator (presigned URLs for Strata)')
    w('')
    w('wrk cannot send HEAD (it waits for a body that never comes); `strata-bench url` '
      'sends unsigned GET and HEAD requests to a URL with the same client code as the S3 '
      'workloads. wrk\'s bytes include headers, strata-bench\'s only bodies.')
    w('')
    w('| request | client | nginx req/s | nginx MiB/s | Strata req/s | Strata MiB/s | '
      'Strata p99 ms | Strata / nginx |')
    w('|---|---|---|---|---|---|---|---|')
    pairs = []
    for s in SIZES:
        pairs += [(f'GET {s}', 'wrk', f'get_{s}'), (f'GET {s}', 'strata-bench url', f'get_{s}')]
    pairs.append(('HEAD 4KiB', 'strata-bench url', 'head_4KiB'))
    for label, client, name in pairs:
        n, s = r.client(client, f'nginx_{name}'), r.client(client, f'strata_{name}')
        if not n or not s:
            w(f'| {label} | {client} | n/a | | n/a | | | |')
            continue
        errors = ''
        if n[4] or s[4]:
            errors = f' ({n[4]} / {s[4]} errors!)'
        w(f'| {label} | {client} | {fmt(n[0])} | {fmt(n[1] / MiB)} | {fmt(s[0])} | '
          f'{fmt(s[1] / MiB)} | {fmt(s[3], 2)} | {fmt(ratio(s[0], n[0]), 2)}x{errors} |')
    w('')

    def pair_ratio(client, name, index):
        n, s = r.client(client, f'nginx_{name}'), r.client(client, f'strata_{name}')
        if not n or not s or n[4] or s[4]:
            return None
        return ratio(s[index], n[index])

    def bench_field(name, field):
        b = r.bench(name)
        return b.get(field) if b else None

    streams = int(m.get('put_streams_64', '2'))
    put64 = bench_field('put_64MiB', 'mib_per_s')
    rows = [
        ('4 KiB GET vs nginx 4 KiB (req/s, wrk)', pair_ratio('wrk', 'get_4KiB', 0), 0.5),
        ('4 KiB GET vs nginx 4 KiB (req/s, strata-bench url)',
         pair_ratio('url', 'get_4KiB', 0), 0.5),
        ('4 KiB HEAD vs nginx 4 KiB HEAD (req/s, strata-bench url)',
         pair_ratio('url', 'head_4KiB', 0), 0.5),
        ('1 MiB GET vs nginx (bytes/s, wrk)', pair_ratio('wrk', 'get_1MiB', 1), 0.7),
        ('1 MiB GET vs nginx (bytes/s, strata-bench url)', pair_ratio('url', 'get_1MiB', 1), 0.7),
        ('64 MiB GET vs nginx (bytes/s, wrk)', pair_ratio('wrk', 'get_64MiB', 1), 0.7),
        ('64 MiB GET vs nginx (bytes/s, strata-bench url)',
         pair_ratio('url', 'get_64MiB', 1), 0.7),
        ('4 KiB durable PUT vs fio 4 KiB write+fdatasync (1 job)',
         ratio(bench_field('put_4KiB', 'ops_per_s'), fsync_iops), 1.0),
        (f'64 MiB PUT vs MD5 rate x {streams} streams',
         ratio(put64 and put64 * MiB, md5 and md5 * streams), 0.6),
        ('ListObjectsV2 keys/s vs 200,000',
         ratio(bench_field('list', 'keys_per_s'), 200000), 1.0),
    ]
    w('### Ratios against the targets')
    w('')
    w('| measure | ratio | target | met |')
    w('|---|---|---|---|')
    for label, value, target in rows:
        met = 'n/a' if value is None else ('yes' if value >= target else '**no**')
        w(f'| {label} | {fmt(value, 2)}x | >= {target}x | {met} |')
    print('\n'.join(out))


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
