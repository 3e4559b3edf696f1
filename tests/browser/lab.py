"""A throw-away JupyterLab server and a headless Chromium for browser tests and benchmarks.

``LabServer`` starts ``python -m jupyterlab`` (the interpreter running this code, so the project's
``.venv``) on 127.0.0.1 with a random free port and a random token, in a scratch directory that
holds everything Lab would otherwise read from or write to the user's home: user settings,
workspaces, the runtime dir (connection files), the Jupyter config and data dirs and the IPython dir.
So no saved layout, news popup, user extension or user kernelspec leaks in, and two runs never share
state.  JupyterLab's *app* settings dir is left alone: that is where ``pip install -e .`` put
kafkalab's ``overrides.d/kafkalab.json`` (``commsOverSubshells: disabled``); :meth:`LabServer.setting` reads
the value Lab actually serves, so a test can check that the override is honoured.

The user settings always include ``windowingMode: "none"`` (Lab 4 keeps every cell in the DOM, so a
test can see all prompts and outputs) and no news / update checks.  ``start()`` waits, bounded by
``timeout``, until ``/api/status`` and ``/lab`` answer; ``stop()`` ends only the process group it
started (then any kernel it left, found by the scratch path in its command line) and removes the
scratch directory.

``launch_chromium`` starts Debian's ``chromium`` through Playwright (no ``playwright install``) with
a fresh profile; ``open_notebook`` and ``run_all_cells`` drive Lab the way a person would, each wait
bounded.  Used by ``tests/browser/test_lab_player.py`` and ``benchmarks/bench_lab.py``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterable, Optional

# Debian's chromium, headless, in a container that runs as root: the flags measured in the course's
# notes (no sandbox as root, no GPU, no background traffic to Google's services).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

WIDGET_MANAGER = "@jupyter-widgets/jupyterlab-manager"
KERNELS_SETTINGS = "@jupyterlab/apputils-extension:kernels-settings"


def is_ci() -> bool:
    """True when the ``CI`` environment variable is set to something other than empty/0/false/no."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_chromium() -> Optional[str]:
    """Debian's chromium: ``$CHROMIUM``, else ``chromium`` on PATH, else ``/usr/bin/chromium``."""
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A JupyterLab server of its own (use as a context manager, or ``start()``/``stop()``).

    Args:
        root_dir: the folder Lab serves (notebook paths are relative to it).
        settings: extra user settings, ``{"@scope/pkg:plugin": {key: value}}``.
        disabled_extensions: lab extensions / plugins to disable (through a ``page_config.json``
            in the scratch Jupyter config dir), e.g. ``[WIDGET_MANAGER]`` to break widgets.
        timeout: seconds ``start()`` may take until Lab answers.
        expose_app: start Lab with ``expose_app_in_browser`` (``window.jupyterapp``), so a test can
            read the notebook model (error outputs) next to what the DOM shows.
    """

    def __init__(self, root_dir: os.PathLike | str, *, settings: Optional[dict[str, dict]] = None,
                 disabled_extensions: Iterable[str] = (), timeout: float = 60.0,
                 expose_app: bool = True) -> None:
        self.root_dir = Path(root_dir).resolve()
        self.extra_settings = settings or {}
        self.disabled_extensions = list(disabled_extensions)
        self.timeout = timeout
        self.expose_app = expose_app
        self.token = secrets.token_hex(24)
        self.port: Optional[int] = None
        self.proc: Optional[subprocess.Popen] = None
        self.scratch: Optional[Path] = None
        self.ready_s: Optional[float] = None  # seconds from launch until Lab answered

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "LabServer":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        assert self.scratch is not None
        return self.scratch / "lab.log"

    def _write_settings(self) -> None:
        assert self.scratch is not None
        user: dict[str, dict] = {
            # no "Would you like to receive news?" toast, no update check
            "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
            # keep every cell in the DOM (Lab 4 virtualises long notebooks otherwise)
            "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
            # never write a test run's outputs (or widget state) back into the repository
            "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
        }
        for plugin_id, values in self.extra_settings.items():
            user.setdefault(plugin_id, {}).update(values)
        for plugin_id, values in user.items():
            package, plugin = plugin_id.split(":")
            path = self.scratch / "user-settings" / package / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=1))
        if self.disabled_extensions:
            page_config = self.scratch / "config" / "labconfig" / "page_config.json"
            page_config.parent.mkdir(parents=True, exist_ok=True)
            page_config.write_text(json.dumps(
                {"disabledExtensions": {name: True for name in self.disabled_extensions}}))

    def start(self) -> "LabServer":
        assert self.proc is None, "already started"
        self.scratch = Path(tempfile.mkdtemp(prefix="kafkalab-lab-"))
        for sub in ("user-settings", "workspaces", "runtime", "config", "data", "ipython"):
            (self.scratch / sub).mkdir()
        self._write_settings()
        env = dict(os.environ,
                   JUPYTERLAB_SETTINGS_DIR=str(self.scratch / "user-settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.scratch / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(self.scratch / "runtime"),
                   JUPYTER_CONFIG_DIR=str(self.scratch / "config"),
                   JUPYTER_DATA_DIR=str(self.scratch / "data"),
                   IPYTHONDIR=str(self.scratch / "ipython"))
        env.pop("JUPYTER_TOKEN", None)
        t0 = time.perf_counter()
        for attempt in (1, 2, 3):
            self.port = free_port()  # free a moment ago; another process may take it meanwhile
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, env=env, cwd=self.root_dir,
                                             start_new_session=True)
            try:
                self._wait_ready(t0 + self.timeout)
                break
            except RuntimeError:  # exited early: retry only when the port was taken
                port_taken = "already in use" in self.log_tail()
                if not port_taken or attempt == 3:
                    self.stop()
                    raise
                self._end_process()
            except BaseException:
                self.stop()
                raise
        self.ready_s = time.perf_counter() - t0
        return self

    def _command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.terminals_enabled=False", "--LabApp.news_url=None",
            # if this process dies without stop(), the server and its kernels still go away
            "--MappingKernelManager.cull_idle_timeout=300", "--MappingKernelManager.cull_interval=60",
            "--ServerApp.shutdown_no_activity_timeout=300",
        ]
        if self.expose_app:
            cmd.append("--LabApp.expose_app_in_browser=True")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI runs as root
        return cmd

    def _wait_ready(self, deadline: float) -> None:
        pending = [f"/api/status?token={self.token}", f"/lab?token={self.token}"]
        last_error = "no answer yet"
        while pending:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with status {self.proc.returncode} before it was "
                                   f"ready; its log ends:\n{self.log_tail()}")
            if time.perf_counter() > deadline:
                raise TimeoutError(f"JupyterLab did not answer {pending[0].split('?')[0]} within "
                                   f"{self.timeout:.0f} s ({last_error}); its log ends:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + pending[0], timeout=5) as r:
                    if r.status == 200:
                        pending.pop(0)
                        continue
            except (urllib.error.URLError, OSError) as e:
                last_error = str(e)
            time.sleep(0.1)

    def stop(self) -> None:
        """End the process group this server started, then any kernel it left; remove the scratch dir."""
        self._end_process()
        if self.scratch is not None:
            # kernels run in sessions of their own; theirs are the processes whose command line
            # names a connection file in this server's scratch runtime dir
            kill_processes_naming(str(self.scratch / "runtime"))
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _end_process(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        pgid = proc.pid  # start_new_session=True: the server leads its own process group
        _signal_group(pgid, signal.SIGTERM)  # Lab shuts its kernels down on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _signal_group(pgid, signal.SIGKILL)
            proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL this server's process group and its kernels at once (a watchdog's last resort)."""
        proc = self.proc
        if proc is not None:
            _signal_group(proc.pid, signal.SIGKILL)
        if self.scratch is not None:
            kill_processes_naming(str(self.scratch / "runtime"))

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # ------------------------------------------------------------------ REST helpers

    def url(self, path: str) -> str:
        """``http://127.0.0.1:PORT/<path>`` with the token added to the query."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{sep}token={self.token}"

    def notebook_url(self, path: str) -> str:
        """The Lab URL that opens ``path`` (relative to ``root_dir``) in a fresh default layout."""
        return self.url(f"lab/tree/{path}?reset")

    def get_json(self, path: str, timeout: float = 5.0) -> Any:
        with urllib.request.urlopen(self.url(path), timeout=timeout) as r:
            return json.load(r)

    def setting(self, plugin_id: str, key: str) -> Any:
        """The value Lab's frontend gets for ``plugin_id``'s ``key``: the user's setting if one is
        saved, else the schema default, which already includes ``overrides.d/`` and ``overrides.json``."""
        data = self.get_json(f"lab/api/settings/{plugin_id}")
        user = data.get("settings") or {}
        if key in user:
            return user[key]
        return ((data.get("schema") or {}).get("properties") or {}).get(key, {}).get("default")

    def kernel_state(self, notebook: str) -> Optional[str]:
        """The execution state of ``notebook``'s kernel (``idle``, ``busy``, ...), None without one."""
        for session in self.get_json("api/sessions"):
            if session.get("path", "").endswith(notebook):
                return (session.get("kernel") or {}).get("execution_state")
        return None

    def wait_kernel_idle(self, notebook: str, timeout: float) -> float:
        """Wait until the notebook's kernel exists and is idle; returns the seconds waited."""
        t0 = time.perf_counter()
        state = None
        while time.perf_counter() - t0 < timeout:
            try:
                state = self.kernel_state(notebook)
            except (urllib.error.URLError, OSError):
                state = "unreachable"
            if state == "idle":
                return time.perf_counter() - t0
            time.sleep(0.1)
        raise TimeoutError(f"the kernel of {notebook} was not idle within {timeout:.0f} s (last state: {state})")


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_processes_naming(marker: str) -> None:
    """SIGKILL our own processes whose command line contains ``marker`` (a unique scratch path)."""
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        return
    me = os.getpid()
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if marker in cmdline and entry.stat().st_uid == os.getuid():
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


# ---------------------------------------------------------------------- the browser

def launch_chromium(playwright: Any, profile_dir: os.PathLike | str, *,
                    width: int = 1400, height: int = 1000, timeout_ms: float = 20_000) -> Any:
    """Debian's chromium, headless, with a fresh profile in ``profile_dir``; returns a Playwright
    BrowserContext whose ``pages[0]`` is ready to use.  Every Playwright call on it times out after
    ``timeout_ms`` unless told otherwise."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("Debian's chromium is not installed (apt-get install chromium)")
    context = playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=chromium, args=CHROMIUM_FLAGS, headless=True,
        viewport={"width": width, "height": height}, timeout=timeout_ms)
    context.set_default_timeout(timeout_ms)
    context.set_default_navigation_timeout(timeout_ms)
    if not context.pages:
        context.new_page()
    return context


STATUS_IDLE_JS = """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
    .some(e => /\\|\\s*Idle/.test(e.textContent || ''))"""

ALL_PROMPTS_DONE_JS = """n => {
  const ps = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
  return ps.length >= n && ps.every(p => /\\[\\d+\\]/.test(p.textContent || ''));
}"""


NO_PROMPT_DONE_JS = """() => ![...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
    .some(p => /\\[\\d+\\]/.test(p.textContent || ''))"""

RUN_STARTED_JS = """n => {
  const ps = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')];
  return ps.some(p => (p.textContent || '').includes('*')) || (ps.length >= n && ps.every(p => /\\[\\d+\\]/.test(p.textContent || '')));
}"""


def code_cell_count(notebook: Path) -> int:
    return sum(1 for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code")


def open_notebook(page: Any, lab: LabServer, notebook: str, timeout: float = 40.0,
                  marks: Optional[dict[str, float]] = None) -> None:
    """Open ``notebook`` (relative to Lab's root) and wait until its kernel is idle, as the server
    and the status bar both say.  Bounded by ``timeout`` seconds in all.  ``marks`` (if given)
    gets ``cells_shown``: the seconds until the notebook's cells were in the page."""
    t0 = time.perf_counter()
    t_end = t0 + timeout
    page.goto(lab.notebook_url(notebook), wait_until="domcontentloaded", timeout=timeout * 1000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=_left_ms(t_end))
    if marks is not None:
        marks["cells_shown"] = time.perf_counter() - t0
    lab.wait_kernel_idle(notebook, max(_left_ms(t_end) / 1000, 0.1))
    page.wait_for_function(STATUS_IDLE_JS, timeout=_left_ms(t_end))


def run_all_cells(page: Any, lab: LabServer, notebook: str, n_code: int, timeout: float = 60.0) -> None:
    """Edit > Clear Outputs of All Cells, then Run > Run All Cells, from the menu bar; wait until every
    code cell shows an execution count again and the kernel is idle.  (Course notebooks are
    committed executed, so their stored prompts already read ``[1]``, ``[2]``...: clearing first
    is what makes "every prompt has a number" mean "this run finished".)  Bounded by ``timeout``
    seconds in all."""
    t_end = time.perf_counter() + timeout
    menu(page, "Edit", "Clear Outputs of All Cells", timeout_ms=_left_ms(t_end))
    page.wait_for_function(NO_PROMPT_DONE_JS, timeout=_left_ms(t_end))
    for attempt in (1, 2):
        menu(page, "Run", "Run All Cells", timeout_ms=_left_ms(t_end))
        try:  # started: some cell shows "[*]" (or all are done already)
            page.wait_for_function(RUN_STARTED_JS, arg=n_code, timeout=min(10_000, _left_ms(t_end)))
            break
        except Exception:
            if attempt == 2 or time.perf_counter() > t_end:
                raise
    page.wait_for_function(ALL_PROMPTS_DONE_JS, arg=n_code, timeout=_left_ms(t_end))
    lab.wait_kernel_idle(notebook, max(_left_ms(t_end) / 1000, 0.1))


def menu(page: Any, top: str, item: str, timeout_ms: float = 10_000) -> None:
    """Click menu bar entry ``top``, then its item whose label starts with ``item``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(top)}$")).click(timeout=timeout_ms)
    page.locator(".lm-Menu-item", has_text=re.compile(rf"^{re.escape(item)}")).first.click(timeout=timeout_ms)


def _left_ms(t_end: float) -> float:
    return max((t_end - time.perf_counter()) * 1000, 100.0)
