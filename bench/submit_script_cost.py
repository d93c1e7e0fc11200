#!/usr/bin/env python3
"""Redis's own cost of the submit script, outside the API: a private redis-server on loopback, one
invoiced account on a tier that never limits, pipelined EVALSHA calls with the API's keys and
arguments. Prints, per script file, Redis's time per call (INFO commandstats) and the server
process's CPU per call (/proc, so network reads and writes included). Several files are measured in
turn, `--rounds` times, so versions of the script compare side by side in one run.

  python3 bench/submit_script_cost.py [--calls 50000] [--prefill 250000] [--rounds 2] [script.lua ...]

Default script: common/src/main/resources/dev/kiln/common/redis/submit.lua. `--prefill` submissions
run first, unmeasured, so the keyspace and the rate-limit windows are as large as in ApiBenchmark's
measured segment. redis-server: $REDIS_SERVER, else the PATH, else the binary inside the
embedded-redis jar the dev stack uses (from ~/.m2). See docs/benchmarks.md, API.
"""
import argparse, glob, os, random, shutil, socket, subprocess, sys, tempfile, time, zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(REPO, 'common/src/main/resources/dev/kiln/common/redis')
PORT = 6391
# The API's default tier table (application.properties) plus the test profile's unlimited tier.
TIERS = ['free', 60, 60, 'standard', 600, 1200, 'enterprise', 6000, 12000, 'unlimited', 1000000, 1000000]
SPEC = ('{"v":1,"job_id":"%s","account_id":"acct-1","mode":"txt2img","model":"sd-1.5","prompt":"a watercolour '
        'lighthouse on a cliff at dawn, soft light","negative_prompt":null,"n":1,"width":512,"height":512,'
        '"steps":20,"guidance_scale":7.5,"strength":null,"seed":1234567,"scheduler":"euler_a","input_key":null,'
        '"created_ms":1764770000000,"deadline_ms":1764770600000}')


def redis_binary():
    if os.environ.get('REDIS_SERVER'):
        return os.environ['REDIS_SERVER']
    if shutil.which('redis-server'):
        return shutil.which('redis-server')
    jars = sorted(glob.glob(os.path.expanduser('~/.m2/repository/com/github/codemonstur/embedded-redis/*/*.jar')))
    if not jars:
        sys.exit('no redis-server: set REDIS_SERVER, install redis-server, or build the dev stack once')
    target = os.path.join(tempfile.gettempdir(), 'kiln-bench-redis-server')
    with zipfile.ZipFile(jars[-1]) as z, open(target, 'wb') as out:
        out.write(z.read('redis-server-6.2.6-v5-linux-amd64'))
    os.chmod(target, 0o755)
    return target


def encode(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


class Connection:
    def __init__(self):
        self.sock = socket.create_connection(('127.0.0.1', PORT), timeout=30)
        self.buf = b''

    def _line(self):
        while b'\r\n' not in self.buf:
            self.buf += self.sock.recv(1 << 20)
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def _bulk(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(1 << 20)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b'+':
            return rest.decode()
        if kind == b'-':
            raise RuntimeError(rest.decode())
        if kind == b':':
            return int(rest)
        if kind == b'$':
            n = int(rest)
            return None if n < 0 else self._bulk(n).decode()
        n = int(rest)
        return None if n < 0 else [self.reply() for _ in range(n)]

    def call(self, *args):
        self.sock.sendall(encode(*args))
        return self.reply()


def cpu_seconds(pid):
    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def measure(binary, script_path, calls, prefill):
    script = open(os.path.join(SCRIPTS, 'lib/tiers.lua')).read() + '\n' + open(script_path).read()
    server = subprocess.Popen([binary, '--port', str(PORT), '--save', '', '--appendonly', 'no'],
                              stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                conn = Connection()
                conn.call('PING')
                break
            except OSError:
                time.sleep(0.05)
        acct, key_hash = 'acct-1', 'ab' * 32
        prefix = f'kiln:{{a:{acct}}}:'
        conn.call('HSET', prefix + 'account', 'plan', 'invoiced', 'tier', 'unlimited', 'balance_micros', 0,
                  'reserved_micros', 0)
        conn.call('HSET', prefix + 'key:' + key_hash, 'status', 'active', 'tier', '')
        sha = conn.call('SCRIPT', 'LOAD', script)

        def submit(n):
            batch = []
            for _ in range(n):
                job = 'img_%032x' % random.getrandbits(128)
                keys = [prefix + 'account', prefix + 'key:' + key_hash, prefix + 'rl:req:' + key_hash,
                        prefix + 'rl:img:' + key_hash, prefix + 'job:' + job, prefix + 'ledger',
                        prefix + 'idem:none', prefix + 'enqueue-pending']
                args = [job, 1, 0, SPEC % job, 'sd-1.5', '', 86400, 604800, 60000, 'free'] + TIERS
                batch.append(encode('EVALSHA', sha, len(keys), *keys, *args))
            conn.sock.sendall(b''.join(batch))
            for _ in range(n):
                reply = conn.reply()
                if reply[0] != 'ok':
                    raise RuntimeError(reply)

        for _ in range(prefill // 100):
            submit(100)
        conn.call('CONFIG', 'RESETSTAT')
        before = cpu_seconds(server.pid)
        for _ in range(calls // 100):
            submit(100)
        cpu_micros = (cpu_seconds(server.pid) - before) * 1e6 / calls
        stats = dict(line[len('cmdstat_'):].split(':', 1) for line in conn.call('INFO', 'commandstats').splitlines()
                     if line.startswith('cmdstat_'))
        usec = float(stats['evalsha'].split('usec_per_call=')[1].split(',')[0])
        return usec, cpu_micros
    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--calls', type=int, default=50000)
    parser.add_argument('--prefill', type=int, default=250000)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('scripts', nargs='*', default=[os.path.join(SCRIPTS, 'submit.lua')])
    a = parser.parse_args()
    binary = redis_binary()
    version = subprocess.run([binary, '--version'], capture_output=True, text=True).stdout.strip()
    print(f'# {version}; {os.cpu_count()} CPUs; calls={a.calls} prefill={a.prefill}')
    for round_no in range(1, a.rounds + 1):
        for path in a.scripts:
            usec, cpu = measure(binary, path, a.calls, a.prefill)
            print(f'round {round_no} {os.path.relpath(path)}: evalsha {usec:.1f} us per call (Redis clock), '
                  f'server CPU {cpu:.1f} us per call')


if __name__ == '__main__':
    main()
