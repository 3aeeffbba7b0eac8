"""SMS backends, chosen by THREEHOURS_SMS_BACKEND. E-mail uses Django's own backends
(THREEHOURS_EMAIL_BACKEND picks console, file or smtp in settings)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import sys
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, phone: str, text: str) -> None: ...


class ConsoleSmsBackend:
    """Prints each SMS to standard output (development)."""

    def send(self, *, phone: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()


class FileSmsBackend:
    """Writes each SMS as one file under OUTBOX_DIR/sms/, newest sorted last."""

    def send(self, *, phone: str, text: str) -> None:
        folder = Path(settings.OUTBOX_DIR) / "sms"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"{stamp}-{phone}-{uuid.uuid4().hex[:6]}.txt"
        path.write_text(f"To: {phone}\n\n{text}\n", encoding="utf-8")


# Messages of the in-memory backend, like django.core.mail.outbox (tests only).
outbox: list[dict[str, str]] = []


class MemorySmsBackend:
    def send(self, *, phone: str, text: str) -> None:
        outbox.append({"phone": phone, "text": text})


class AliyunSmsBackend:
    """Aliyun Dysms SendSms over HTTPS (RPC signature v1). Needs the access key, the sign name
    and a template whose one variable is `content`."""

    endpoint = "https://dysmsapi.aliyuncs.com/"

    def __init__(self) -> None:
        missing = [
            name
            for name, value in {
                "THREEHOURS_SMS_ACCESS_KEY_ID": settings.SMS_PROVIDER_ACCESS_KEY_ID,
                "THREEHOURS_SMS_ACCESS_KEY_SECRET": settings.SMS_PROVIDER_ACCESS_KEY_SECRET,
                "THREEHOURS_SMS_SIGN_NAME": settings.SMS_PROVIDER_SIGN_NAME,
                "THREEHOURS_SMS_TEMPLATE_CODE": settings.SMS_PROVIDER_TEMPLATE_CODE,
            }.items()
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(f"the aliyun SMS backend needs {', '.join(missing)}")

    @staticmethod
    def _quote(value: str) -> str:
        return urllib.parse.quote(value, safe="~")

    def signed_query(self, params: dict[str, str], *, nonce: str, now: dt.datetime) -> str:
        full = {
            "AccessKeyId": settings.SMS_PROVIDER_ACCESS_KEY_ID,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            **params,
        }
        canonical = "&".join(f"{self._quote(k)}={self._quote(v)}" for k, v in sorted(full.items()))
        to_sign = f"GET&%2F&{self._quote(canonical)}"
        key = f"{settings.SMS_PROVIDER_ACCESS_KEY_SECRET}&".encode()
        signature = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha1).digest())
        return f"Signature={self._quote(signature.decode())}&{canonical}"

    def send(self, *, phone: str, text: str) -> None:
        query = self.signed_query(
            {
                "PhoneNumbers": phone,
                "SignName": settings.SMS_PROVIDER_SIGN_NAME,
                "TemplateCode": settings.SMS_PROVIDER_TEMPLATE_CODE,
                "TemplateParam": json.dumps({"content": text}, ensure_ascii=False),
            },
            nonce=uuid.uuid4().hex,
            now=dt.datetime.now(dt.UTC),
        )
        with urllib.request.urlopen(self.endpoint + "?" + query, timeout=10) as response:  # noqa: S310
            answer = json.loads(response.read().decode())
        if answer.get("Code") != "OK":
            raise RuntimeError(f"aliyun SMS refused: {answer.get('Code')} {answer.get('Message')}")


SMS_BACKENDS = {
    "console": ConsoleSmsBackend,
    "file": FileSmsBackend,
    "memory": MemorySmsBackend,
    "aliyun": AliyunSmsBackend,
}


def get_sms_backend() -> SmsBackend:
    name = settings.SMS_BACKEND
    cls = SMS_BACKENDS.get(name)
    if cls is None:
        try:
            cls = import_string(name)  # a dotted path to a provider class of your own
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"THREEHOURS_SMS_BACKEND must be one of {sorted(SMS_BACKENDS)} or a dotted path, "
                f"not {name!r}"
            ) from exc
    return cls()
