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
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import KernelManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import remove_args

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
        self.kc = None  # blocking client: warm-up and reset
        self.notebook_kc: AsyncKernelClient | None = None  # for nbclient, see start()
        self.socket_dir: str | None = None
        self.restarts = 0

    def start(self) -> None:
        """Start the kernel and import the heavy libraries in it."""
        # Where the platform has them, local sockets in a private folder: no TCP port that
        # other users of the machine could reach, and no "running over TCP without
        # encryption" warning from every kernel.
        if os.name == "posix":
            self.socket_dir = tempfile.mkdtemp(prefix="cxlab-kernel-")
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
            clean = self.km.is_alive() and self._silent(_RESET).strip() == "CLEAN"
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

