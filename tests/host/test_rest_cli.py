# SPDX-License-Identifier: Apache-2.0
"""verge through the REST API: `verge --url URL vm list|show` prints what
the socket path prints, the token comes from $VERGE_TOKEN or --token-file
(never argv), state-changing commands are refused over --url, and an
unreachable URL is exit status 3."""

import json
import os
import subprocess

import pytest

import rest_harness as rh
import verged_harness as vh

VERGE = vh.build_dir() / "verge"
TOKEN = "cli-Token.42"


@pytest.fixture(scope="module")
def vd():
    v = rh.RestVerged(host="cli-host", token=TOKEN)
    try:
        v.start()
        v.define("web-1", "web-2")
        v.call("clock.set_rate", name="web-2", rate="1/4")
        yield v
    finally:
        v.cleanup()


def verge(*args, env=None, timeout=20):
    e = {k: v for k, v in os.environ.items()
         if k not in ("VERGE_TOKEN", "VERGE_SOCKET")}
    e.update(env or {})
    return subprocess.run([str(VERGE)] + list(args), capture_output=True,
                          text=True, timeout=timeout, env=e)


def test_vm_list_and_show_over_url_match_the_socket(vd):
    env = {"VERGE_TOKEN": TOKEN}
    over_url = verge("--url", vd.url, "vm", "list", env=env)
    over_sock = verge("--socket", str(vd.socket), "vm", "list")
    assert over_url.returncode == 0, over_url.stderr
    assert over_url.stdout == over_sock.stdout
    assert "web-1" in over_url.stdout and "1/4" in over_url.stdout
    j = verge("--json", "--url", vd.url + "/", "vm", "show", "web-2", env=env)
    assert j.returncode == 0, j.stderr
    shown = json.loads(j.stdout)
    assert shown["name"] == "web-2" and shown["clock"]["rate"] == "1/4"
    assert shown["uuid"] == vd.call("vm.show", name="web-2")["uuid"]


def test_token_from_a_file(vd):
    tf = vd.tmp / "cli-token"
    tf.write_text(TOKEN + "\n")
    r = verge("--url", vd.url, "--token-file", str(tf), "vm", "show",
              "web-1")
    assert r.returncode == 0, r.stderr
    assert "web-1" in r.stdout


def test_without_the_token_permission_denied(vd):
    r = verge("--url", vd.url, "vm", "list")
    assert r.returncode == 5, (r.returncode, r.stderr)
    assert "needs its REST token and none was found" in r.stderr
    assert "/etc/verge/rest.token" in r.stderr
    r = verge("--url", vd.url, "vm", "list", env={"VERGE_TOKEN": "nope"})
    assert r.returncode == 5
    assert "refused the token from $VERGE_TOKEN" in r.stderr
    tf = vd.tmp / "wrong-token"
    tf.write_text("nope\n")
    r = verge("--url", vd.url, "--token-file", str(tf), "vm", "list")
    assert r.returncode == 5 and "refused the token from %s" % tf in r.stderr
    r = verge("--url", vd.url, "--token-file", str(vd.tmp / "absent"), "vm",
              "list")
    assert r.returncode != 0 and "absent" in r.stderr


def test_fleet_status_says_when_the_token_is_missing_or_refused(vd):
    r = verge("fleet", "status", "--url", vd.url)
    assert r.returncode == 5, (r.returncode, r.stdout, r.stderr)
    assert "needs its REST token" in r.stderr and "HTTP 401" in r.stderr
    assert "needs its REST token" in r.stdout   # the host's ERROR column
    r = verge("fleet", "status", "--url", vd.url, env={"VERGE_TOKEN": "x"})
    assert r.returncode == 5 and "refused the token" in r.stderr


def test_missing_vm_and_read_only_commands(vd):
    env = {"VERGE_TOKEN": TOKEN}
    r = verge("--url", vd.url, "vm", "show", "nope", env=env)
    assert r.returncode == 4 and "nope" in r.stderr
    r = verge("--url", vd.url, "vm", "start", "web-1", env=env)
    assert r.returncode == 1 and "read-only" in r.stderr
    assert vd.call("vm.show", name="web-1")["state"] == "defined"


def test_unreachable_url_is_status_3():
    port = rh.free_port()
    r = verge("--url", "http://127.0.0.1:%d" % port, "vm", "list")
    assert r.returncode == 3, (r.returncode, r.stderr)
    r = verge("fleet", "status", "--url", "http://127.0.0.1:%d" % port)
    assert r.returncode == 3 and "unreachable" in r.stdout
    r = verge("fleet", "status", "--url", "ftp://x")
    assert r.returncode == 2


def test_fleet_status_single_host_with_token(vd):
    r = verge("--json", "fleet", "status", "--url", vd.url,
              env={"VERGE_TOKEN": TOKEN})
    assert r.returncode == 0, r.stderr
    f = json.loads(r.stdout)
    assert [v["name"] for v in f["vms"]] == ["web-1", "web-2"]
    assert f["hosts"][0]["url"] == vd.url


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to switch user")
def test_a_local_user_outside_the_group_reads_nothing():
    """Issue 12: verged's own token file (0640, verged's group) lets the
    group's members read through REST what the 0660 socket lets them
    read; any other local user gets 401, on loopback too."""
    v = rh.RestVerged(host="local", token=None)
    try:
        v.start()
        v.define("web-1")
        v.tmp.chmod(0o755)
        tf = v.state / "rest.token"
        gid = tf.stat().st_gid

        def as_user(group, *args):
            return subprocess.run(
                ["setpriv", "--reuid=nobody", "--regid=%s" % group,
                 "--clear-groups", str(VERGE), "--url", v.url] + list(args),
                capture_output=True, text=True, timeout=20,
                env={"PATH": os.environ["PATH"]})

        outsider = as_user("nogroup", "vm", "list")
        assert outsider.returncode == 5, outsider
        assert "needs its REST token" in outsider.stderr
        r = as_user("nogroup", "--token-file", str(tf), "vm", "list")
        assert r.returncode != 0 and "web-1" not in r.stdout, r
        member = as_user(str(gid), "--token-file", str(tf), "vm", "list")
        assert member.returncode == 0 and "web-1" in member.stdout, member
    finally:
        v.cleanup()
