"""复核与公示: resolve data problems, send 一企一单, publish the 公示名单, register objections, freeze
stages and compare them — the same `Project` methods and output writers `mujun review` calls.

The slots that change data take plain arguments (the buttons ask for them in small dialogs first),
so tests drive the page exactly as the dialogs do. Each edit goes through the project's audited
methods and re-runs the evaluation; outputs are written by the evaluator's writers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from evaluator.core.fields import FIELD_BY_ID
from evaluator.core.issues import ISSUE_CODES
from evaluator.merge.resolutions import RESOLUTION_KINDS
from evaluator.outputs.gate import release_gate
from evaluator.project.review import (
    CONFIRM_STATUS,
    DECISIONS,
    STAGES,
    Stage,
    StageDiff,
    diff_stages,
    snapshot,
)

from ..session import Session
from .common import Deferred, Page

log = logging.getLogger(__name__)


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.horizontalHeader().setStretchLastSection(True)
    t.verticalHeader().setVisible(False)
    # wrapped rows follow the width the window gives the last column (lists of tens, not thousands)
    t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return t


COLUMN_MAX = 300  # px: a long 位置 must not push 说明 (the last, stretching column) off the page


def _fill(t: QTableWidget, rows: list[list[str]]) -> None:
    """Rows in, every word readable: columns fit their contents up to COLUMN_MAX, text wraps within
    the cell and rows follow it (the tooltip repeats the whole text)."""
    t.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            item = QTableWidgetItem(v)
            item.setToolTip(v)
            t.setItem(i, j, item)
    t.setWordWrap(True)
    t.resizeColumnsToContents()
    for j in range(t.columnCount() - 1):
        if t.columnWidth(j) > COLUMN_MAX:
            t.setColumnWidth(j, COLUMN_MAX)


def _labels(fields: list[str]) -> str:
    return "、".join(FIELD_BY_ID[f].label if f in FIELD_BY_ID else f for f in fields)


def _shown_key(k: str) -> str:
    return "（无信用代码）" if k.startswith("名称:") else k


def _field_ids(text: str) -> list[str]:
    """`用地面积、实缴税金` (or field ids) → ids; ValueError (Chinese) for an unknown one."""
    by_label = {f.label: f.id for f in FIELD_BY_ID.values()}
    out = []
    for part in text.replace("，", ",").replace("、", ",").split(","):
        p = part.strip()
        if p:
            fid = by_label.get(p, p)
            if fid not in FIELD_BY_ID:
                raise ValueError(f"数据项“{p}”无法识别（如 用地面积、实缴税金）")
            out.append(fid)
    return out


class ReviewPage(Page):
    title = "复核与公示"
    hint = ("数据问题处理后方可发放告知书和公示：关联或更正有误的行、标记非企业、核实后写明理由确认；"
            "生成企业数据确认单、公示名单，登记异议和复核意见，保存各阶段结果并对比变化。")

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._held_keys: list[tuple[str, str]] = []  # (key, issue code) per row of the held table
        top = QHBoxLayout()
        self.stage_label = QLabel()
        top.addWidget(self.stage_label, 1)
        self.stage_box = QComboBox()
        for sid, label in STAGES.items():
            self.stage_box.addItem(label, sid)
        top.addWidget(self.stage_box)
        b = QPushButton("保存为该阶段")
        b.clicked.connect(lambda: self._ask_freeze())
        top.addWidget(b)
        b = QPushButton("阶段对比…")
        b.clicked.connect(lambda: self._ask_diff())
        top.addWidget(b)
        self.body.addLayout(top)
        self.tabs = QTabWidget()
        self.body.addWidget(self.tabs, 1)
        self._build_held()
        self._build_suggestions()
        self._build_confirmations()
        self._build_publicity()
        self._build_objections()
        self.refresh_later = Deferred(self.refresh, self)
        session.project_changed.connect(self.refresh_later)
        session.result_changed.connect(self.refresh_later)
        self.refresh()

    # --- layout ------------------------------------------------------------------------------------
    def _tab(self, title: str, table: QTableWidget, buttons: list[tuple[str, Any]]) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        row = QHBoxLayout()
        for text, slot in buttons:
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, s=slot: self._guard(s))
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(table, 1)
        self.tabs.addTab(w, title)

    def _build_held(self) -> None:
        self.held_table = _table(["企业", "代码", "问题", "位置", "说明"])
        self._tab("暂缓发放", self.held_table, [
            ("标记为非企业…", lambda: self._ask_resolution("not_enterprise")),
            ("核实无误（写明理由）…", lambda: self._ask_resolution("accept")),
            ("关联到企业…", lambda: self._ask_resolution("link")),
            ("更正信用代码…", lambda: self._ask_resolution("recode")),
            ("准予发放…", lambda: self._ask_resolution("release")),
        ])

    def _build_suggestions(self) -> None:
        self.suggestion_table = _table(["待关联的行", "名称", "建议关联到", "企业名称", "依据"])
        self._tab("建议关联", self.suggestion_table, [
            ("接受所选建议", lambda: self.accept_suggestions(self._rows(self.suggestion_table))),
            ("拒绝所选建议…", lambda: self._ask_reject()),
        ])

    def _build_confirmations(self) -> None:
        self.confirm_table = _table(["代码", "企业名称", "状态", "有异议的数据项", "发出", "交回", "说明"])
        self._tab("数据确认单", self.confirm_table, [
            ("生成确认单…", lambda: self._ask_folder("生成企业数据确认单", self.export_confirmations)),
            ("导入回执登记表…", lambda: self._ask_open("导入回执登记表", "Excel 工作簿 (*.xlsx)", self.import_returns)),
            ("登记所选企业的确认结果…", lambda: self._ask_confirmation()),
        ])

    def _build_publicity(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        self.unranked = QCheckBox("排名不分先后（不列名次和得分）")
        self.unranked.setChecked(True)
        self.order = QComboBox()
        self.order.addItem("按统一社会信用代码排列", "code")
        self.order.addItem("按企业名称排列", "name")
        self.publicity_note = QLabel()
        self.publicity_note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.unranked)
        row.addWidget(self.order)
        for text, suffix in (("导出公示名单（Excel）…", ".xlsx"), ("导出公示名单（PDF）…", ".pdf")):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, sfx=suffix: self._guard(lambda: self._ask_publicity(sfx)))
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.publicity_note)
        lay.addStretch(1)
        self.tabs.addTab(w, "公示名单")

    def _build_objections(self) -> None:
        self.objection_table = _table(["编号", "收到日期", "企业", "异议事项", "异议内容", "证明材料", "复核意见", "理由",
                                       "答复日期"])
        self._tab("异议登记", self.objection_table, [
            ("登记异议…", lambda: self._ask_objection()),
            ("复核意见…", lambda: self._ask_decision()),
            ("登记答复日期…", lambda: self._ask_answer()),
            ("导出异议登记表…", lambda: self._ask_save("导出异议登记表", "异议登记表.xlsx", self.export_register)),
        ])

    # --- refresh -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        p = self.session.project
        r = self.session.result
        self.stage_label.setText(f"当前阶段：{STAGES[p.current_stage()]}；已保存阶段："
                                 + ("、".join(f"{s.label}（{s.time[:16]}）" for s in p.stages) or "无"))
        names = self.session.outcome.names if self.session.outcome else {}
        if r is None:
            for t in (self.held_table, self.suggestion_table):
                t.setRowCount(0)
        else:
            gate = release_gate(r)
            rows = []
            self._held_keys = []
            for k, issues in gate.held.items():
                for it in issues:
                    rows.append([names.get(k, k), _shown_key(k), ISSUE_CODES.get(it.code, ""), it.where(), it.message])
                    self._held_keys.append((k, it.code))
            _fill(self.held_table, rows)
            self.tabs.setTabText(0, f"暂缓发放（{len(gate.held)} 家）")
            _fill(self.suggestion_table, [[_shown_key(s.orphan), names.get(s.orphan, ""), s.target, names.get(s.target, ""),
                                           s.reason()] for s in r.suggestions])
            self.tabs.setTabText(1, f"建议关联（{len(r.suggestions)}）")
        _fill(self.confirm_table, [[c.key, names.get(c.key, ""), CONFIRM_STATUS[c.status], _labels(c.fields), c.sent,
                                    c.returned, c.note] for c in p.confirmations.values()])
        _fill(self.objection_table, [[str(o.number), o.received, o.name, _labels(o.fields) + ("、评价等级" if o.tier else ""),
                                      o.claim, "、".join(e.name for e in o.evidence), DECISIONS.get(o.decision, "待复核"),
                                      o.decision_reason, o.answered] for o in p.objections])

    # --- slots with plain arguments (tests call these) ---------------------------------------------
    def _edited(self) -> None:
        """The project changed through one of its audited methods: mark, show, re-evaluate."""
        self.session.edited()

    def resolve(self, kind: str, key: str, reason: str, target: str = "", code: str = "") -> None:
        self.session.add_resolution(kind, key, reason, target=target, code=code)
        self.session.message.emit(f"{RESOLUTION_KINDS[kind]}：{key}")
        self._edited()

    def accept_suggestions(self, rows: list[int], reason: str = "") -> int:
        r = self.session.result
        if r is None:
            return 0
        chosen = [r.suggestions[i] for i in rows if 0 <= i < len(r.suggestions)]
        for sg in chosen:
            self.session.add_resolution("link", sg.orphan, reason or f"接受建议关联：{sg.reason()}",
                                                target=sg.target)
        if chosen:
            self._edited()
        return len(chosen)

    def reject_suggestion(self, row: int, reason: str) -> None:
        r = self.session.result
        if r is None or not 0 <= row < len(r.suggestions):
            return
        sg = r.suggestions[row]
        self.resolve("reject_link", sg.orphan, reason, target=sg.target)

    def freeze(self, stage: str, note: str = "") -> Stage:
        r = self.session.result
        if r is None or not self.session.result_is_current:
            raise ValueError("评价尚未完成，请稍候再保存阶段")
        st = self.session.project.freeze_stage(stage, r, note)
        self._edited()
        return st

    def diff(self, before: str, after: str | None = None) -> StageDiff:
        """Stage `before` against stage `after`, or against the current result."""
        p = self.session.project
        a = p.find_stage(before)
        if after is None:
            r = self.session.result
            if r is None:
                raise ValueError("尚无评价结果")
            b = Stage("review", "", p.user, "当前", p.fingerprint(), snapshot(r, p.scheme_text, p.objections))
            d = diff_stages(a, b)
            d.after = "当前结果"
            return d
        return diff_stages(a, p.find_stage(after))

    def export_confirmations(self, folder: Path) -> list[Path]:
        import datetime as dt

        from evaluator.outputs.confirmation import (
            write_confirmation_register,
            write_confirmation_sheets,
        )
        from evaluator.outputs.settings import load_settings

        r = self._result()
        paths, left_out = write_confirmation_sheets(r, folder, load_settings(),
                                                    combined_path=Path(folder) / "企业数据确认单（合订本）.pdf")
        write_confirmation_register(r, Path(folder) / "确认单回执登记表.xlsx")
        today = dt.date.today().isoformat()
        for k in set(r.table.index.astype(str)) - set(left_out):
            if k not in self.session.project.confirmations:
                self.session.project.set_confirmation(k, "sent", today)
        self._edited()
        self._record("企业数据确认单", f"{len(paths)} 份", folder)
        note = f"；{len(left_out)} 家身份尚未核实，未生成" if left_out else ""
        self.session.message.emit(f"已生成企业数据确认单 {len(paths)} 份：{folder}{note}")
        return paths

    def import_returns(self, path: Path) -> tuple[int, list[str]]:
        from evaluator.outputs.confirmation import read_confirmation_returns

        r = self._result()
        returned, problems = read_confirmation_returns(path)
        n = 0
        for x in returned:
            if x.key in r.table.index:
                self.session.project.set_confirmation(x.key, x.status, x.day, list(x.fields), x.note)
                n += 1
            else:
                problems.append(f"{Path(path).name}：数据中没有企业“{x.key}”，该行未导入")
        self._edited()
        return n, problems

    def set_confirmation(self, key: str, status: str, fields: list[str] | None = None, note: str = "") -> None:
        self.session.project.set_confirmation(key, status, "", fields, note)
        self.session.edited(evaluate=False)  # tracking only: the result does not change

    def export_publicity(self, path: Path) -> Any:
        from evaluator.outputs.publicity import (
            write_publicity_pdf,
            write_publicity_xlsx,
        )
        from evaluator.outputs.settings import load_settings

        write = write_publicity_pdf if Path(path).suffix.lower() == ".pdf" else write_publicity_xlsx
        lst = write(self._result(), path, load_settings(), self.unranked.isChecked(), self.order.currentData())
        held = f"；{len(lst.held)} 家数据问题尚未处理，未列入（见“暂缓发放”）" if lst.held else ""
        self._record(f"公示名单（{'PDF' if Path(path).suffix.lower() == '.pdf' else 'Excel'}）", f"{sum(len(rows) for _h, _c, rows in lst.sections)} 家企业",
                     Path(path).parent)
        self.publicity_note.setText(f"已导出：{path}{held}")
        self.session.message.emit(f"公示名单已导出：{path}")
        return lst

    def add_objection(self, key: str, received: str, claim: str, fields: list[str], tier: bool = False,
                      via: str = "", evidence: list[Path] = ()) -> int:
        r = self._result()
        if key not in r.table.index:
            raise ValueError(f"数据中没有企业“{key}”")
        files = [(Path(f).name, Path(f).read_bytes()) for f in evidence]
        o = self.session.project.add_objection(key, str(r.table.at[key, "name"]), received, claim, fields, tier, via,
                                               files)
        self._edited()
        return o.number

    def decide(self, number: int, decision: str, reason: str, corrections: dict[str, object] | None = None) -> None:
        self.session.project.decide_objection(number, decision, reason, corrections=corrections)
        self._edited()

    def answer(self, number: int, day: str) -> None:
        self.session.project.answer_objection(number, day)
        self.session.edited(evaluate=False)  # the register only: the result does not change

    def export_register(self, path: Path) -> Path:
        from evaluator.outputs.settings import load_settings
        from evaluator.project.review_xlsx import write_objection_register

        out = write_objection_register(self.session.project, path, load_settings())
        self._record("异议登记表", f"{len(self.session.project.objections)} 件", Path(out).parent)
        self.session.message.emit(f"异议登记表已导出：{out}")
        return out

    def _record(self, what: str, count: str, folder: Path) -> None:
        """Each output of the review cycle is an audit entry, as the export page's are."""
        from evaluator.pipeline.fingerprint import data_fingerprint

        r = self._result()
        self.session.record_export(what, count, str(folder), data_fingerprint(r), r.stage)

    def _result(self) -> Any:
        r = self.session.result
        if r is None:
            raise ValueError("尚无评价结果，请先导入数据")
        return r

    # --- dialogs -----------------------------------------------------------------------------------
    def _guard(self, fn: Any) -> None:
        try:
            fn()
        except Exception as exc:  # shown to the official, never a crash
            log.warning("review action failed: %s", exc)
            QMessageBox.warning(self, "复核", str(exc))

    @staticmethod
    def _rows(t: QTableWidget) -> list[int]:
        return sorted({i.row() for i in t.selectedIndexes()})

    def _reason(self, title: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(self, title, "理由（必填，记入审计日志）：")
        return text if ok else None

    def _ask_resolution(self, kind: str) -> None:
        rows = self._rows(self.held_table)
        if not rows:
            raise ValueError("请先在列表中选择企业")
        key, code = self._held_keys[rows[0]]
        target = ""
        if kind in ("link", "recode"):
            label = "关联到的企业统一社会信用代码：" if kind == "link" else "正确的统一社会信用代码："
            target, ok = QInputDialog.getText(self, RESOLUTION_KINDS[kind], label)
            if not ok:
                return
        reason = self._reason(f"{RESOLUTION_KINDS[kind]}：{key}")
        if reason is not None:
            self.resolve(kind, key, reason, target=target, code=code if kind == "accept" else "")

    def _ask_reject(self) -> None:
        rows = self._rows(self.suggestion_table)
        if not rows:
            raise ValueError("请先选择一条建议")
        reason = self._reason("拒绝建议关联")
        if reason is not None:
            self.reject_suggestion(rows[0], reason)

    def _ask_freeze(self) -> None:
        stage = self.stage_box.currentData()
        note, ok = QInputDialog.getText(self, "保存阶段", f"保存当前结果为“{STAGES[stage]}”阶段，备注（可空）：")
        if ok:
            self._guard(lambda: self.freeze(stage, note))

    def _ask_diff(self) -> None:
        p = self.session.project
        labels = [f"{s.label}（{s.time[:16]}）" for s in p.stages]
        if not labels:
            QMessageBox.information(self, "阶段对比", "尚未保存任何阶段")
            return
        a, ok = QInputDialog.getItem(self, "阶段对比", "与当前结果对比的阶段：", labels, 0, False)
        if not ok:
            return
        st = p.stages[labels.index(a)]
        d = self.diff(st.stage)
        text = "\n".join(f"{f.name}：" + "；".join(f"{w} {x}→{y}" for w, x, y in f.changes) + "\n　原因："
                         + ("；".join(f.causes) or "因其他企业数据更正，基准值或名次随之变化")
                         for f in d.firms if f.direct or f.tier_changed)
        box = QMessageBox(self)
        box.setWindowTitle("阶段对比")
        box.setText(f"{d.before} → {d.after}：变化企业 {len(d.firms)} 家，因本企业数据更正或复核决定变化 {len(d.direct)} 家，"
                    f"等级变化 {len(d.tier_changes)} 家")
        box.setDetailedText(text or "无")
        save = box.addButton("导出对比表…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is save:
            from evaluator.project.review_xlsx import write_stage_diff

            self._ask_save("导出阶段对比表", "阶段对比.xlsx", lambda path: write_stage_diff(d, path))

    def _ask_folder(self, title: str, fn: Any) -> None:
        d = QFileDialog.getExistingDirectory(self, title, str(Path.home()))
        if d:
            fn(Path(d))

    def _ask_open(self, title: str, filt: str, fn: Any) -> None:
        name, _ = QFileDialog.getOpenFileName(self, title, str(Path.home()), filt)
        if name:
            n, problems = fn(Path(name))
            QMessageBox.information(self, title, f"已导入 {n} 家" + ("\n" + "\n".join(problems) if problems else ""))

    def _ask_save(self, title: str, default: str, fn: Any) -> None:
        name, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / default))
        if name:
            fn(Path(name))

    def _ask_confirmation(self) -> None:
        rows = self._rows(self.confirm_table)
        if not rows:
            raise ValueError("请先在列表中选择企业")
        key = self.confirm_table.item(rows[0], 0).text()
        labels = {v: k for k, v in CONFIRM_STATUS.items()}
        choice, ok = QInputDialog.getItem(self, "确认结果", f"{key} 的确认结果：", list(labels), 1, False)
        if not ok:
            return
        fields: list[str] = []
        if labels[choice] == "disputed":
            text, ok = QInputDialog.getText(self, "确认结果", "有异议的数据项（如 用地面积、实缴税金）：")
            if not ok:
                return
            fields = _field_ids(text)
        self.set_confirmation(key, labels[choice], fields)

    def _ask_publicity(self, suffix: str) -> None:
        self._ask_save("导出公示名单", f"公示名单{suffix}", self.export_publicity)

    def _ask_objection(self) -> None:
        key, ok = QInputDialog.getText(self, "登记异议", "企业统一社会信用代码：")
        if not ok:
            return
        received, ok = QInputDialog.getText(self, "登记异议", "收到日期（如 2026-03-04）：")
        if not ok:
            return
        items, ok = QInputDialog.getText(self, "登记异议", "异议的数据项（如 用地面积、实缴税金；只对等级有异议可空）：")
        if not ok:
            return
        claim, ok = QInputDialog.getMultiLineText(self, "登记异议", "异议内容：")
        if not ok:
            return
        files, _ = QFileDialog.getOpenFileNames(self, "证明材料（可多选，可不选）", str(Path.home()))
        fields = _field_ids(items)
        self.add_objection(key.strip().upper(), received.strip(), claim, fields, not fields, "",
                           [Path(f) for f in files])

    def _ask_answer(self) -> None:
        rows = self._rows(self.objection_table)
        if not rows:
            raise ValueError("请先选择一件异议")
        number = self.session.project.objections[rows[0]].number
        day, ok = QInputDialog.getText(self, "答复企业", "答复日期（如 2026-03-12）：")
        if ok:
            import datetime as dt

            dt.date.fromisoformat(day.strip())
            self.answer(number, day.strip())

    def _ask_decision(self) -> None:
        rows = self._rows(self.objection_table)
        if not rows:
            raise ValueError("请先选择一件异议")
        number = self.session.project.objections[rows[0]].number
        choice, ok = QInputDialog.getItem(self, "复核意见", "复核意见：", list(DECISIONS.values()), 0, False)
        if not ok:
            return
        decision = next(k for k, v in DECISIONS.items() if v == choice)
        reason = self._reason("复核意见")
        if reason is None:
            return
        corrections: dict[str, object] = {}
        if decision != "rejected":
            text, ok = QInputDialog.getText(self, "复核意见", "需更正的数据（标准单位，如 用地面积=53.72，多项用逗号分隔；可空）：")
            if ok and text.strip():
                for item in text.replace("，", ",").split(","):
                    f, _, v = item.partition("=")
                    corrections[_field_ids(f)[0]] = float(v)
        self.decide(number, decision, reason, corrections)
