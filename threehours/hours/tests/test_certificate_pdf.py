"""The certificate's PDF on its own (no database): rendering at once from several threads."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from threehours.hours.certificate_pdf import ActivityRow, CertificateContent, certificate_pdf


def _content(n: int) -> CertificateContent:
    day = dt.date(2026, 1, 1)
    # Different characters per document, so that each font subset differs.
    titles = ["社区助老探访", "河道清洁行动", "图书馆整理书架", "敬老院陪伴聊天", "垃圾分类宣传"]
    return CertificateContent(
        serial=f"3H-TEST-{n:04d}",
        language="zh-hans",
        holder_name="张小三",
        id_number_masked="1101**********1234",
        date_from=day,
        date_to=day + dt.timedelta(days=30),
        all_time=False,
        organisations=["阳光志愿者协会"],
        rows=[
            ActivityRow(
                days=[day + dt.timedelta(days=i)],
                title=f"{titles[(n + i) % 5]}{'甲乙丙丁戊己庚辛壬癸'[(n * i) % 10]}",
                place="上海市徐汇区 漕溪北路 88 号",
                organisation="阳光志愿者协会",
                hours=Decimal("1.5"),
            )
            for i in range(40)
        ],
        total_hours=Decimal("60.0"),
        issued_on=day + dt.timedelta(days=31),
        verify_url=f"http://127.0.0.1/verify/3H-TEST-{n:04d}",
    )


def test_rendering_from_threads_at_once():
    """A threaded server worker renders several certificates at once (bench/certificates.py
    broke reportlab's shared font subset with a KeyError before certificate_pdf took a lock).
    An unlocked control twin did not fail reliably in a test-sized run, so there is none."""
    failures = []

    def render(n: int) -> bytes:
        try:
            return certificate_pdf(_content(n))
        except Exception as exc:  # noqa: BLE001 - counting what a race breaks
            failures.append(exc)
            return b""

    with ThreadPoolExecutor(8) as pool:
        documents = list(pool.map(render, range(24)))
    assert not failures
    assert all(d.startswith(b"%PDF") for d in documents)
