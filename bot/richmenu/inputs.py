"""The rich menu's console forms: the editor (one menu's layout, chat-bar text and six tiles, the image upload)
and the publishing page (publish one mode, switch 災害時モード); CSRF via Flask-WTF."""
from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length

from bot.core.inputs import JapaneseForm
from bot.richmenu.definition import ACTION_KINDS, ACTION_LABELS, LAYOUTS, MAX_MESSAGE, MAX_SUB_LABEL, MAX_URI
from bot.richmenu.mode import MAX_REASON_CHARS
from bot.richmenu.publish import MODE_LABELS
from bot.richmenu.spec import MAX_CHAT_BAR_TEXT, MODES

MAX_TILES = max(layout.cells for layout in LAYOUTS.values())
# Generous bounds on what one field may carry; the definition's own checks give the exact, friendly limits.
_FIELD_MAX = {"label": 40, "sub": 40, "category": 80, "text": MAX_MESSAGE + 100, "uri": MAX_URI + 100}


class RichMenuForm(JapaneseForm):
    """One menu as the editor posts it; tiles are flat fields t1_label … t6_uri, so no JavaScript is needed."""

    mode = HiddenField(validators=[AnyOf(MODES, "メニューの種類が正しくありません。")])
    layout = SelectField("形", choices=[SelectChoice(name, layout.label) for name, layout in LAYOUTS.items()],
                         validate_choice=False)
    chat_bar_text = StringField("メニューバーの文字", description=f"トーク画面の下のバーに出ます（{MAX_CHAT_BAR_TEXT}文字以内）。",
                                validators=[Length(max=100)])


for _n in range(1, MAX_TILES + 1):
    setattr(RichMenuForm, f"t{_n}_label", StringField("ボタンの文字", validators=[Length(max=_FIELD_MAX["label"])]))
    setattr(RichMenuForm, f"t{_n}_sub", StringField(f"小さな文字（{MAX_SUB_LABEL}文字まで・任意）",
                                                    validators=[Length(max=_FIELD_MAX["sub"])]))
    setattr(RichMenuForm, f"t{_n}_kind", SelectField("押したとき", validate_choice=False,
                                                     choices=[SelectChoice(k, ACTION_LABELS[k]) for k in ACTION_KINDS]))
    setattr(RichMenuForm, f"t{_n}_category", SelectField("開くカテゴリ", validate_choice=False, choices=[]))
    setattr(RichMenuForm, f"t{_n}_text", StringField("送る文", validators=[Length(max=_FIELD_MAX["text"])]))
    setattr(RichMenuForm, f"t{_n}_uri", StringField("開く URL",
                                                    description="https:// で始まる URL か、/forms/… のようなこのサービスのページ",
                                                    validators=[Length(max=_FIELD_MAX["uri"])]))


def form_data(definition: dict[str, Any]) -> dict[str, Any]:
    """Return the form's field values for a stored definition."""
    data: dict[str, Any] = {"layout": definition.get("layout", ""),
                            "chat_bar_text": definition.get("chat_bar_text", "")}
    for n, tile in enumerate(definition.get("tiles", []), start=1):
        action = tile.get("action", {})
        data.update({f"t{n}_label": tile.get("label", ""), f"t{n}_sub": tile.get("sub", ""),
                     f"t{n}_kind": action.get("type", "")})
        for key, field in (("category", "category"), ("text", "text"), ("uri", "uri")):
            data[f"t{n}_{field}"] = action.get(key, "")
    return data


def definition_of(values: dict[str, Any]) -> dict[str, Any]:
    """Return the definition the posted values describe, with as many tiles as the layout has."""
    layout = LAYOUTS.get(str(values.get("layout") or ""))
    count = layout.cells if layout else MAX_TILES
    tiles = []
    for n in range(1, count + 1):
        kind = str(values.get(f"t{n}_kind") or "")
        action: dict[str, Any] = {"type": kind}
        key = {"topic": "category", "message": "text", "uri": "uri"}.get(kind)
        if key:
            action[key] = str(values.get(f"t{n}_{key}") or "")
        tile = {"label": str(values.get(f"t{n}_label") or ""), "action": action}
        if values.get(f"t{n}_sub"):
            tile["sub"] = str(values[f"t{n}_sub"])
        tiles.append(tile)
    return {"layout": str(values.get("layout") or ""), "chat_bar_text": str(values.get("chat_bar_text") or ""),
            "tiles": tiles}


class RichMenuImageForm(JapaneseForm):
    """A designed menu image to use instead of the drawn one."""

    mode = HiddenField(validators=[AnyOf(MODES, "メニューの種類が正しくありません。")])
    image = FileField("メニュー画像（PNG または JPEG・1MB 以下）", validators=[FileRequired("画像ファイルを選んでください。")])


class RichMenuActionForm(JapaneseForm):
    """A button for one menu (drop the uploaded image): the mode and the CSRF token."""

    mode = HiddenField(validators=[AnyOf(MODES, "メニューの種類が正しくありません。")])


class PublishForm(JapaneseForm):
    """Publish one mode's menu to LINE."""

    mode = SelectField("メニュー", choices=[SelectChoice(m, label) for m, label in MODE_LABELS.items()], validators=[DataRequired("選んでください")])
    digest = HiddenField("確認コード")  # the review shown; the service refuses any other menu


class DisasterForm(JapaneseForm):
    """Switch disaster mode on or off, with a reason and a confirmation."""

    switch = SelectField("切り替え", choices=[SelectChoice("on", "災害時モードにする"), SelectChoice("off", "通常に戻す")],
                         validators=[DataRequired("選んでください")])
    reason = TextAreaField("理由", validators=[DataRequired("理由を入力してください"),
                                               Length(max=MAX_REASON_CHARS,
                                                      message=f"{MAX_REASON_CHARS}文字以内で入力してください")])
    confirm = BooleanField("上に表示したメニューの変更内容（URLを含む）と、住民に表示されるメニューとあいさつが切り替わることを確認しました",
                           validators=[DataRequired("確認のチェックを入れてください")])
    digest = HiddenField("確認コード")  # the review shown; the service refuses any other menu
