"""Descriptions are shown to every volunteer as HTML: known XSS payloads go through the real
sanitiser, and through activity create onto the public page, and nothing executable is left."""

import re
from html.parser import HTMLParser

import pytest

from threehours.activities import services
from threehours.activities.sanitize import TAGS, sanitize_description
from threehours.orgs.tests.factories import approved_org

from .factories import activity_data

IMAGE = "/media/activities/images/3f2a9c_x1.jpg"  # as activity_image_store names them

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "script-upper-src": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "script-in-p": "<p>hi<script>document.cookie</script></p>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-ours-onerror": f'<img src="{IMAGE}" onerror="alert(1)">',
    "img-onerror-mixed-case": f'<IMG SRC="{IMAGE}" OnErRoR=alert(1)>',
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-animate": '<svg><animate onbegin=alert(1) attributeName=x dur=1s><a href="#">x</a>',
    "iframe": '<iframe src="javascript:alert(1)"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="javascript:alert(1)">',
    "form-action": '<form action="javascript:alert(1)"><button>go</button></form>',
    "button-formaction": '<button formaction="javascript:alert(1)">go</button>',
    "a-javascript": '<a href="javascript:alert(1)">x</a>',
    "a-javascript-mixed-case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "a-entity-decimal": '<a href="&#106;avascript:alert(1)">x</a>',
    "a-entity-padded": '<a href="&#0000106&#0000097vascript:alert(1)">x</a>',
    "a-entity-hex-colon": '<a href="&#x6A;avascript&#x3A;alert(1)">x</a>',
    "a-entity-named-colon": '<a href="javascript&colon;alert(1)">x</a>',
    "a-tab-split": '<a href="jav\tascript:alert(1)">x</a>',
    "a-entity-tab-split": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "a-newline-split": '<a href="java\nscript:alert(1)">x</a>',
    "a-leading-space": '<a href="  javascript:alert(1)">x</a>',
    "a-leading-control": '<a href="\x01javascript:alert(1)">x</a>',
    "a-data-html": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "a-vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "a-VBScript-mixed-case": '<a href="VbScRiPt:msgbox(1)">x</a>',
    "a-onclick": '<a href="https://example.org/" onclick="alert(1)">x</a>',
    "style-url": '<p style="background:url(javascript:alert(1))">x</p>',
    "style-tag": "<style>p{background:url(javascript:alert(1))}</style><p>x</p>",
    "math-mglyph-style": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "svg-p-style": '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    "math-malignmark": "<math><mi><malignmark></malignmark></mi><style><img src onerror=alert(1)>",
    "noscript-title": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "textarea-breakout": "<textarea><img title='</textarea><img src=x onerror=alert(1)>'>",
    "comment-breakout": "<!--<img src=x onerror=alert(1)>--><p>ok</p>",
    "img-javascript": '<img src="javascript:alert(1)">',
    "img-data-svg": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "img-srcset": f'<img src="{IMAGE}" srcset="javascript:alert(1)">',
    "img-elsewhere": '<img src="https://evil.example/pixel.png">',
    "img-protocol-relative": '<img src="//evil.example/pixel.png">',
    "img-media-traversal": '<img src="/media/../accounts/logout/">',
    "img-media-other-folder": '<img src="/media/activities/covers/a.jpg">',
    "base-href": '<base href="javascript:alert(1)//"><a href="x">x</a>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "link-import": '<link rel="import" href="data:text/html,<script>alert(1)</script>">',
}

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcset", "xlink:href"}
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]+")


class _Markup(HTMLParser):
    """Elements and attributes as a browser's parser reads the output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    handle_startendtag = handle_starttag


def assert_nothing_executable(html: str) -> None:
    lower = html.lower()
    assert "<script" not in lower
    assert not re.search(r"<[^>]*\son\w+\s*=", html, re.IGNORECASE), html
    markup = _Markup()
    markup.feed(html)
    markup.close()
    assert set(markup.tags) <= TAGS, html
    for tag, name, value in markup.attributes:
        assert not name.startswith("on"), html
        assert name not in {"style", "srcdoc", "formaction"}, html
        if name in _URL_ATTRIBUTES:
            url = _CONTROL_OR_SPACE.sub("", value).lower()
            assert not url.startswith(("javascript:", "vbscript:", "data:")), html
        if tag == "img" and name == "src":
            assert re.fullmatch(r"/media/activities/images/[\w-]+\.(jpg|png)", value), html
    # Output read back in is unchanged: nothing a second parse would turn into markup.
    assert sanitize_description(html) == html


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_sanitiser_leaves_nothing_executable(payload):
    assert_nothing_executable(sanitize_description(payload))


def test_the_sanitiser_keeps_ordinary_formatting_links_and_our_images():
    html = (
        '<h2>集合</h2><p><strong>9点</strong>到 <a href="https://example.org/map">地图</a></p>'
        f'<ul><li>带水</li></ul><p><img src="{IMAGE}" alt="现场"></p>'
    )
    clean = sanitize_description(html)
    assert "<h2>集合</h2>" in clean and "<strong>9点</strong>" in clean
    assert '<a href="https://example.org/map" rel="noopener noreferrer nofollow">' in clean
    assert f'<img src="{IMAGE}" alt="现场">' in clean
    assert_nothing_executable(clean)


@pytest.mark.parametrize(
    "src",
    [
        "/media/../accounts/logout/",
        "/media/activities/images/../../orgs/1/",
        "/media/activities/images/a.jpg?next=/x",
        "/media/activities/images/sub/a.jpg",
        "/media/activities/covers/a.jpg",
        "/media/activities/images/a.svg",
        "/elsewhere/activities/images/a.jpg",
    ],
)
def test_images_must_be_description_images_we_stored(src):
    # A path that only starts like our media would make every reader's browser request it.
    assert "src=" not in sanitize_description(f'<img src="{src}">')


@pytest.mark.django_db
def test_activity_create_stores_and_shows_nothing_executable(operator, client):
    org = approved_org(operator=operator)
    for name, payload in PAYLOADS.items():
        activity = services.activity_create(
            org=org,
            user=org.applicant,
            data=activity_data(description_html=f"<p>介绍</p>{payload}<p>结束</p>"),
        )
        activity.refresh_from_db()
        assert_nothing_executable(activity.description_html)
        services.activity_publish(activity=activity, user=org.applicant)
        page = client.get(f"/activities/{activity.pk}/").content.decode()
        shown = page.split('<div class="description">', 1)[1].split("</div>", 1)[0]
        assert "介绍" in shown, name  # (an unclosed <style> may swallow the rest)
        assert_nothing_executable(shown)
