"""The zh_CN translation is complete, covers every tr() string in the sources, is compiled, and is used."""
from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt

from app import i18n

LAYOUTS = Path(__file__).resolve().parents[1] / "layouts"
HELP = "run `.venv/bin/python -m app.i18n --update`, translate the new entries in resources/translations/cc_zh_CN.ts, run it again"


def test_every_entry_of_the_ts_is_translated():
    todo = i18n.unfinished()
    assert todo == [], f"{len(todo)} untranslated (context, source): {todo[:10]} — {HELP}"


def test_every_tr_string_in_the_sources_is_in_the_ts(tmp_path):
    fresh = tmp_path / "cc_zh_CN.ts"
    shutil.copy(i18n.TS_FILE, fresh)
    i18n.run_lupdate(fresh)  # adds new source strings as unfinished, drops vanished ones
    todo = i18n.unfinished(fresh)
    assert todo == [], f"strings in the code with no translation: {todo[:10]} — {HELP}"


def test_the_qm_is_compiled_from_the_current_ts():
    assert i18n.qm_is_current(), f"{i18n.QM_FILE} is stale or missing: run `.venv/bin/python -m app.i18n --compile`"


def test_translations_keep_their_placeholders_and_accelerators():
    for context in ET.parse(i18n.TS_FILE).getroot().iter("context"):
        for message in context.iter("message"):
            source, text = message.findtext("source"), message.findtext("translation") or ""
            where = f"{context.findtext('name')}: {source!r} → {text!r}"
            assert sorted(re.findall(r"%\d", source)) == sorted(re.findall(r"%\d", text)), where
            assert ("&" in source) == ("&" in text), where
            assert re.search(r"[\u4e00-\u9fff]", text), f"not Chinese: {where}"


def test_language_choice():
    assert i18n.choose_language("zh_CN") == "zh_CN"
    assert i18n.choose_language("zh-Hans") == "zh_CN"
    assert i18n.choose_language("en") == ""
    assert i18n.choose_language(None, QLocale("zh_CN")) == "zh_CN"
    assert i18n.choose_language(None, QLocale("en_US")) == ""
    with pytest.raises(ValueError, match="no translation for 'de'"):
        i18n.choose_language("de")


@pytest.fixture
def chinese(qapp):
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    translators = i18n.install_translators(qapp, "zh_CN")
    yield translators
    for tr in translators:
        QCoreApplication.removeTranslator(tr)
    QLocale.setDefault(before)


def test_the_console_speaks_chinese_under_zh_CN(chinese, qtbot):
    from app.console_window import ConsoleWindow
    from backend_client.store import ClientStore
    from tests.app.conftest import Feed, demo_state

    assert len(chinese) == 2  # ours and Qt's qtbase_zh_CN
    store = ClientStore()
    feed = Feed(store)
    feed.auth()
    feed.snapshot(**demo_state(alerts=5, seed=1))
    window = ConsoleWindow(store, LAYOUTS)
    qtbot.addWidget(window)
    assert window.ack_action.text() == "确认告警"
    assert window.take_action.text() == "上墙"
    assert window.new_incident_action.text() == "告警转事件…"
    assert window.take_actions[0].text() == "预案 1 上墙"
    assert [m.title() for m in (a.menu() for a in window.menuBar().actions())][:3] == ["告警(&A)", "视频(&V)", "大屏(&W)"]
    model = window.alert_list.alert_model
    assert model.headerData(0, Qt.Orientation.Horizontal) == "级别"
    assert model.data(model.index(0, 0)) in ("红色", "橙色", "黄色", "蓝色")
    assert window.scene_list.item(0).text().endswith("日常值班")  # Chinese scene titles under zh_CN
    assert window.user_label.text() == "wang · 值班员"
    window.close()
