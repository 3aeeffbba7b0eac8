"""An SMS provider that takes a while (tests only): the file backend after a 0.3 s pause, so that
a worker can be killed while a batch of deliveries is being sent (issue #17 §4). Plugged in by
`THREEHOURS_SMS_BACKEND=threehours.testing.slow_sms.SlowFileSmsBackend`."""

from __future__ import annotations

import time

from threehours.notifications.backends import FileSmsBackend

DELAY_SECONDS = 0.3


class SlowFileSmsBackend(FileSmsBackend):
    def send(self, *, phone: str, text: str) -> None:
        time.sleep(DELAY_SECONDS)  # the provider's round trip; a kill here loses nothing sent
        super().send(phone=phone, text=text)
