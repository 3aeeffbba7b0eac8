"""Finding payment QR codes and payment links (docs/product.md §2: fees are collected on site;
payment QR codes may not be put on the platform).

Pure functions, no database: `decode_qr_texts` reads every QR code in an image with zxing-cpp
(manylinux wheels, no system library); `is_payment_qr` and `has_payment_link` recognise what
Chinese payment apps put in their codes and links. Services decide what to refuse."""

from __future__ import annotations

import html
import re
import unicodedata
import urllib.parse

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
# Payment apps' own schemes, wherever they appear (an href, a redirect parameter, plain text).
# These names are nothing but payment schemes: "wxp:" followed by anything URL-like is a link.
_PAYMENT_ONLY_SCHEMES = ["wxp", "alipays", "alipayqr", "upwallet", "uppay", "mqqwallet"]
# These are also words people write before an ID or a colon ("Alipay：现场扫码", "weixin:abc"
# for a WeChat ID): only a link (scheme, colon, slash) counts. Any weixin:// link is refused.
_PAYMENT_WORD_SCHEMES = ["weixin", "wechat", "alipay", "unionpay"]
_SCHEME_START = r"(?<![a-z0-9+.-])"
_PAYMENT_SCHEMES = [
    rf"{_SCHEME_START}(?:{'|'.join(_PAYMENT_ONLY_SCHEMES)}):(?=[a-z0-9/%?#._~!$&'()*+,;=@-])",
    rf"{_SCHEME_START}(?:{'|'.join(_PAYMENT_WORD_SCHEMES)}):/",
    rf"{_SCHEME_START}mqqapi:/+wallet",  # QQ Wallet; mqqapi:// also opens profiles and chats
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


# What a browser (and an app's URL parser) ignores or folds before resolving a host:
# ideographic full stops separate labels (UTS #46); soft hyphens and zero-width characters are
# mapped to nothing; tabs and newlines are removed from anywhere in a URL (WHATWG URL).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_IGNORED_RE = re.compile("[\u00ad\u034f\u180b-\u180e\u200b-\u200d\u2060\ufeff]")
_URL_WHITESPACE_RE = re.compile("[\t\n\r]")
_ACE_LABEL_RE = re.compile(r"xn--([a-z0-9-]+)")
_MAX_ROUNDS = 8  # %252E2E… nests one level per round; more than this is no honest text


def _ace_decode(match: re.Match[str]) -> str:
    try:
        return match.group(1).encode("ascii").decode("punycode")
    except UnicodeError:
        return match.group(0)


def link_normalise(text: str) -> str:
    """`text` as a browser would resolve a link in it: HTML entities unescaped, percent-escapes
    decoded, NFKC-folded (full-width letters, ｡ ． 。 as dots), IDNA `xn--` labels decoded,
    ignorable characters dropped, lower-cased; repeated until nothing changes (bounded), so
    that nesting (`%252E`, `&amp;#46;`, a full-width `％２Ｅ`) decodes too. Pure; the result
    is only for matching, never for display."""
    value = text or ""
    for _round in range(_MAX_ROUNDS):
        before = value
        value = html.unescape(value)
        value = urllib.parse.unquote(value, errors="replace")
        value = unicodedata.normalize("NFKC", value).translate(_DOTS)
        value = _IGNORED_RE.sub("", value).lower()
        value = _ACE_LABEL_RE.sub(_ace_decode, value)
        if value == before:
            break
    return value


def has_payment_link(text: str) -> bool:
    """True when text (a note, a title, a description's HTML) contains a payment link such as
    wxp://… or https://qr.alipay.com/…, also when disguised by entities, percent-escapes,
    full-width letters and dots or punycode (`link_normalise`). Naming an app ("现场微信付款")
    is not a link."""
    if not text:
        return False
    value = link_normalise(text)
    return bool(_PAYMENT_RE.search(value) or _PAYMENT_RE.search(_URL_WHITESPACE_RE.sub("", value)))


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
