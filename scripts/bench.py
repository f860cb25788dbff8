#!/usr/bin/env python3
"""The performance figures of issue #12, side by side in one run (see docs/performance.md).

Starts the release binary on a fresh SQLite file with a real SMTP sink on loopback, gives
ACCOUNTS carried-over accounts their password through the real flow (Jatka, the mailed link,
the set-password form), then measures with wrk on loopback, nginx and Chromium:

  - page p50/p99 of GET /fi/login and of a logged-in GET /fi/history, idle and while 64
    connections flood POST /api/login with right passwords;
  - password logins per second during the flood against the argon2id bound of this machine
    (`asiointi hashing-rate`: the same crate, parameters and way of hashing, every core);
  - SSR of /fi/login against nginx (one worker) serving the same bytes from a file;
  - first-load bytes over the wire and time to hydrated in Chromium (scripts/first_load.mjs);
  - the server's RSS idle, after 20 s of logins and after the flood; start to first answer, of a
    new deployment (which makes its signing key) and of a later start.

Run by scripts/bench.sh after the release build. Timings are printed, never asserted.
`--logins N` measures only the logins against the bound, N rounds; `BENCH_KEEP=FILE` keeps
the server's log there.
"""
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = pathlib.Path(os.environ.get("ASIOINTI_BIN", ROOT / "target/release/asiointi"))
ACCOUNTS = 128
PASSWORD = "kesäpäivä järven rannalla"
FLOOD_SECONDS = int(os.environ.get("FLOOD_SECONDS", "20"))
# `bench.py --logins N`: only the logins against the bound, N rounds (see the function).
LOGIN_ROUNDS = int(sys.argv[sys.argv.index("--logins") + 1]) if "--logins" in sys.argv else 0
IP = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((IP, 0))
        return s.getsockname()[1]


def wait_for(what, check, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    sys.exit(f"bench: {what} did not come up")


def reachable(port):
    try:
        socket.create_connection((IP, port), timeout=0.2).close()
        return True
    except OSError:
        return False


def rss_mb(pid):
    """The process's resident memory, and what it is made of: anonymous (the heap, the argon2
    blocks), file-backed (the binary) and shared memory (SQLite's WAL index), in MB."""
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    kb = lambda key: int(re.search(rf"{key}:\s+(\d+) kB", status).group(1)) / 1024
    return kb("VmRSS"), kb("RssAnon"), kb("RssFile"), kb("RssShmem")


def post(base, function, form, cookie=None):
    request = urllib.request.Request(
        f"{base}/api/{function}",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Origin": base, **({"Cookie": cookie} if cookie else {})},
    )
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, reply.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as error:
        return error.code, []


def wrk(url, seconds, connections, headers=(), script=None):
    """wrk's requests/s and latency percentiles (ms), and what its script printed."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "out": out}


FLOOD_LUA = """
-- Right passwords of the bench accounts in turn; counts the answers by kind. The counters
-- live in the thread's Lua state; done() (the main state) reads them from each thread.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) n, logged_in, busy, too_many, other = 0, 0, 0, 0, 0 end
function request()
  n = n + 1
  local body = "email=bench%d%%40example.com&password=%s&lang=fi"
  return wrk.format("POST", "/api/login", {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = "ORIGIN"}, string.format(body, n % ACCOUNTS, "PASSWORD"))
end
function response(status, headers, body)
  if status == 200 then logged_in = logged_in + 1
  elseif status == 503 then busy = busy + 1
  elseif status == 429 then too_many = too_many + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for _, kind in ipairs({"logged_in", "busy", "too_many", "other"}) do
      io.write(string.format("answer %s %d\\n", kind, thread:get(kind)))
    end
  end
end
"""


def answers(out):
    return {kind: int(count) for kind, count in re.findall(r"^answer (\w+) (\d+)$", out, re.M)}


def hashing_rate():
    """The argon2id bound of this machine now: `asiointi hashing-rate`, hashes per second."""
    out = subprocess.run([BINARY, "hashing-rate", "--seconds", "5"], capture_output=True,
                         text=True, check=True).stdout
    return float(re.search(r"hashes_per_second=([\d.]+)", out).group(1))


def logins_against_the_bound(url, lua):
    """`--logins N`: N rounds of 20 s of steady logins (8 connections), each between two
    measurements of the bound, which drifts by a tenth between runs on a shared host."""
    print("| round | bound before | logins/s (8 connections, 20 s) | bound after | logins / mean bound |")
    print("| --- | --- | --- | --- | --- |")
    for round in range(1, LOGIN_ROUNDS + 1):
        before = hashing_rate()
        steady = answers(wrk(url, 20, 8, script=str(lua))["out"])
        after = hashing_rate()
        per_second = steady.get("logged_in", 0) / 20
        print(f"| {round} | {before:.1f}/s | {per_second:.1f}/s {steady} | {after:.1f}/s | "
              f"{per_second / ((before + after) / 2):.3f} |", flush=True)


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="asiointi-bench-"))
    procs = []
    try:
        http_port, smtp_port, nginx_port = free_port(), free_port(), free_port()
        base = f"http://{IP}:{http_port}"
        sink = subprocess.Popen(
            ["/usr/bin/python3", ROOT / "tests/support/smtp_sink.py", "--port", str(smtp_port),
             "--dir", work / "mail"], stdout=subprocess.PIPE, text=True)
        procs.append(sink)
        sink.stdout.readline()
        users = work / "users.csv"
        users.write_text("legacy_username,email,full_name\n" + "".join(
            f"bench{i},bench{i}@example.com,Penkki {i}\n" for i in range(ACCOUNTS)))
        env = dict(os.environ,
                   DATABASE_URL=f"sqlite://{work}/bench.db?mode=rwc",
                   SMTP_URL=f"smtp://{IP}:{smtp_port}", PUBLIC_URL=base,
                   LEPTOS_SITE_ADDR=f"{IP}:{http_port}",
                   LEPTOS_SITE_ROOT=str(ROOT / "target/site"), LEPTOS_ENV="PROD",
                   RUST_LOG="warn", LOOKUPS_PER_IP="100000")
        subprocess.run([BINARY, "import-legacy", "--users", users], env=env, check=True,
                       capture_output=True)
        log = open(work / "server.log", "w")

        def answers_health():
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as reply:
                    return reply.status == 200
            except OSError:
                return False

        def start_server():
            started = time.monotonic()
            server = subprocess.Popen([BINARY], env=env, cwd=ROOT, stdout=log, stderr=log)
            procs.append(server)
            wait_for("the server", answers_health)
            return server, (time.monotonic() - started) * 1000

        # The first start of a new deployment also makes its OpenID Connect signing key (RSA
        # 2048: a random fraction of a second); every later start reads it. Both are timed.
        first, first_start_ms = start_server()
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        procs.remove(first)
        server, start_ms = start_server()
        time.sleep(1)
        rss = {"idle": rss_mb(server.pid)}

        # Passwords through the real flow: Jatka mails the link, the form sets the password.
        for i in range(ACCOUNTS):
            post(base, "begin", {"email": f"bench{i}@example.com", "lang": "fi"})
        links = {}
        def mails_in():
            for path in (work / "mail").glob("*.json"):
                mail = json.loads(path.read_text())
                token = re.search(r"/set-password\?token=([\w-]+)", mail["text"])
                if token:
                    links[mail["to"][0]] = token.group(1)
            return len(links) >= ACCOUNTS
        wait_for("the set-password mails", mails_in, seconds=120)
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda token: post(base, "set_password", {
                "token": token, "password": PASSWORD, "confirm": PASSWORD, "lang": "fi"})[0],
                links.values()))
        assert statuses.count(200) == ACCOUNTS, statuses

        status, cookies = post(base, "login", {"email": "bench0@example.com",
                                               "password": PASSWORD, "lang": "fi"})
        session = "; ".join(c.split(";")[0] for c in cookies)
        assert status == 200 and session, (status, cookies)
        login_page, history = f"{base}/fi/login", f"{base}/fi/history"
        cookie = f"Cookie: {session}"
        lua = work / "flood.lua"
        lua.write_text(FLOOD_LUA.replace("ACCOUNTS", str(ACCOUNTS)).replace(
            "ORIGIN", base).replace("PASSWORD", urllib.parse.quote_plus(PASSWORD)))
        if LOGIN_ROUNDS:
            return logins_against_the_bound(f"{base}/api/login", lua)

        idle = {"login": wrk(login_page, 10, 4), "history": wrk(history, 10, 4, [cookie])}

        # 20 s of logins at the rate a busy morning brings (8 at a time), then the flood. The
        # bound drifts by a tenth within minutes on a shared host: measured on both sides.
        steady_bounds = [hashing_rate()]
        steady = wrk(f"{base}/api/login", 20, 8, script=str(lua))
        steady_bounds.append(hashing_rate())
        rss["after 20 s of logins"] = rss_mb(server.pid)
        with ThreadPoolExecutor(3) as pool:
            flood = pool.submit(wrk, f"{base}/api/login", FLOOD_SECONDS, 64, (), str(lua))
            time.sleep(2)  # the flood at full strength before the pages are timed
            pages_login = pool.submit(wrk, login_page, FLOOD_SECONDS - 4, 4)
            pages_history = pool.submit(wrk, history, FLOOD_SECONDS - 4, 4, [cookie])
            flood, during = flood.result(), {"login": pages_login.result(),
                                             "history": pages_history.result()}
        time.sleep(2)
        rss["after the flood"] = rss_mb(server.pid)
        flood_answers = answers(flood["out"])
        logins_per_second = flood_answers.get("logged_in", 0) / FLOOD_SECONDS
        bound = hashing_rate()

        # SSR against nginx (one worker) serving the same page from a file.
        html = urllib.request.urlopen(login_page).read()
        (work / "www").mkdir()
        (work / "www/login.html").write_bytes(html)
        (work / "nginx.conf").write_text(f"""
worker_processes 1; daemon off; pid {work}/nginx.pid; error_log {work}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; default_type text/html;
  server {{ listen {IP}:{nginx_port}; root {work}/www; location / {{ }} }} }}
""")
        nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
        nginx = subprocess.Popen([nginx_bin, "-c", work / "nginx.conf", "-p", work])
        procs.append(nginx)
        wait_for("nginx", lambda: reachable(nginx_port))
        ssr = wrk(login_page, 10, 16)
        static = wrk(f"http://{IP}:{nginx_port}/login.html", 10, 16)

        load = json.loads(subprocess.run(
            ["node", ROOT / "scripts/first_load.mjs", login_page, "5"], capture_output=True,
            text=True, check=True, cwd=ROOT).stdout)

        print(f"\n# asiointi benchmark — {time.strftime('%Y-%m-%d %H:%M')}, "
              f"{os.cpu_count()} cores, release build, SQLite\n")
        print("| | measured |\n| --- | --- |")
        print(f"| first load of /fi/login over the wire, empty cache | {load['bytes']:,} B |")
        for f in load["files"]:
            print(f"| — {f['url'].replace(base, '')} | {f['bytes']:,} B {f['encoding']} |")
        print(f"| time to hydrated (median of {len(load['hydrated_ms'])}) | "
              f"{statistics.median(load['hydrated_ms'])} ms {load['hydrated_ms']} |")
        for name in ("login", "history"):
            print(f"| p50 / p99 GET /fi/{name}, idle | {idle[name]['p50']:.2f} / "
                  f"{idle[name]['p99']:.2f} ms ({idle[name]['rps']:,.0f} req/s) |")
        for name in ("login", "history"):
            print(f"| p50 / p99 GET /fi/{name}, 64 connections flooding /api/login | "
                  f"{during[name]['p50']:.2f} / {during[name]['p99']:.2f} ms "
                  f"({during[name]['rps']:,.0f} req/s) |")
        print(f"| flood answers ({FLOOD_SECONDS} s) | {flood_answers} |")
        print(f"| password logins per second vs the argon2 bound | {logins_per_second:.1f}/s "
              f"vs {bound:.1f}/s = {logins_per_second / bound:.2f} |")
        steady_answers = answers(steady["out"])
        steady_per_second = steady_answers.get("logged_in", 0) / 20
        steady_bound = sum(steady_bounds) / 2
        print(f"| steady logins (8 connections, 20 s) | {steady_answers}: {steady_per_second:.1f}/s "
              f"= {steady_per_second / steady_bound:.3f} of the bound (before and after: "
              f"{steady_bounds[0]:.1f}/s, {steady_bounds[1]:.1f}/s) |")
        print(f"| SSR of /fi/login vs nginx (1 worker), {len(html):,} B | {ssr['rps']:,.0f} vs "
              f"{static['rps']:,.0f} req/s = {ssr['rps'] / static['rps']:.3f} |")
        print("| RSS " + " / ".join(rss) + " | " +
              " / ".join(f"{v[0]:.1f} MB" for v in rss.values()) + " |")
        print("| — anonymous + file + shared memory | " + " / ".join(
            f"{anon:.1f} + {file:.1f} + {shared:.1f}" for _, anon, file, shared in rss.values()) + " |")
        print(f"| start to first answer: a new deployment / a later start | {first_start_ms:.0f} ms / "
              f"{start_ms:.0f} ms |")
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if os.environ.get("BENCH_KEEP"):
            shutil.copy(work / "server.log", os.environ["BENCH_KEEP"])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
