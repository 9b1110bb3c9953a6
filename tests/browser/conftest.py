"""Real-browser fixtures: JupyterLab on a loopback port and headless Debian chromium driven by
playwright; both skip when missing, and fail instead with CHIPKIT_REQUIRE_BROWSER=1 (CI)."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: JupyterLab user settings: start the notebook's kernel without asking, no news or update toasts,
#: and never autosave (executed outputs must not be written into the repository's notebooks)
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}
SERVER_START_S = 60  # JupyterLab is usually up in 2-4 s


def browser_required() -> bool:
    return os.environ.get("CHIPKIT_REQUIRE_BROWSER", "") not in ("", "0")


def _missing(what: str):
    if browser_required():
        pytest.fail(f"CHIPKIT_REQUIRE_BROWSER=1 but {what}")
    pytest.skip(what)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1 serving `root`; `url(path)` adds the token."""

    def __init__(self, root: Path, home: Path):
        self.root, self.port, self.token = root, _free_port(), secrets.token_hex(16)
        self.log_path = home / "jupyterlab.log"
        settings = home / "settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        env.update(JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
                   JUPYTER_CONFIG_DIR=str(home / "config"),
                   JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_DATA_DIR=str(home / "data"),
                   IPYTHONDIR=str(home / "ipython"), PYTHONUNBUFFERED="1")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
               "--LabApp.extension_manager=readonly",  # no PyPI queries
               "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the tests read cells
               f"--FileCheckpoints.checkpoint_dir={home / 'checkpoints'}"]  # not beside notebooks
        self._log = open(self.log_path, "w")  # noqa: SIM115 -- closed in stop()
        # its own session: stop() can end the server and any kernel it leaves behind, by group id
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def log(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_ready(self, timeout: float = SERVER_START_S) -> None:
        """Until /api/status answers (the REST API starts no kernel) or the server died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log()}")

    def check_opens(self, path: str) -> None:
        """Fail fast, with the server's reason, if the contents API cannot read notebook `path`
        (e.g. jupytext refusing a paired .ipynb that is newer than, and differs from, its .py)."""
        url = self.url(f"api/contents/{urllib.parse.quote(path)}?type=notebook&content=1")
        try:
            with urllib.request.urlopen(url, timeout=60):
                return
        except urllib.error.HTTPError as e:
            reason = e.read().decode(errors="replace")
            try:
                reason = json.loads(reason).get("message", reason)
            except ValueError:
                pass
            pytest.fail(f"JupyterLab cannot open {path} (HTTP {e.code}): {reason[:1500]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the server shuts its kernels down, then exits
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever of its group is left
        except ProcessLookupError:
            pass
        self.proc.wait(5)
        self._log.close()


@pytest.fixture
def start_lab(tmp_path):
    """start_lab(root) -> a running Lab serving `root`; every server is stopped at teardown."""
    servers = []

    def start(root: Path) -> Lab:
        lab = Lab(Path(root), tmp_path / f"lab{len(servers)}")
        servers.append(lab)
        lab.wait_ready()
        return lab

    yield start
    for lab in servers:
        lab.stop()


@pytest.fixture
def page():
    """A playwright page in headless Debian chromium (no `playwright install`)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(exe, os.X_OK):
        _missing("chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            yield context.new_page()
        finally:
            browser.close()


@pytest.fixture
def artifact_dir(tmp_path) -> Path:
    """Where failure screenshots go: $CHIPKIT_ARTIFACTS if set (CI keeps it), else tmp_path."""
    folder = Path(os.environ.get("CHIPKIT_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
