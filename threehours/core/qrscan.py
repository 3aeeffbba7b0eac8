"""Finding payment QR codes and payment links (PRODUCT.md §2: fees are collected on site;
payment QR codes may not be put on the platform).

Pure functions, no database: `decode_qr_texts` reads every QR code in an image with zxing-cpp
(manylinux wheels, no system library); `is_payment_qr` and `has_payment_link` recognise what
Chinese payment apps put in their codes and links. Services decide what to refuse."""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image

# What the payment apps' receiving codes and links contain (case-insensitive). Hosts match as
# hosts: no letter, digit or hyphen right before them, so "xqr.alipay.com" is not one.
_PAYMENT_HOSTS = [
    r"payapp\.weixin\.qq\.com",  # WeChat Pay
    r"pay\.weixin\.qq\.com",
    r"wx\.tenpay\.com",
    r"qr\.alipay\.com",  # Alipay receiving codes (https://qr.alipay.com/fkx…)
    r"render\.alipay\.com",
    r"ds\.alipay\.com",
    r"qr\.95516\.com",  # UnionPay QuickPass
    r"i\.qianbao\.qq\.com",  # QQ Wallet
    r"payc\.m\.jd\.com",  # JD Pay
]
_PAYMENT_SCHEMES = [
    r"wxp://",  # WeChat Pay personal receiving code (wxp://f2f0…)
    r"weixin://wxpay",
    r"alipays?://",
    r"alipayqr://",
    r"upwallet://",
    r"mqqapi://wallet",
]
_PAYMENT_PATTERNS = [rf"(?<![a-z0-9-]){host}" for host in _PAYMENT_HOSTS] + _PAYMENT_SCHEMES
_PAYMENT_RE = re.compile("|".join(_PAYMENT_PATTERNS), re.IGNORECASE)
# Some merchant codes carry a bare "ALIPAY…" payload rather than a link.
_QR_ONLY_RE = re.compile(r"^\s*alipay", re.IGNORECASE)

_QR_FORMATS = (
    zxingcpp.BarcodeFormat.QRCode
    | zxingcpp.BarcodeFormat.MicroQRCode
    | zxingcpp.BarcodeFormat.RMQRCode
)
_SMALL_SIDE = 800  # a QR code in a large photo is often found only in a smaller copy


def has_payment_link(text: str) -> bool:
    """True when typed text (a note, a description's HTML) contains a payment link such as
    wxp://… or https://qr.alipay.com/…. Naming an app ("现场微信付款") is not a link."""
    return bool(_PAYMENT_RE.search(text or ""))


def is_payment_qr(text: str) -> bool:
    """True when a QR code's content is a payment code (WeChat Pay, Alipay, UnionPay,
    QQ Wallet, JD Pay)."""
    return has_payment_link(text) or bool(_QR_ONLY_RE.match(text or ""))


def _read(image: Image.Image) -> list[str]:
    return [
        barcode.text
        for barcode in zxingcpp.read_barcodes(
            image, formats=_QR_FORMATS, text_mode=zxingcpp.TextMode.Plain
        )
        if barcode.text
    ]


def decode_qr_texts(image: Image.Image) -> list[str]:
    """The texts of every QR code found in `image`, read from a greyscale copy and, when the
    image is large, from a smaller copy too (a code in a photo is often only found there).
    Unique, in the order found; an empty list when there is none."""
    grey = image.convert("L")
    texts = _read(grey)
    if max(grey.size) > _SMALL_SIDE:
        small = grey.copy()
        # Pillow box-reduces first, then resamples: bilinear averaged grain away best in
        # our tests (LANCZOS and bicubic keep it sharp enough to break the finder patterns).
        small.thumbnail((_SMALL_SIDE, _SMALL_SIDE), Image.Resampling.BILINEAR)
        texts += _read(small)
    return list(dict.fromkeys(texts))


def image_has_payment_qr(image: Image.Image) -> bool:
    return any(is_payment_qr(text) for text in decode_qr_texts(image))
