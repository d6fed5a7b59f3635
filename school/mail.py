"""Every email leaves through a task: the default mailer queues it, a worker delivers it.

``MAILERS["default"]`` is ``QueuedEmailBackend``, so whatever sends email
(``send_mail``, ``EmailMessage.send()``; ours, allauth's confirmations and
password resets, Django's own) only writes a ``deliver_email`` task to the
database (``django.tasks``, ``TASKS``): a request never waits on the mail
server. A worker (``manage.py run_tasks``) hands the message to the real
mailer, ``MAILERS["outgoing"]``, and tries again with backoff while that
fails, so a mail server outage delays email instead of losing it.
"""

import base64

from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.tasks import task

OUTGOING = "outgoing"


class QueuedEmailBackend(BaseEmailBackend):
    def __init__(self, *, mailer: str = OUTGOING, **kwargs):
        super().__init__(**kwargs)
        self.mailer = mailer

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            deliver_email.enqueue(message=message_as_json(message), mailer=self.mailer)
        return len(email_messages)


@task
def deliver_email(message: dict, mailer: str = OUTGOING) -> None:
    """Send one message through mailer; raising makes the worker try again later."""
    mailers[mailer].send_messages([message_from_json(message)])


def message_as_json(message: EmailMessage) -> dict:
    attachments = []
    for attachment in message.attachments:
        if not isinstance(attachment, tuple):
            raise ValueError("queued email takes (filename, content, mimetype) attachments, not MIME parts")
        filename, content, mimetype = attachment
        binary = isinstance(content, bytes)
        attachments.append([filename, base64.b64encode(content).decode() if binary else content, mimetype, binary])
    return {
        "subject": str(message.subject), "body": message.body, "from_email": message.from_email,
        "to": message.to, "cc": message.cc, "bcc": message.bcc, "reply_to": message.reply_to,
        "headers": message.extra_headers, "content_subtype": message.content_subtype,
        "alternatives": [list(alternative) for alternative in getattr(message, "alternatives", [])],
        "attachments": attachments,
    }


def message_from_json(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"], body=data["body"], from_email=data["from_email"], to=data["to"], cc=data["cc"],
        bcc=data["bcc"], reply_to=data["reply_to"], headers=data["headers"],
        alternatives=[tuple(alternative) for alternative in data["alternatives"]],
    )
    message.content_subtype = data["content_subtype"]
    for filename, content, mimetype, binary in data["attachments"]:
        message.attach(filename, base64.b64decode(content) if binary else content, mimetype)
    return message
