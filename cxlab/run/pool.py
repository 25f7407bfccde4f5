"""Warm kernels: start each kernel once, import the heavy libraries once, run many notebooks.

Papermill starts a new kernel for every notebook, and each new kernel spends seconds
importing pandas, seaborn and statsmodels before the first cell does anything. A
:class:`WarmKernel` is started once, imports those libraries once, and then executes
notebook after notebook through Papermill's own engine (same parameter injection, same
metadata, same error handling as ``papermill`` on the command line).

Between notebooks the kernel is reset to the state it had right after warming up: the user
namespace, the history session and execution counter, matplotlib's settings and open
figures, pandas' options, and the warning filters (with the record of warnings already shown
once) are restored. If a notebook changed anything else that could leak
(an attribute of a loaded cxlab module, the working directory, an environment variable),
the kernel is restarted instead of reused.

Every notebook, warm or cold, runs under a time limit (:class:`TimeLimit`): past it, the
kernel is interrupted, and killed if the interrupt does not end the notebook.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import remove_args

from cxlab.run import kernel_dir_prefix

#: Imported once per kernel, before any notebook runs: every cxlab module the reports use,
#: and the libraries they import inside functions.
WARM_IMPORTS = """
import cxlab, cxlab.report, cxlab.report.recognition, cxlab.report.statements, cxlab.report.voice
import cxlab.text.mentions, cxlab.text.sentiment, cxlab.text.themes, cxlab.maturity.assessment
import scipy.optimize, scipy.special, scipy.stats, statsmodels.api, statsmodels.formula.api
import statsmodels.stats.multitest, sklearn.decomposition, sklearn.feature_extraction.text
import rapidfuzz.distance, vaderSentiment.vaderSentiment
"""

#: Runs in the kernel after warming up: records what a reset must restore.
_SNAPSHOT = r"""
def _cxlab_fingerprint():
    # Every attribute of every cxlab module, by identity; new submodules and lazily cached
    # names may appear (imports do that), but nothing already there may change.
    import os, sys, types
    state = {(name, key): id(value) for name, m in list(sys.modules.items())
             if name == "cxlab" or name.startswith("cxlab.")
             for key, value in vars(m).items() if not isinstance(value, types.ModuleType)}
    return state, os.getcwd(), dict(os.environ)
def _cxlab_unchanged(before, after):
    return (before[1:] == after[1:]
            and all(after[0].get(key) == value for key, value in before[0].items()))
import warnings as _w, matplotlib as _mpl, pandas as _pd
_cxlab_baseline = {
    "rc": dict(_mpl.rcParams), "filters": list(_w.filters), "fingerprint": _cxlab_fingerprint(),
}
__import__("builtins")._cxlab_baseline = (_cxlab_baseline, _cxlab_fingerprint, _cxlab_unchanged)
del _cxlab_baseline, _cxlab_fingerprint, _cxlab_unchanged, _w, _mpl, _pd
# Everything alive now (the imported libraries: hundreds of thousands of objects) lives as
# long as the kernel, so the garbage collector need not walk it again: a full collection,
# which IPython's reset runs between notebooks and Python runs now and then inside one, then
# looks only at what the notebook made.
import gc as _gc
_gc.collect()
_gc.freeze()
del _gc
"""

#: Runs in the kernel between notebooks; prints whether the kernel is still clean.
_RESET = r"""
get_ipython().reset(new_session=True)  # namespace, history session, execution count 1
import builtins as _b
import warnings as _w, matplotlib as _mpl, matplotlib.pyplot as _plt, pandas as _pd
_base, _fp, _same = _b._cxlab_baseline
_plt.close("all")
with _w.catch_warnings():
    _w.simplefilter("ignore")
    _mpl.rcParams.clear()
    _mpl.rcParams.update(_base["rc"])
    _pd.reset_option("all")
_w.resetwarnings()  # also forgets which warnings were already shown once
_w.filters[:] = _base["filters"]
print("CLEAN" if _same(_base["fingerprint"], _fp()) else "DIRTY")
del _b, _w, _mpl, _plt, _pd, _base, _fp, _same  # (a second reset would cost a gc pass)
"""


class WarmKernel:
    """One kernel, started once and reused for many notebooks (one at a time)."""

    def __init__(self, kernel_name: str = "python3", cwd: str | None = None):
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.km: KernelManager | None = None
        self.kc: Any = None  # blocking client (jupyter_client's, untyped): warm-up and reset
        self.notebook_kc: AsyncKernelClient | None = None  # for nbclient, see start()
        self.socket_dir: str | None = None
        self.restarts = 0
        self.needs_restart = False  # set when a notebook was stopped: reuse nothing of it

    def start(self) -> None:
        """Start the kernel and import the heavy libraries in it."""
        # Where the platform has them, local sockets in a private folder: no TCP port that
        # other users of the machine could reach, and no "running over TCP without
        # encryption" warning from every kernel. The folder's name records this process,
        # so a later run can tell a folder whose run was killed from a live run's.
        self.needs_restart = False
        if os.name == "posix":
            self.socket_dir = tempfile.mkdtemp(prefix=kernel_dir_prefix())
            self.km = KernelManager(kernel_name=self.kernel_name, transport="ipc",
                                    ip=os.path.join(self.socket_dir, "kernel"))
        else:
            self.km = KernelManager(kernel_name=self.kernel_name)
        self.km.start_kernel(cwd=self.cwd)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self._silent(WARM_IMPORTS)
        self._silent(_SNAPSHOT)
        # nbclient awaits its client's messages next to a task that checks the kernel is
        # alive; a blocking client would stall that event loop, so a kernel dying in the
        # middle of a notebook would be waited on forever.
        # Its own session: the kernel routes replies by the session's identity.
        self.notebook_kc = AsyncKernelClient(parent=self.km)
        self.notebook_kc.load_connection_info(self.km.get_connection_info())
        self.notebook_kc.start_channels()

    def _silent(self, code: str) -> str:
        """Run code outside the history; return its stdout; raise on an error."""
        out: list[str] = []
        errors: list[str] = []

        def hook(msg):
            content = msg["content"]
            if msg["msg_type"] == "stream" and content["name"] == "stdout":
                out.append(content["text"])
            elif msg["msg_type"] == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")

        reply = self.kc.execute_interactive(code, store_history=False, silent=False,
                                            output_hook=hook, timeout=120)
        if errors or reply["content"]["status"] != "ok":
            raise RuntimeError(f"warm kernel setup failed: {'; '.join(errors) or reply}")
        return "".join(out)

    def reset(self) -> None:
        """Restore the post-warm-up state, or restart the kernel if it cannot be trusted."""
        try:
            clean = (not self.needs_restart and self.km is not None and self.km.is_alive()
                     and self._silent(_RESET).strip() == "CLEAN")
        except Exception:  # a wedged kernel: start afresh
            clean = False
        if not clean:
            self.restarts += 1
            self.shutdown()
            self.start()

    def shutdown(self) -> None:
        """Stop the clients and the kernel."""
        for client in (self.kc, self.notebook_kc):
            if client is not None:
                client.stop_channels()
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
        self.km = self.kc = self.notebook_kc = self.socket_dir = None


class WarmEngine(NBClientEngine):
    """Papermill's nbclient engine, executing in the calling thread's warm kernel."""

    local = threading.local()

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 **kwargs):
        """Run the notebook in this thread's warm kernel, reusing its client."""
        kernel: WarmKernel = cls.local.kernel
        execution = current_execution()
        execution.km, execution.warm_kernel, execution.manager = kernel.km, kernel, nb_man
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        client = PapermillNotebookClient(
            nb_man, km=kernel.km, timeout=execution_timeout or None,
            startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
            log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
        client.kc = kernel.notebook_kc  # no new channels per notebook
        # Papermill rewrites the whole output file as each cell starts and ends, so a person
        # can watch a long notebook; for a batch that is about 90 writes of a file growing to
        # a megabyte per report. Write once, when the notebook completes or fails.
        nb_man.save = lambda **_: None
        try:
            return client.execute()
        finally:
            del nb_man.save  # papermill's own save writes the final notebook


papermill_engines.register("cxlab-warm", WarmEngine)


class _WatchedKernelManager(AsyncKernelManager):
    """nbclient's usual kernel manager, made known to the execution of the calling thread."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        current_execution().km = self


class ColdEngine(NBClientEngine):
    """Papermill's own engine (a new kernel for each notebook) that a time limit can stop."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        """Run the notebook as papermill does, telling the execution its kernel and notebook."""
        current_execution().manager = nb_man
        return super().execute_managed_notebook(
            nb_man, kernel_name, kernel_manager_class=_WatchedKernelManager, **kwargs)


papermill_engines.register("cxlab-cold", ColdEngine)

_local = threading.local()


class Execution:
    """One notebook being executed, as the runner's time limit and error handling see it.

    The engines above fill it in as the notebook starts: the kernel manager running it, the
    warm kernel if there is one, and papermill's execution manager, whose notebook holds the
    outputs so far (kept for inspection when the study fails).
    """

    def __init__(self):
        self.km = None
        self.warm_kernel: WarmKernel | None = None
        self.manager = None

    @property
    def notebook(self):
        """The notebook as executed so far (None before papermill handed it to an engine)."""
        return None if self.manager is None else self.manager.nb

    @contextmanager
    def watched(self):
        """Make this the calling thread's execution for the block (papermill runs in it)."""
        _local.execution = self
        try:
            yield self
        finally:
            _local.execution = None


def current_execution() -> Execution:
    """The calling thread's execution (a throw-away one when nothing watches the thread)."""
    execution = getattr(_local, "execution", None)
    return execution if execution is not None else Execution()


def _kernel_process(km):
    """The kernel's process, when it runs on this machine and has started."""
    return getattr(getattr(km, "provisioner", None), "process", None)


class TimeLimit:
    """Stop an execution that runs longer than ``seconds`` (None: no limit).

    When the time is up the kernel is interrupted, as Jupyter's stop button does: the
    running cell ends with ``KeyboardInterrupt`` and papermill stops the notebook there. A
    notebook that catches the interrupt, or code that cannot be interrupted, has its kernel
    killed ``grace`` seconds later, which ends the execution with ``DeadKernelError``.
    A warm kernel that was stopped is restarted before its next study either way.
    """

    grace = 10.0

    def __init__(self, seconds: float | None, execution: Execution):
        self.seconds = seconds
        self.execution = execution
        self.fired = False
        self._done = False
        self._lock = threading.Lock()
        self._timers: list[threading.Timer] = []

    def __enter__(self) -> TimeLimit:
        if self.seconds:
            self._after(self.seconds, self._interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
            for timer in self._timers:
                timer.cancel()

    def _after(self, seconds: float, action: Callable[[], object]) -> None:
        timer = threading.Timer(seconds, action)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _interrupt(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            if self.execution.warm_kernel is not None:
                self.execution.warm_kernel.needs_restart = True
            process = _kernel_process(self.execution.km)
            if process is not None and process.poll() is None and os.name == "posix":
                process.send_signal(signal.SIGINT)
            self._after(self.grace, self._kill)

    def _kill(self) -> None:
        with self._lock:
            if self._done:
                return
            process = _kernel_process(self.execution.km)
            if process is not None and process.poll() is None:
                process.kill()
            self._after(self.grace, self._kill)  # a kernel still starting: try again later

