"""Console forms of the knowledge room: an entry, a category, and the try-it search."""
from __future__ import annotations

from typing import Any

from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from bot.core.inputs import JapaneseForm
from bot.knowledge.editing import FIELD_LABELS, STATUS_LABELS
from bot.knowledge.pack import MAX_ANSWER, MAX_TITLE


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class EntryForm(JapaneseForm):
    """Every field of a knowledge-pack entry; the rules themselves live in knowledge.editing."""

    slug = StringField(FIELD_LABELS["slug"], validators=[Length(max=80)],
                       description="半角英小文字・数字・ハイフン。例：school-lunch-free（作成後は変更できません）")
    title = StringField(FIELD_LABELS["title"], validators=[Length(max=200)],
                        description=f"{MAX_TITLE}文字以内。吹き出しの見出しになります。")
    # A list, not free text: 子育て･教育 typed with a half-width dot once split the menu in two.
    category = SelectField(FIELD_LABELS["category"], choices=[], validate_choice=False,
                           description="メニューの分類になります。一覧にないカテゴリは、管理者が「カテゴリ」の画面で追加します。")
    status = SelectField(FIELD_LABELS["status"], choices=_choices(STATUS_LABELS),
                         description="下書きは住民には回答されません。")
    answer = TextAreaField(FIELD_LABELS["answer"], validators=[Length(max=20000)],
                           description=f"{MAX_ANSWER}文字以内。やさしい言葉で。")
    questions = TextAreaField(FIELD_LABELS["questions"], validators=[Length(max=50000)],
                              description="住民が聞きそうな言い方を1行に1つ。公開には6件以上。")
    keywords = TextAreaField(FIELD_LABELS["keywords"], validators=[Length(max=20000)],
                             description="1行に1つ。")
    url = StringField(FIELD_LABELS["url"], validators=[Length(max=2000)], description="https:// で始まるURL")
    office = SelectField(FIELD_LABELS["office"], choices=[], validate_choice=False,
                         description="吹き出しに担当課の名前・受付時間と「電話する」ボタンを出します。"
                                     "担当課は「担当課」の画面で追加・編集します。")
    contact = StringField(FIELD_LABELS["contact"], validators=[Length(max=1000)],
                          description="空欄なら市の代表の問い合わせ先を表示します。")
    source = StringField(FIELD_LABELS["source"], validators=[Length(max=1000)], description="根拠となる資料と頁")
    updated_on = DateField(FIELD_LABELS["updated_on"], validators=[Optional()])
    review_by = DateField(FIELD_LABELS["review_by"], validators=[Optional()],
                          description="この日を過ぎると「見直しが必要」に表示されます。")
    review_note = TextAreaField(FIELD_LABELS["review_note"], validators=[Length(max=5000)])
    lock_version = HiddenField()
    overwrite_version = HiddenField()
    inbox_group = HiddenField(validators=[Length(max=32)])
    inbox_days = HiddenField(validators=[Length(max=4)])

    def entry_data(self) -> dict[str, Any]:
        """Return the form as entry data in the pack's shape."""
        return {
            "slug": (self.slug.data or "").strip(), "title": (self.title.data or "").strip(),
            "category": (self.category.data or "").strip(), "status": self.status.data or "draft",
            "answer": (self.answer.data or "").replace("\r\n", "\n").strip(),
            "questions": _lines(self.questions.data), "keywords": _lines(self.keywords.data),
            "url": (self.url.data or "").strip(), "office": (self.office.data or "").strip(),
            "contact": (self.contact.data or "").strip(),
            "source": (self.source.data or "").strip(),
            "updated_on": self.updated_on.data.isoformat() if self.updated_on.data else "",
            "review_by": self.review_by.data.isoformat() if self.review_by.data else "",
            "review_note": (self.review_note.data or "").replace("\r\n", "\n").strip(),
        }

    def fill(self, data: dict[str, Any]) -> None:
        """Show entry data in the form."""
        from datetime import date

        for name in ("slug", "title", "category", "status", "answer", "url", "office", "contact", "source", "review_note"):
            getattr(self, name).data = data.get(name) or ""
        self.questions.data = "\n".join(data.get("questions") or [])
        self.keywords.data = "\n".join(data.get("keywords") or [])
        for name in ("updated_on", "review_by"):
            value = data.get(name)
            getattr(self, name).data = date.fromisoformat(value) if value else None


class CategoryForm(JapaneseForm):
    name = StringField("カテゴリの名前", validators=[DataRequired("入力してください"), Length(max=40)])


class TryForm(JapaneseForm):
    class Meta:
        csrf = False  # a GET search that changes nothing

    q = StringField("質問", validators=[DataRequired("質問を入力してください"), Length(max=500)])
    drafts = BooleanField("下書きも含めて試す")
