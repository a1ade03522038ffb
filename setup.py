"""The one compiled part: rtc/_srtpwire.c (SRTP protect and send in one call). Everything else
is in pyproject.toml. Optional: without a C compiler the install goes on and the forwarder uses
pylibsrtp and the event loop instead (rtc/srtpwire.py)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("rtc._srtpwire", ["rtc/_srtpwire.c"], optional=True)])
