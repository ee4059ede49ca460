"""A test-only e-mail backend: says it started sending, then sleeps before writing (time to kill the worker)."""

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend


class SlowEmailBackend(EmailBackend):
    def send_messages(self, email_messages):  # noqa: ANN001, ANN201
        Path(os.environ["SLOWMAIL_MARKER"]).touch()
        time.sleep(float(os.environ.get("SLOWMAIL_SECONDS", "60")))
        return super().send_messages(email_messages)


class RefusingEmailBackend(EmailBackend):
    """Refuses every recipient, quoting the address in the error as real SMTP servers do."""

    def send_messages(self, email_messages):  # noqa: ANN001, ANN201
        import smtplib

        refused = {addr: (550, f"5.1.1 <{addr}>: unknown user".encode()) for m in email_messages for addr in m.to}
        raise smtplib.SMTPRecipientsRefused(refused)
