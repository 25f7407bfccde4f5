"""Sending recognition as it happens: channels, the record of what was sent, the runner.

``cxlab recognize --client NAME`` (:func:`cxlab.send.recognize.recognize`) sends each new
shout-out once to the channels in the client's settings (:mod:`cxlab.send.channels`),
recording each in the client's outbox (:mod:`cxlab.send.outbox`).
"""
