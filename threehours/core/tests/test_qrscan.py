"""Payment QR codes and links are recognised; ordinary ones are not (docs/product.md §2)."""

import pytest
import zxingcpp

from threehours.core.qrscan import (
    decode_qr_texts,
    has_payment_link,
    image_has_payment_qr,
    is_payment_qr,
    link_normalise,
)

from .pictures import photo


@pytest.mark.parametrize(
    "text",
    [
        "wxp://f2f0abcDEF123",
        "weixin://wxpay/bizpayurl?pr=abc",
        "https://payapp.weixin.qq.com/qr/AbC?t=1",
        "https://wx.tenpay.com/f2f?t=x",
        "https://qr.alipay.com/fkx12345abcde",
        "HTTPS://QR.ALIPAY.COM/FKX12345",
        "alipays://platformapi/startapp?saId=10000007",
        "https://render.alipay.com/p/s/i?scheme=x",
        "https://qr.95516.com/00010000/0123456789",
        "upwallet://pay?code=1",
        "https://i.qianbao.qq.com/wallet/sqrcode.htm?m=tenpay&a=1",
    ],
)
def test_payment_codes_of_the_payment_apps_are_recognised(text):
    assert is_payment_qr(text) and has_payment_link(text)


@pytest.mark.parametrize(
    "text",
    [
        "https://example.org/",
        "https://www.alipay.com/",  # the company's home page is not a receiving code
        "https://weixin.qq.com/r/abc",  # an official-account follow code
        "https://xqr.alipay.com.example.org/",
        "现场用微信或支付宝付款",
        "",
    ],
)
def test_ordinary_links_and_app_names_are_not_payment_links(text):
    assert not is_payment_qr(text) and not has_payment_link(text)


def test_typed_links_are_found_inside_text_and_html():
    assert has_payment_link("扫码付款 https://qr.alipay.com/abc")
    assert has_payment_link("付款请用qr.alipay.com/abc")
    assert has_payment_link('<p><a href="https://qr.95516.com/x">付款</a></p>')


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        ("qr%2Ealipay%2Ecom", "qr.alipay.com"),  # percent-encoded dots
        ("qr%252Ealipay%252Ecom", "qr.alipay.com"),  # encoded twice
        ("qr%25252Ealipay.com", "qr.alipay.com"),  # three times
        ("qr&#46;alipay&#x2e;com", "qr.alipay.com"),  # character references
        ("qr&amp;#46;alipay.com", "qr.alipay.com"),  # an escaped reference
        ("ｑｒ．ａｌｉｐａｙ．ｃｏｍ", "qr.alipay.com"),  # full-width letters and dot
        ("qr。alipay｡com", "qr.alipay.com"),  # ideographic full stops
        ("％２Ｅ", "."),  # a full-width percent-escape
        ("https://xn--qr-.alipay.com/x", "https://qr.alipay.com/x"),  # an IDNA label
        ("QR.ALI\u00adPAY.COM", "qr.alipay.com"),  # upper case, a soft hyphen
        ("ｗｘｐ：／／ｆ２ｆ０", "wxp://f2f0"),
        ("100%满意 &amp; 现场微信付款", "100%满意 & 现场微信付款"),  # prose stays prose
    ],
)
def test_link_normalise_resolves_text_as_a_browser_would(text, resolved):
    assert link_normalise(text) == resolved


def test_link_normalise_stops_after_a_bounded_number_of_rounds():
    nested = "qr%" + "25" * 50 + "2Ealipay.com"
    assert link_normalise(nested).startswith("qr%25")


@pytest.mark.parametrize(
    "text",
    [
        "https://qr%2Ealipay%2Ecom/fkx1",
        "https://qr%252Ealipay%252Ecom/fkx1",
        "https://ｑｒ．ａｌｉｐａｙ．ｃｏｍ/fkx1",
        "https://qr&#46;alipay&#46;com/fkx1",
        "https://xn--qr-.alipay.com/fkx1",
        "wxp%3A%2F%2Ff2f0abc",
        '<a href="w\nxp://f2f0abc">付款</a>',  # browsers drop newlines inside a URL
        "weixin://dl/business",  # any weixin:// link
        "wechat://pay",
        "alipay://platformapi/startapp",
        "alipayqr://platformapi/startapp?saId=10000007",
        "unionpay://pay",
        "uppay:abc",
        "mqqwallet://pay",
        "mqqapi://wallet/pay",
        "https://example.org/go?to=wxp://f2f0abc",
    ],
)
def test_disguised_payment_links_are_recognised(text):
    assert has_payment_link(text)


@pytest.mark.parametrize(
    "text",
    [
        "现场微信付款",
        "Alipay：现场扫码付款",  # the full-width colon folds to ":", yet it is prose
        "微信号 weixin:zhang123",  # a WeChat ID, not a link
        "https://example.org/path?q=%E4%BD%A0%E5%A5%BD",
        "https://xn--fiqs8s.example.org/",  # an ordinary IDN host
        "100% 自愿",
    ],
)
def test_prose_and_ordinary_links_are_not_payment_links(text):
    assert not has_payment_link(text)


def test_a_bare_alipay_payload_counts_only_as_a_qr_code():
    assert is_payment_qr("ALIPAY20240101XYZ") and not has_payment_link("ALIPAY20240101XYZ")


def test_a_qr_code_is_read_from_inside_a_large_photo():
    picture = photo(qr="wxp://f2f0abc")
    assert decode_qr_texts(picture) == ["wxp://f2f0abc"]
    assert image_has_payment_qr(picture)


def test_a_code_in_a_grainy_photo_is_read_from_the_smaller_copy():
    picture = photo(size=(1600, 1200), qr="https://qr.alipay.com/fkx1", qr_scale=6, noise=240)
    at_full_size = zxingcpp.read_barcodes(
        picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert not at_full_size
    assert decode_qr_texts(picture) == ["https://qr.alipay.com/fkx1"]


def test_ordinary_qr_codes_and_plain_photos_pass():
    assert decode_qr_texts(photo(qr="https://example.org/")) == ["https://example.org/"]
    assert not image_has_payment_qr(photo(qr="https://example.org/"))
    assert decode_qr_texts(photo()) == []
