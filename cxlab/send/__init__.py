"""Sending recognition as it happens: channels, the record of what was sent, the runner.

``cxlab recognize --client NAME`` (:func:`cxlab.send.recognize.recognize`) sends each new
shout-out once to the channels in the client's settings (:mod:`cxlab.send.channels`),
recording each in the client's outbox (:mod:`cxlab.send.outbox`).
"""

#: Most items (shout-outs, announcements or follow-ups) a run sends; the rest wait for the
#: next run. A first run over an export whose answers all carry one date (a mapping's
#: constant) would otherwise post hundreds at once. ``--max`` changes it.
MAX_PER_RUN = 100
