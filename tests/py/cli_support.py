"""What the CLI tests (tests/py/test_cli*.py) share: the programs under test (ctest sets
SS_CLI, SS_MKIMAGE and SS_TMPDIR), running the CLI, a scratch directory and ss-mkimage's
demo image. ctest runs the tests in tests/py, so `from cli_support import ...` works.
"""
import os
import subprocess
import tempfile

CLI = os.environ.get("SS_CLI", "sessionspace")
MKIMAGE = os.environ.get("SS_MKIMAGE", "ss-mkimage")
MiB = 1 << 20


def run(*args, stdin=None, timeout=60):
    """The CLI with args, stdout/stderr captured as text; a hang fails through the timeout."""
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def run_bytes(*args, stdin=b"", timeout=60):
    """The CLI with args, stdout/stderr captured as bytes."""
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, timeout=timeout)


def tmpdir():
    """A scratch directory under SS_TMPDIR (the build tree's), removed by cleanup()."""
    return tempfile.TemporaryDirectory(dir=os.environ.get("SS_TMPDIR"))


def mkimage(*args):
    """Runs ss-mkimage with args; returns the "key value" lines it prints as a dict."""
    out = subprocess.run([MKIMAGE, *args], capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines())


def demo_image(cls, dmp=False):
    """For setUpClass: cls.tmp (a scratch directory; tearDownClass cleans it up),
    cls.image (ss-mkimage's demo raw image in it), with dmp also cls.dump (the same
    machine as a crash dump), and cls.meta (what ss-mkimage printed)."""
    cls.tmp = tmpdir()
    cls.image = os.path.join(cls.tmp.name, "demo.raw")
    if dmp:
        cls.dump = os.path.join(cls.tmp.name, "demo.dmp")
        cls.meta = mkimage("--dmp", cls.dump, cls.image)
    else:
        cls.meta = mkimage(cls.image)
