"""The step-through player works in a real JupyterLab, in a real browser.

Opens a course notebook in JupyterLab (``lab.LabServer``, a throw-away server) in headless Chromium
(Debian's ``chromium`` driven by Playwright), clears and runs every cell from the menu, finds the
first :class:`kafkalab.viz.Player`, clicks its **Next** button a few times and **Previous** once,
and checks what a learner would see:

* the player's widget view rendered (its Next button exists: without a working widget manager Lab
  shows only the static fallback) and no "Loading widget..." is left;
* no widget shows as raw text (``VBox(...)``, ``IntSlider(...)``);
* the player opens at the step its static view (stored in the notebook) shows, so what an unrun
  notebook shows and where the widget starts agree;
* each Next moves to the next step: the step line ("Step k of N") and the diagrams change and the
  slider's readout follows; Previous returns to exactly the step seen before;
* no blank or broken picture: every output ``<img>`` (the player's SVG diagrams, matplotlib PNGs)
  has loaded and has at least 0.5% non-white pixels, after the run and after every click;
* the sequence diagrams are readable at the notebook's width: every label of every sequence diagram
  on the page (the player's included) is drawn at least ``MIN_LABEL_PX`` CSS pixels high, measured
  in the browser (each SVG laid out at the size its ``<img>`` has on the page, each ``<text>``'s
  font size times the SVG's screen transform);
* no error output, traceback or player error message; no uncaught page error and no widget/comm
  error in the browser console;
* the ``commsOverSubshells: disabled`` default that ``pip install -e .`` installs (overrides.d/kafkalab.json)
  is what Lab serves, and the browser really sends no comm message to a kernel subshell;
* Lab saves nothing (autosave is off), so the notebook file is left untouched.

Viewport screenshots of the notebook and of the player at each step go to ``$KAFKALAB_SCREENSHOTS``
(default ``out/screenshots/``), in a folder named after the notebook, with ``report.json``
(timings, steps seen, picture ink).

The notebooks: ``$KAFKALAB_BROWSER_NOTEBOOK`` (a path, or a name in ``notebooks/``), else
``notebooks/02-joining.ipynb`` when it exists, else ``notebooks/00-start-here.ipynb``; and
``notebooks/11-diagnosing-rebalances.ipynb`` (logs, metrics plots and a player over a log read back) and
``notebooks/12-consumer-protocol.ipynb`` (a player over a consumer-protocol run: ConsumerGroupHeartbeat
steps with epochs, the consumer group's state machine), whose players are stepped once only, to keep the
run short.

Needs Debian's ``chromium`` (``scripts/test.sh`` installs it) and the ``playwright`` package (the
``test`` extra). Without them the test fails when ``CI`` is set and is skipped otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .lab import (KERNELS_SETTINGS, LabServer, code_cell_count, find_chromium, is_ci,
                  kill_processes_naming, launch_chromium, open_notebook, run_all_cells)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_NOTEBOOKS = ("02-joining.ipynb", "00-start-here.ipynb")  # the first that exists
#: Also opened, run and stepped once (unless $KAFKALAB_BROWSER_NOTEBOOK names one notebook).
ALSO = ("11-diagnosing-rebalances.ipynb", "12-consumer-protocol.ipynb")

NEXT_CLICKS = 5          # Next clicks (fewer if the run has fewer steps)
MIN_INK = 0.005          # share of non-white pixels below which a picture counts as blank
MIN_LABEL_PX = 11.0      # the smallest sequence-diagram text, in CSS px, that reads without zooming
BUDGET_S = float(os.environ.get("KAFKALAB_BROWSER_BUDGET_S", "85"))  # the whole test
STEP_TIMEOUT_S = 20.0    # one click until the new step is shown and the kernel is idle again


def chosen_notebook() -> Path:
    wanted = os.environ.get("KAFKALAB_BROWSER_NOTEBOOK", "").strip()
    if wanted:
        for candidate in (Path(wanted), ROOT / wanted, NOTEBOOKS / wanted):
            if candidate.is_file():
                return candidate.resolve()
        return Path(wanted)  # the test says it is missing
    for name in DEFAULT_NOTEBOOKS:
        if (NOTEBOOKS / name).is_file():
            return NOTEBOOKS / name
    return NOTEBOOKS / DEFAULT_NOTEBOOKS[-1]


def notebooks_to_open() -> list[tuple[Path, int]]:
    """(notebook, Next clicks): the chosen notebook with the full walk, then the others stepped once."""
    chosen = chosen_notebook()
    out = [(chosen, NEXT_CLICKS)]
    if not os.environ.get("KAFKALAB_BROWSER_NOTEBOOK", "").strip():
        out += [(NOTEBOOKS / name, 1) for name in ALSO if (NOTEBOOKS / name) != chosen]
    return out


def opening_step(notebook: Path) -> int:
    """Where the notebook's first player opens: the step its stored static view shows when it was told
    where to open (``Player(..., start=...)``: "static view of step K"), else step 0."""
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            html = "".join(out.get("data", {}).get("text/html", ""))
            if "kafkalab player, static view of" in html:
                m = re.search(r"static view of step (\d+) of", html)
                return int(m[1]) if m else 0
    return 0


def screenshot_dir(notebook: Path) -> Path:
    base = Path(os.environ.get("KAFKALAB_SCREENSHOTS") or ROOT / "out" / "screenshots")
    out = base / notebook.stem
    out.mkdir(parents=True, exist_ok=True)
    for old in list(out.glob("*.png")) + list(out.glob("report.json")):
        old.unlink()  # no stale shots from an earlier run
    return out


def require_browser_stack() -> None:
    """Skip (or fail, in CI) unless playwright and Debian's chromium are installed."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright (pip install -e \".[test]\")")
    if find_chromium() is None:
        missing.append("Debian's chromium (apt-get install chromium; ./scripts/test.sh installs it "
                       "when it runs as root or with passwordless sudo)")
    if missing:
        message = "the browser test needs " + " and ".join(missing)
        if is_ci():
            pytest.fail(message + "; it is required in CI", pytrace=False)
        pytest.skip(message)


# ---------------------------------------------------------------------- what the page shows

# share of non-white pixels of each loaded output <img>; -1 for one that did not load
INK_JS = """els => els.map(e => {
  if (!e.complete || !e.naturalWidth) return -1;
  const c = document.createElement('canvas'); c.width = e.naturalWidth; c.height = e.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(e, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data; let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] < 600) ink++;
  return ink / (c.width * c.height); })"""

# error outputs in the notebook model (window.jupyterapp: LabServer exposes the app)
MODEL_ERRORS_JS = """() => {
  const app = window.jupyterapp; const w = app && app.shell.currentWidget;
  const cells = w && w.content && w.content.model ? w.content.model.cells : null;
  if (!cells) return null;
  const errs = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i); if (c.type !== 'code') continue;
    for (let j = 0; j < c.outputs.length; j++) {
      const o = c.outputs.get(j).toJSON();
      if (o.output_type === 'error') errs.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  }
  return errs; }"""

RAW_WIDGET_REPR = re.compile(
    r"\b(?:VBox|HBox|Box|IntSlider|FloatSlider|Button|Play|HTML|Output|Label|Dropdown|Checkbox|"
    r"IntText|Text|Tab|Accordion|Layout)\((?:children|value|description|layout|outputs|min|max|"
    r"options|style|\))")

ALL_IMAGES = ".jp-Notebook .jp-OutputArea-output img"

# Every sequence diagram on the page (an output <img> of an SVG whose alt names a sequence): lay the
# SVG out off-screen at the width its <img> has on the page and measure each <text> as drawn, in CSS
# px: its font size times the x scale of its screen transform (viewBox, Graphviz's scale()).
LABEL_SIZES_JS = """els => els.filter(e => /sequence/i.test(e.alt || '') && (e.src || '').startsWith('data:image/svg'))
  .map(e => {
    const width = e.getBoundingClientRect().width;
    const svg = new DOMParser().parseFromString(atob(e.src.split(',')[1]), 'image/svg+xml').documentElement;
    const box = document.createElement('div');
    box.style.cssText = 'position:absolute;left:-20000px;top:0;width:' + width + 'px';
    svg.setAttribute('style', 'width:' + width + 'px;height:auto;display:block');
    box.appendChild(document.importNode(svg, true)); document.body.appendChild(box);
    let min = Infinity, text = '', n = 0;
    for (const t of box.querySelectorAll('text')) {
      const ctm = t.getScreenCTM(); if (!ctm || !t.textContent.trim()) continue;
      const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(ctm.a, ctm.b); n++;
      if (px < min) { min = px; text = t.textContent.trim(); }
    }
    box.remove();
    return {alt: e.alt, img_width: Math.round(width), natural_width: e.naturalWidth, texts: n,
            min_px: Math.round(min * 100) / 100, smallest: text};
  })"""


def label_sizes(page: Any) -> list[dict]:
    """The smallest text of every sequence diagram on the page, as drawn (see LABEL_SIZES_JS)."""
    return page.locator(ALL_IMAGES).evaluate_all(LABEL_SIZES_JS)


def page_problems(page: Any, when: str) -> tuple[list[str], list[float]]:
    """What is wrong with the notebook as shown now, and the ink of every output picture."""
    problems = []
    notebook = page.locator(".jp-Notebook").first
    text = notebook.inner_text()
    if "Loading widget" in text:
        problems.append(f"{when}: 'Loading widget...' is still shown")
    outputs = "\n".join(page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts())
    raw = RAW_WIDGET_REPR.findall(outputs)
    if raw:
        problems.append(f"{when}: widgets shown as raw text (no widget manager?): {raw[:3]}")
    ink = page.locator(ALL_IMAGES).evaluate_all(INK_JS)
    broken = [i for i, x in enumerate(ink) if x < 0]
    blank = [round(x, 4) for x in ink if 0 <= x < MIN_INK]
    if broken:
        problems.append(f"{when}: output picture(s) {broken} did not load")
    if blank:
        problems.append(f"{when}: {len(blank)} output picture(s) are (almost) blank, ink {blank} < {MIN_INK}")
    for err in page.locator(".jp-Notebook .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                            ).all_inner_texts():
        if "Traceback" in err or re.search(r"\w+Error\b", err):
            problems.append(f"{when}: an error is shown: {err.strip()[:300]}")
    model_errors = page.evaluate(MODEL_ERRORS_JS)
    if model_errors:
        problems.append(f"{when}: error outputs in the notebook: {model_errors[:3]}")
    empty = page.locator(".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output").evaluate_all(
        "els => els.filter(e => e.getBoundingClientRect().height < 2).length")
    if empty:
        problems.append(f"{when}: {empty} cell output(s) rendered with zero height")
    return problems, [round(x, 4) for x in ink]


class PlayerView:
    """The first player on the page, as the browser shows it."""

    STEP_LINE = re.compile(r"Step (\d+) of (\d+)")

    def __init__(self, page: Any) -> None:
        self.page = page
        next_buttons = page.locator(".jp-Notebook .jp-OutputArea-output button.widget-button",
                                    has_text=re.compile(r"^\s*Next\s*$"))
        if not next_buttons.count():
            fallback = page.locator(".jp-Notebook .kafkalab-player-step").count()
            raise AssertionError(
                "no player widget (no 'Next' button) after running the notebook"
                + (": Lab shows only the player's static fallback, so the widget view did not render "
                   "(is the ipywidgets manager, @jupyter-widgets/jupyterlab-manager, enabled?)" if fallback else
                   ": does the notebook display a kafkalab.viz.Player?"))
        self.next = next_buttons.first
        self.root = self.next.locator(
            "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' widget-vbox ')][1]")
        self.previous = self.root.locator("button.widget-button", has_text=re.compile(r"^\s*Previous\s*$")).first
        self.body = self.root.locator(".kafkalab-player-step").first

    def state(self) -> dict:
        """The step line, a hash of the step's HTML (diagrams included), the slider readout and the
        player's message line."""
        s = self.root.evaluate("""root => {
          const step = root.querySelector('.kafkalab-player-step');
          const readout = root.querySelector('.widget-readout');
          const imgs = step ? [...step.querySelectorAll('img')].map(i => i.getAttribute('src') || '') : [];
          return {line: step ? (step.firstElementChild || step).innerText : null,
                  html: step ? step.innerHTML : '', imgs: imgs,
                  readout: readout ? (readout.innerText || readout.value || '').trim() : null,
                  text: root.innerText};
        }""")
        m = self.STEP_LINE.search(s["line"] or "")
        return {
            "step": int(m[1]) if m else None, "last": int(m[2]) if m else None,
            "line": " ".join((s["line"] or "").split()),
            "html_sha": hashlib.sha256(s["html"].encode()).hexdigest()[:16],
            "img_shas": [hashlib.sha256(src.encode()).hexdigest()[:16] for src in s["imgs"]],
            "readout": s["readout"],
            "error_text": [t for t in ("could not draw step", "out of range", "Traceback") if t in s["text"]],
        }

    def wait_for_step(self, k: int, timeout_s: float) -> None:
        self.root.evaluate("""(root, a) => new Promise((resolve, reject) => {
          const t_end = Date.now() + a.ms;
          (function poll() {
            const step = root.querySelector('.kafkalab-player-step');
            const line = step ? (step.firstElementChild || step).innerText : '';
            const imgs = step ? [...step.querySelectorAll('img')] : [];
            if (new RegExp('Step ' + a.k + ' of ').test(line) && imgs.every(i => i.complete)) return resolve(true);
            if (Date.now() > t_end) return reject(new Error('player did not show step ' + a.k + ' within '
                                                            + a.ms + ' ms; it shows: ' + line.slice(0, 120)));
            setTimeout(poll, 50);
          })(); })""", {"k": k, "ms": int(timeout_s * 1000)})

    def scroll_to_top_of_view(self) -> None:
        self.root.evaluate("e => e.scrollIntoView({block: 'start'})")
        self.page.wait_for_timeout(150)


class Watchdog:
    """Past ``seconds``, kill this test's Lab and Chromium (the Lab process group, and the processes
    whose command line names this test's Chromium profile), so a Playwright call still waiting
    fails at once instead of hanging the suite."""

    def __init__(self, seconds: float, lab: LabServer, profile: str) -> None:
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire, args=(lab, profile))
        self._timer.daemon = True

    def _fire(self, lab: LabServer, profile: str) -> None:
        self.fired = True
        lab.kill()
        kill_processes_naming(profile)

    def __enter__(self) -> "Watchdog":
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._timer.cancel()


# ---------------------------------------------------------------------- the test

@pytest.mark.parametrize("notebook, next_clicks", notebooks_to_open(), ids=lambda p: getattr(p, "name", str(p)))
def test_player_renders_and_steps_in_jupyterlab(notebook: Path, next_clicks: int) -> None:
    require_browser_stack()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    assert notebook.is_file(), f"no notebook {notebook} (KAFKALAB_BROWSER_NOTEBOOK?)"
    t0 = time.perf_counter()
    deadline = t0 + BUDGET_S
    left = lambda: max(deadline - time.perf_counter(), 1.0)  # noqa: E731
    shots_dir = screenshot_dir(notebook)
    n_code = code_cell_count(notebook)
    report: dict[str, Any] = {"notebook": str(notebook.relative_to(ROOT) if notebook.is_relative_to(ROOT)
                                              else notebook), "timings_s": {}, "steps": [], "ink": {}}
    timings = report["timings_s"]
    problems: list[str] = []
    shots: list[Path] = []
    console: list[str] = []
    subshell_frames: list[str] = []

    def shot(page: Any, name: str) -> None:
        path = shots_dir / f"{len(shots):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=False, timeout=10_000)
        shots.append(path)

    def on_frame(payload: Any) -> None:  # comm traffic the browser sends to the kernel
        raw = payload if isinstance(payload, bytes) else str(payload).encode()
        if b"create_subshell_request" in raw or (b'"comm_msg"' in raw and b'"subshell_id":null' not in raw
                                                 and b'"subshell_id": null' not in raw):
            header = re.search(rb'"msg_type":\s*"(\w+)".*?"subshell_id":\s*("[^"]*"|null)', raw)
            subshell_frames.append(header[0].decode(errors="replace") if header else repr(raw[:120]))

    lab = LabServer(notebook.parent, timeout=min(60.0, left()))
    with lab, tempfile.TemporaryDirectory(prefix="kafkalab-chromium-") as profile, \
            Watchdog(left() + 20, lab, profile) as watchdog, sync_playwright() as pw:
        timings["lab_ready"] = lab.ready_s
        # kafkalab's overrides.d/kafkalab.json (installed by pip install -e .) is what Lab hands the frontend
        comms = lab.setting(KERNELS_SETTINGS, "commsOverSubshells")
        assert comms == "disabled", (
            f"JupyterLab serves commsOverSubshells={comms!r}, not 'disabled': is kafkalab's overrides.d/kafkalab.json "
            "installed in <venv>/share/jupyter/lab/settings (pip install -e .)?")

        t = time.perf_counter()
        context = launch_chromium(pw, profile)
        page = context.pages[0]
        timings["browser_launch"] = time.perf_counter() - t
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.on("websocket", lambda ws: ws.on("framesent", on_frame))
        try:
            t = time.perf_counter()
            open_notebook(page, lab, notebook.name, timeout=min(45.0, left()))
            timings["open_to_kernel_idle"] = time.perf_counter() - t
            page.evaluate("() => window.jupyterapp && window.jupyterapp.shell.collapseLeft()")
            shot(page, "opened")

            t = time.perf_counter()
            run_all_cells(page, lab, notebook.name, n_code, timeout=min(45.0, left()))
            timings["run_all"] = time.perf_counter() - t
            t = time.perf_counter()
            try:  # widget views replace their "Loading widget..." placeholders
                page.wait_for_function("() => !document.querySelector('.jp-Notebook').innerText"
                                       ".includes('Loading widget')", timeout=min(15.0, left()) * 1000)
                timings["widgets_rendered"] = time.perf_counter() - t
            except PlaywrightTimeout:
                pass  # page_problems reports it
            found, report["ink"]["after_run_all"] = page_problems(page, "after Run All")
            problems += found

            try:
                player = PlayerView(page)
            except AssertionError as e:
                raise AssertionError("\n  - ".join([str(e)] + problems)) from None
            first = opening_step(notebook)
            player.wait_for_step(first, min(10.0, left()))
            player.scroll_to_top_of_view()
            seen = [player.state()]
            report["steps"].append(seen[0])
            shot(page, f"step-{seen[0]['step']}")
            assert seen[0]["step"] == first, (f"the player should open at step {first}, as its static view does; "
                                              f"it shows {seen[0]['line']!r}")
            last = seen[0]["last"]
            assert last and last - first >= 2, f"the player needs 3 steps to step through from {first}, has {last}"

            t = time.perf_counter()
            clicks = min(next_clicks, last - first)
            for k in range(first + 1, first + clicks + 1):
                player.next.click(timeout=min(10.0, left()) * 1000)
                player.wait_for_step(k, min(STEP_TIMEOUT_S, left()))
                lab.wait_kernel_idle(notebook.name, min(STEP_TIMEOUT_S, left()))  # callback finished
                state = player.state()
                seen.append(state)
                report["steps"].append(state)
                found, report["ink"][f"step_{k}"] = page_problems(page, f"after Next #{k}")
                problems += found
                before = seen[-2]
                if state["line"] == before["line"]:
                    problems.append(f"Next #{k}: the step line did not change: {state['line']!r}")
                if state["html_sha"] == before["html_sha"]:
                    problems.append(f"Next #{k}: the player's body did not change")
                if len(state["img_shas"]) != len(seen[0]["img_shas"]) or not state["img_shas"]:
                    problems.append(f"Next #{k}: the player shows {len(state['img_shas'])} diagram(s), "
                                    f"step 0 showed {len(seen[0]['img_shas'])}")
                if state["readout"] != str(k):
                    problems.append(f"Next #{k}: the slider reads {state['readout']!r}, not {k}")
                if state["error_text"]:
                    problems.append(f"Next #{k}: the player shows an error: {state['error_text']}")
                player.scroll_to_top_of_view()
                shot(page, f"step-{k}")
            timings["next_clicks"] = time.perf_counter() - t
            sizes = report["sequence_label_px"] = label_sizes(page)
            if not any("player" not in s["alt"] and s["alt"] == "message sequence diagram" for s in sizes):
                problems.append(f"no sequence diagram of the player was measured: {sizes}")
            for s in sizes:
                if not s["texts"] or s["min_px"] < MIN_LABEL_PX:
                    problems.append(f"a sequence diagram ({s['alt']!r}, {s['img_width']} px wide on the page, "
                                    f"{s['natural_width']} px at its own size) draws {s['smallest']!r} "
                                    f"{s['min_px']} px high, under {MIN_LABEL_PX} px: too small to read at the "
                                    "notebook's width")
            # a step that only notes something (e.g. "c2: started") keeps the diagrams; over several
            # steps the message sequence must grow
            if clicks >= 3 and len({tuple(s["img_shas"]) for s in seen}) < 2:
                problems.append(f"the diagrams never changed over {clicks} Next clicks")
            timings["per_next_click"] = timings["next_clicks"] / clicks

            player.previous.click(timeout=min(10.0, left()) * 1000)
            player.wait_for_step(first + clicks - 1, min(STEP_TIMEOUT_S, left()))
            lab.wait_kernel_idle(notebook.name, min(STEP_TIMEOUT_S, left()))
            back = player.state()
            report["steps"].append(back)
            if (back["line"], back["html_sha"]) != (seen[clicks - 1]["line"], seen[clicks - 1]["html_sha"]):
                problems.append(f"Previous: step {first + clicks - 1} looks different the second time: "
                                f"{back['line']!r} vs {seen[clicks - 1]['line']!r}")
            found, report["ink"]["after_previous"] = page_problems(page, "after Previous")
            problems += found
            player.scroll_to_top_of_view()
            shot(page, f"previous-step-{back['step']}")

            widget_errors = [c for c in console if c.startswith("pageerror")
                             or re.search(r"widget|model|comm|jupyter-widgets|ipywidgets", c, re.I)]
            if widget_errors:
                problems.append("browser console errors: " + " | ".join(e.splitlines()[0][:200]
                                                                        for e in widget_errors[:3]))
            if subshell_frames:
                problems.append(f"the browser sent comm messages to kernel subshells although "
                                f"commsOverSubshells is disabled: {subshell_frames[:2]}")
        except BaseException:
            try:
                shot(page, "failure")
            except Exception:
                pass
            print(f"JupyterLab log (end):\n{lab.log_tail()}")
            raise
        finally:
            timings["total"] = time.perf_counter() - t0
            report["screenshots"] = [str(p) for p in shots]
            report["console_errors"] = console
            report["problems"] = problems
            (shots_dir / "report.json").write_text(json.dumps(report, indent=1, default=str))
            print("screenshots:", *shots, sep="\n  ")
            print("timings (s):", json.dumps({k: round(v, 2) for k, v in timings.items() if v is not None}))
            context.close()
        # the test must leave the course's files alone: Lab logs every save through its contents API
        saves = [line.strip() for line in lab.log_tail(100_000).splitlines() if "Saving file at" in line]
    assert not watchdog.fired, f"the browser test ran 20 s past its {BUDGET_S:.0f} s budget and was stopped"
    assert not saves, f"JupyterLab saved files during the test (autosave should be off): {saves[:3]}"
    assert not problems, "the player in JupyterLab:\n  - " + "\n  - ".join(problems)
