"""Generate the bundled example event and the ``pitch-jury init`` templates.

The example event (``examples/event/``) is a realistic pitch session of International Knowledge
Sharing Week: four groups, 80 students in 24 projects, eight jurors in two overlapping jury
panels, five criteria, planted juror severities, declared conflicts and fairness rules that
bind. The templates (``scoring/templates/``) are the tiny, heavily commented event that
``pitch-jury init`` copies for a new secretary.

Everything is deterministic: the true qualities below are fixed, the marks add seeded noise
(:data:`SEED`), rows are written in sorted order and the XLSX files carry fixed timestamps, so
re-running the script reproduces byte-identical files.

Usage::

    python examples/make_example_event.py                 # both, at their places in the repo
    python examples/make_example_event.py --example-out DIR --templates-out DIR2
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import textwrap
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from scoring import columns as col

__all__ = [
    "CRITERIA",
    "EXAMPLE_DIR",
    "EXAMPLE_FILES",
    "GROUP_PREFIXES",
    "JURORS",
    "NOT_ELIGIBLE",
    "PANELS",
    "PROJECTS",
    "ROSTER",
    "SEED",
    "TEMPLATE_DIR",
    "TEMPLATE_FILES",
    "PlantedJuror",
    "build_candidates",
    "build_jurors",
    "build_scores",
    "main",
    "write_example_event",
    "write_templates",
]

SEED = 2019
"""Seed of the mark noise; also the selection seed written into ``event.toml``."""

EXAMPLE_DIR = Path(__file__).resolve().parent / "event"
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "scoring" / "templates"

EXAMPLE_FILES: tuple[str, ...] = (
    "README.md",
    "candidates.csv",
    "event.toml",
    "event_ru.toml",
    "event_xlsx.toml",
    "jurors.csv",
    "scores.csv",
    "scores.xlsx",
    "scores_ru.csv",
    "what_if.toml",
)
"""Files :func:`write_example_event` writes, sorted."""

TEMPLATE_FILES: tuple[str, ...] = (
    "candidates.csv",
    "event.toml",
    "jurors.csv",
    "scores.csv",
    "template.xlsx",
)
"""Files :func:`write_templates` writes, sorted."""

_FIXED_TIME = dt.datetime(2019, 10, 1, 9, 0, 0)
"""Creation and modification time written into every XLSX (keeps the bytes stable)."""

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Timestamp of every member of an XLSX zip archive."""

_SCALE = (1.0, 10.0)
_NOISE_SD = 0.6
"""Standard deviation of one juror's noise on one mark, in scale points."""

_PROFILE_SD = 0.3
"""Spread of a project's true per-criterion marks around its overall quality."""


# ---------------------------------------------------------------------------------------
# The event's design: criteria, people, projects and jurors
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """A criterion as written into ``event.toml``: ``weight`` is the TOML literal."""

    name: str
    weight: str
    level: str
    label: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion("relevance", '"25%"', "project", "Relevance to the sustainable development goals"),
    Criterion("feasibility", "0.20", "project", "Feasibility of the project"),
    Criterion("innovation", '"20%"', "project", "Innovation"),
    Criterion("cooperation", "0.15", "project", "Potential for cooperation with Russia"),
    Criterion("pitch", '"20%"', "candidate", "Quality of the candidate's own pitch"),
)


_PKU = "Peking University"
_FUDAN = "Fudan University"
_ZJU = "Zhejiang University"
_NUM = "National University of Mongolia"
_MUST = "Mongolian University of Science and Technology"
_VNU_HANOI = "Vietnam National University, Hanoi"
_VNU_HCMC = "Vietnam National University, Ho Chi Minh City"
_KAZNU = "Al-Farabi Kazakh National University"
_NU = "Nazarbayev University"
_KNU = "Kyrgyz National University"
_AUCA = "American University of Central Asia"
_JNU = "Jawaharlal Nehru University"
_DU = "University of Delhi"
_UI = "Universitas Indonesia"
_UGM = "Universitas Gadjah Mada"
_UCAD = "Université Cheikh Anta Diop"
_UFHB = "Université Félix Houphouët-Boigny"
_UNILAG = "University of Lagos"
_UON = "University of Nairobi"
_UM5 = "Mohammed V University"
_UOFK = "University of Khartoum"
_USP = "Universidade de São Paulo"
_UFRJ = "Universidade Federal do Rio de Janeiro"
_UNAM = "Universidad Nacional Autónoma de México"
_PUCP = "Pontificia Universidad Católica del Perú"
_UBA = "Universidad de Buenos Aires"
_UNIANDES = "Universidad de los Andes"
_UCHILE = "Universidad de Chile"
_UNMSM = "Universidad Nacional Mayor de San Marcos"
_RUDN = "RUDN University"

GROUP_PREFIXES: dict[str, str] = {
    "Asia I": "AS1",
    "Asia II": "AS2",
    "Africa": "AF",
    "Latin America": "LA",
}
"""Group name -> candidate id prefix (ids run ``AS1-01``, ``AS1-02``, ... in roster order)."""

PROJECTS: dict[str, tuple[str, float]] = {
    "P01": ("Asia I", 8.2),
    "P02": ("Asia I", 7.9),
    "P03": ("Asia I", 7.6),
    "P04": ("Asia I", 6.6),
    "P05": ("Asia I", 6.3),
    "P06": ("Asia I", 5.9),
    "P07": ("Asia II", 8.1),
    "P08": ("Asia II", 7.8),
    "P09": ("Asia II", 7.5),
    "P10": ("Asia II", 7.0),
    "P11": ("Asia II", 6.6),
    "P12": ("Asia II", 6.2),
    "P13": ("Africa", 8.3),
    "P14": ("Africa", 8.0),
    "P15": ("Africa", 7.7),
    "P16": ("Africa", 7.0),
    "P17": ("Africa", 6.6),
    "P18": ("Africa", 6.1),
    "P19": ("Latin America", 8.4),
    "P20": ("Latin America", 8.0),
    "P21": ("Latin America", 7.7),
    "P22": ("Latin America", 7.0),
    "P23": ("Latin America", 6.6),
    "P24": ("Latin America", 6.2),
}
"""Project id -> (group, true quality on the 1-10 scale)."""

ROSTER: tuple[tuple[str, str, str, str, str, float], ...] = (
    # project, name, gender, country, university, true quality of the candidate's own pitch
    ("P01", "王子涵", "M", "CHN", _PKU, 8.6),
    ("P01", "李静怡", "F", "CHN", _PKU, 7.4),
    ("P01", "陈浩", "M", "CHN", _PKU, 6.4),
    ("P01", "Nguyễn Đức Thắng", "M", "VNM", _VNU_HANOI, 5.2),
    ("P02", "张雨桐", "F", "CHN", _FUDAN, 8.4),
    ("P02", "刘洋", "M", "CHN", _FUDAN, 6.8),
    ("P02", "赵文博", "M", "CHN", _FUDAN, 7.0),
    ("P02", "Батбаярын Сарангэрэл", "F", "MNG", _NUM, 5.4),
    ("P03", "黄志强", "M", "CHN", _ZJU, 8.1),
    ("P03", "周晓梅", "F", "CHN", _ZJU, 7.2),
    ("P03", "吴俊杰", "M", "CHN", _ZJU, 6.5),
    ("P04", "Ганбаатарын Тэмүүлэн", "M", "MNG", _NUM, 8.8),
    ("P04", "Энхтуяагийн Номин", "F", "MNG", _MUST, 7.1),
    ("P04", "Phạm Quang Huy", "M", "VNM", "Hanoi University of Science and Technology", 6.6),
    ("P05", "Lê Thị Ngọc Ánh", "F", "VNM", _VNU_HCMC, 7.8),
    ("P05", "Hoàng Văn Nam", "M", "VNM", _RUDN, 7.4),
    ("P05", "Дорждэрэмийн Болд", "M", "MNG", _MUST, 6.4),
    ("P06", "Очирбатын Ану", "F", "MNG", _NUM, 7.5),
    ("P06", "Đặng Thùy Linh", "F", "VNM", "Foreign Trade University", 6.9),
    ("P06", "孙磊", "M", "CHN", "Nanjing University", 6.6),
    ("P07", "Айгерим Жақсыбекова", "F", "KAZ", _KAZNU, 8.5),
    ("P07", "Ерлан Тұрсынов", "M", "KAZ", _KAZNU, 7.0),
    ("P07", "Priya Venkataraman", "F", "IND", _JNU, 6.8),
    ("P07", "Данияр Сейітқалиев", "M", "KAZ", _NU, 6.3),
    ("P08", "Arjun Mehta", "M", "IND", _DU, 8.6),
    ("P08", "Ananya Iyer", "F", "IND", _DU, 7.0),
    ("P08", "Rizky Pratama", "M", "IDN", _UI, 6.9),
    ("P08", "Бекзат Асанов", "M", "KGZ", _KNU, 6.2),
    ("P09", "Нурбек Жумабаев", "M", "KGZ", _AUCA, 8.2),
    ("P09", "Айпери Токтогулова", "F", "KGZ", _AUCA, 6.0),
    ("P09", "Siti Nurhaliza Rahmawati", "F", "IDN", _UGM, 6.2),
    ("P10", "Putri Ayu Lestari", "F", "IDN", _UI, 8.0),
    ("P10", "Rohan Deshpande", "M", "IND", "Indian Institute of Technology Bombay", 7.1),
    ("P10", "Әлия Омарова", "F", "KAZ", _NU, 6.8),
    ("P11", "Чолпон Исакова", "F", "KGZ", _KNU, 7.6),
    ("P11", "Dewi Kartika Sari", "F", "IDN", _UGM, 7.0),
    ("P11", "Vikram Singh Rathore", "M", "IND", _JNU, 6.9),
    ("P12", "Асель Бекмуратова", "F", "KAZ", _KAZNU, 7.3),
    ("P12", "Budi Santoso", "M", "IDN", "Bandung Institute of Technology", 7.4),
    ("P12", "Тилек Мамытов", "M", "KGZ", _KNU, 6.1),
    ("P13", "محمد عبد الرحمن", "M", "EGY", "Cairo University", 8.5),
    ("P13", "يوسف الشريف", "M", "EGY", "Cairo University", 7.4),
    ("P13", "Wanjiru Kamau", "F", "KEN", _UON, 6.2),
    ("P13", "Chinedu Okafor", "M", "NGA", _UNILAG, 6.8),
    ("P14", "Mamadou Ndiaye", "M", "SEN", _UCAD, 8.4),
    ("P14", "Aïssatou Diop", "F", "SEN", _UCAD, 6.0),
    ("P14", "Jean-Baptiste Kouassi", "M", "CIV", _UFHB, 7.0),
    ("P14", "أمينة بنعلي", "F", "MAR", _UM5, 6.3),
    ("P15", "Oluwaseun Adeyemi", "M", "NGA", "University of Ibadan", 8.2),
    ("P15", "Ngozi Eze", "F", "NGA", _UNILAG, 6.4),
    ("P15", "Brian Otieno", "M", "KEN", "Kenyatta University", 6.9),
    ("P16", "فاطمة الزهراء العلوي", "F", "MAR", _UM5, 8.6),
    ("P16", "Awa Koné", "F", "CIV", _UFHB, 7.0),
    ("P16", "عمر حسن إبراهيم", "M", "SDN", _UOFK, 6.6),
    ("P17", "مريم عثمان", "F", "SDN", _UOFK, 7.7),
    ("P17", "Kevin Mwangi", "M", "KEN", _UON, 7.0),
    ("P17", "سارة محمود", "F", "EGY", "Ain Shams University", 6.5),
    ("P18", "Fatou Sow", "F", "SEN", "Université Gaston Berger", 7.4),
    ("P18", "Éric Yao Kouamé", "M", "CIV", _UFHB, 7.1),
    ("P18", "خالد المهدي", "M", "SDN", _UOFK, 6.3),
    ("P19", "Beatriz Gonçalves", "F", "BRA", _USP, 8.9),
    ("P19", "Luíza Araújo", "F", "BRA", _USP, 8.2),
    ("P19", "João Victor Conceição", "M", "BRA", _USP, 6.6),
    ("P19", "Sebastián Muñoz", "M", "CHL", "Pontificia Universidad Católica de Chile", 6.3),
    ("P20", 'María José "Majo" Fernández', "F", "MEX", _UNAM, 8.5),
    ("P20", "Andrés Ramírez Peña", "M", "MEX", _UNAM, 6.9),
    ("P20", "Valentina Quispe Mamani", "F", "PER", _PUCP, 7.1),
    ("P20", "Thiago Ferreira", "M", "BRA", _UFRJ, 6.4),
    ("P21", "Camila Echeverría", "F", "ARG", _UBA, 8.3),
    ("P21", "Martín Gutiérrez", "M", "ARG", _UBA, 6.6),
    ("P21", "Ximena Castillo", "F", "COL", _UNIANDES, 6.6),
    ("P22", "Santiago Restrepo", "M", "COL", _UNIANDES, 8.7),
    ("P22", "Isabela Nascimento", "F", "BRA", _UFRJ, 7.3),
    ("P22", "Diego Catrileo", "M", "CHL", _UCHILE, 6.5),
    ("P23", "Renata Villalobos", "F", "CHL", _UCHILE, 7.6),
    ("P23", "Luis Fernando Mejía", "M", "COL", "Universidad Nacional de Colombia", 7.2),
    ("P23", "Ana Lucía Paredes", "F", "PER", _UNMSM, 6.8),
    ("P24", "Gabriel Assunção", "M", "BRA", "Universidade de Brasília", 7.5),
    ("P24", "Florencia Benítez", "F", "ARG", "Universidad Nacional de Córdoba", 7.0),
    ("P24", "José Ángel Huamán", "M", "PER", _UNMSM, 6.6),
)
"""The 80 students in roster order; candidate ids are numbered in this order per group."""

NOT_ELIGIBLE: dict[str, str] = {
    "AS2-17": "could not renew his passport in time",
    "LA-01": "did not get her visa in time",
}
"""Candidate id -> why the candidate cannot travel (``eligible = false``)."""

PANELS: dict[str, tuple[str, ...]] = {"A": ("Asia I", "Africa"), "B": ("Asia II", "Latin America")}
"""Groups each jury panel hears; a juror on panel ``A+B`` hears all four."""


@dataclass(frozen=True)
class PlantedJuror:
    """One juror and the planted behaviour of their marks.

    A mark is ``6 + slope * (truth - 6) + severity + noise``, plus ``affinity`` when the
    target is a candidate from the juror's country or a project with such a member; it is
    rounded to ``step`` and clipped to the scale.
    """

    juror_id: str
    name: str
    country: str
    organisation: str
    university: str
    panel: str
    conflicts: tuple[str, ...] = ()
    severity: float = 0.0
    slope: float = 1.0
    step: float = 1.0
    affinity: float = 0.0


_MGIMO = "MGIMO University"
_HSE = "HSE University"
_FGV = "Fundação Getulio Vargas"
_TSINGHUA = "Tsinghua University"
_MINEC = "Ministry of Economic Development of the Russian Federation"

JURORS: tuple[PlantedJuror, ...] = (
    PlantedJuror("J1", "Ирина Соколова", "RUS", "Roscongress Foundation", "", "A", severity=-1.3),
    PlantedJuror("J2", "王丽华", "CHN", _TSINGHUA, _TSINGHUA, "A", severity=0.5, step=0.5),
    PlantedJuror("J3", "Алексей Морозов", "RUS", _MGIMO, _MGIMO, "A", ("P14",), severity=-0.8),
    PlantedJuror("J4", "Ольга Кузнецова", "RUS", _MINEC, "", "B", severity=1.1),
    PlantedJuror("J5", "Дмитрий Волков", "RUS", _HSE, _HSE, "B", ("AS2-13", "LA-06"), severity=0.2),
    PlantedJuror(
        "J6",
        "Гүлназ Сейітова",
        "KAZ",
        "Astana International Financial Centre",
        "",
        "B",
        severity=0.3,
        slope=0.4,
    ),
    PlantedJuror("J7", "Наталья Лебедева", "RUS", _RUDN, _RUDN, "A+B", step=0.5),
    PlantedJuror(
        "J8", "Ana Beatriz Carvalho", "BRA", _FGV, _FGV, "A+B", severity=0.6, affinity=1.5
    ),
)
"""The eight jurors: panel A (J1-J3), panel B (J4-J6), both panels (J7, J8)."""


# ---------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------


def _roster_frame() -> pd.DataFrame:
    """Return the candidates with their true pitch quality (``true_pitch``), in roster order."""
    counts: dict[str, int] = {}
    rows = []
    for project_id, name, gender, country, university, pitch in ROSTER:
        group = PROJECTS[project_id][0]
        counts[group] = counts.get(group, 0) + 1
        candidate_id = f"{GROUP_PREFIXES[group]}-{counts[group]:02d}"
        rows.append(
            {
                col.CANDIDATE_ID: candidate_id,
                col.NAME: name,
                col.GROUP: group,
                col.PROJECT: project_id,
                "gender": gender,
                "country": country,
                "university": university,
                col.ELIGIBLE: candidate_id not in NOT_ELIGIBLE,
                "true_pitch": pitch,
            }
        )
    return pd.DataFrame(rows)


def build_candidates() -> pd.DataFrame:
    """Return the candidates, sorted by ``candidate_id``.

    Columns: ``candidate_id, name, group, project, gender, country, university, eligible``.
    """
    roster = _roster_frame().drop(columns="true_pitch")
    return roster.sort_values(col.CANDIDATE_ID, ignore_index=True)


def build_jurors() -> pd.DataFrame:
    """Return the jurors, sorted by ``juror_id``.

    Columns: ``juror_id, name, country, organisation, university, panel, conflicts`` (ids
    separated by ``;``).
    """
    rows = [
        {
            col.JUROR_ID: j.juror_id,
            col.NAME: j.name,
            "country": j.country,
            "organisation": j.organisation,
            "university": j.university,
            "panel": j.panel,
            col.CONFLICTS: ";".join(j.conflicts),
        }
        for j in JURORS
    ]
    return pd.DataFrame(rows).sort_values(col.JUROR_ID, ignore_index=True)


def _true_marks(rng: np.random.Generator) -> dict[tuple[str, str], float]:
    """Return the true mark of every (target_id, criterion).

    A project's true mark on a project-level criterion is its quality plus a seeded
    per-criterion profile; a candidate's true pitch mark is fixed in :data:`ROSTER`.
    """
    truth: dict[tuple[str, str], float] = {}
    project_criteria = [c.name for c in CRITERIA if c.level == "project"]
    for project_id, (_, quality) in sorted(PROJECTS.items()):
        profile = rng.normal(0.0, _PROFILE_SD, size=len(project_criteria))
        for criterion, offset in zip(project_criteria, profile, strict=True):
            truth[(project_id, criterion)] = quality + float(offset)
    roster = _roster_frame().sort_values(col.CANDIDATE_ID)
    for candidate_id, pitch in zip(roster[col.CANDIDATE_ID], roster["true_pitch"], strict=True):
        for criterion in (c.name for c in CRITERIA if c.level == "candidate"):
            truth[(candidate_id, criterion)] = float(pitch)
    return truth


def _round_to(value: float, step: float) -> float:
    """Round half up to a multiple of ``step`` and clip to the scale."""
    rounded = np.floor(value / step + 0.5) * step
    return float(np.clip(rounded, *_SCALE))


def build_scores(*, seed: int = SEED) -> pd.DataFrame:
    """Return the jury's marks in long form, sorted by juror, target and criterion.

    Each juror marks every project (project-level criteria) and every candidate (pitch) of
    the groups their panel hears, except the targets they declared a conflict with. Noise is
    drawn from ``numpy.random.default_rng(seed)`` in the sorted row order.

    Columns: ``juror_id, target_id, criterion, score`` (float64).
    """
    rng = np.random.default_rng(seed)
    truth = _true_marks(rng)
    candidates = build_candidates()
    countries_of = {
        c: {country}
        for c, country in zip(candidates[col.CANDIDATE_ID], candidates["country"], strict=True)
    }
    for project_id, members in candidates.groupby(col.PROJECT)["country"]:
        countries_of[str(project_id)] = set(members)
    group_of = dict(zip(candidates[col.CANDIDATE_ID], candidates[col.GROUP], strict=True))
    group_of.update({p: g for p, (g, _) in PROJECTS.items()})
    order = {c.name: i for i, c in enumerate(CRITERIA)}
    rows: list[tuple[str, str, str, float]] = []
    for juror in sorted(JURORS, key=lambda j: j.juror_id):
        heard = {g for panel in juror.panel.split("+") for g in PANELS[panel]}
        keys = sorted(
            (k for k in truth if group_of[k[0]] in heard),
            key=lambda k: (k[0], order[k[1]]),
        )
        for target_id, criterion in keys:
            if target_id in juror.conflicts:
                continue
            value = 6.0 + juror.slope * (truth[(target_id, criterion)] - 6.0) + juror.severity
            if juror.country in countries_of[target_id]:
                value += juror.affinity
            value += juror.slope * float(rng.normal(0.0, _NOISE_SD))
            rows.append((juror.juror_id, target_id, criterion, _round_to(value, juror.step)))
    return pd.DataFrame(rows, columns=list(col.LONG_SCORE_COLUMNS)).astype({col.SCORE: "float64"})


# ---------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------


def _format_mark(score: float, *, decimal: str = ".") -> str:
    """Write a mark as ``7`` or ``7.5`` (with ``decimal`` as the decimal separator)."""
    text = str(int(score)) if float(score).is_integer() else f"{score:.1f}"
    return text.replace(".", decimal)


def _cell_text(value: object, *, decimal: str = ".") -> str:
    """Write a frame value as CSV text: booleans as ``true``/``false``, marks as ``7``/``7.5``."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return _format_mark(float(value), decimal=decimal)
    return str(value)


def _write_csv(
    path: Path,
    frame: pd.DataFrame,
    *,
    delimiter: str = ",",
    decimal: str = ".",
    encoding: str = "utf-8",
    lineterminator: str = "\n",
) -> None:
    """Write ``frame`` as CSV with full control of separators, encoding and line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow(_cell_text(v, decimal=decimal) for v in row)
    path.write_bytes(buffer.getvalue().encode(encoding))


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 with ``\\n`` line endings on every platform."""
    path.write_bytes(text.encode("utf-8"))


def _save_workbook(workbook: Workbook, path: Path) -> None:
    """Save ``workbook`` so that the same content always gives the same bytes.

    ``openpyxl.Workbook.save`` stamps the current time into ``docProps/core.xml`` and the zip
    members, so the workbook is written with :class:`openpyxl.writer.excel.ExcelWriter`
    (which keeps the fixed properties) and re-packed with fixed member timestamps.
    """
    workbook.properties.creator = "pitch-jury"
    workbook.properties.lastModifiedBy = "pitch-jury"
    workbook.properties.created = _FIXED_TIME
    workbook.properties.modified = _FIXED_TIME
    raw = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    packed = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as source,
        zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(member.filename))
    path.write_bytes(packed.getvalue())


def _xlsx_value(value: object) -> object:
    """Return a frame value as a cell: marks as numbers, missing as empty, booleans as text."""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, bool | np.bool_):
        return _cell_text(value)
    return value


def _add_sheet(
    workbook: Workbook, title: str, frame: pd.DataFrame, *, title_rows: Sequence[str] = ()
) -> None:
    """Add a sheet holding ``title_rows`` (one text cell each), then ``frame`` with its header.

    Marks are stored as numbers (``int`` when whole), missing values as empty cells.
    """
    sheet = workbook.create_sheet(title)
    for line in title_rows:
        sheet.append([line or None])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([_xlsx_value(value) for value in row])


def _instruction_workbook(title: str, lines: Sequence[str]) -> Workbook:
    """Return a workbook whose first (only) sheet ``title`` holds ``lines`` in column A."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for line in lines:
        sheet.append([line or None])
    sheet.column_dimensions["A"].width = 110
    return workbook


def _toml_with_scores(text: str, scores: str, comment: str) -> str:
    """Return ``text`` with its ``scores = ...`` line pointing at ``scores``."""
    lines = [
        f'scores = "{scores}"{" " * max(1, 24 - len(scores))}# {comment}'
        if line.startswith("scores = ")
        else line
        for line in text.splitlines()
    ]
    return "\n".join(lines) + "\n"


def _criteria_toml(criteria: Sequence[Criterion], scale: tuple[float, float]) -> str:
    """Return the ``[[criteria]]`` tables for ``criteria``, each with its label as a comment."""
    blocks = []
    for c in criteria:
        blocks.append(
            f"# {c.label}\n"
            "[[criteria]]\n"
            f'name = "{c.name}"\n'
            f"weight = {c.weight}\n"
            f"min = {scale[0]:g}\n"
            f"max = {scale[1]:g}\n"
            f'level = "{c.level}"\n'
            f'label = "{c.label}"\n'
        )
    return "\n".join(blocks)


# ---------------------------------------------------------------------------------------
# The example event
# ---------------------------------------------------------------------------------------

_EXAMPLE_TOML = """\
# The example pitch session of pitch-jury: International Knowledge Sharing Week 2019.
# Пример: питч-сессия Международной недели обмена знаниями 2019.
# Check it with:   pitch-jury check examples/event
# Every key is explained below; `pitch-jury init DIR` writes a template with all options.

[event]
# Name shown on every report.
name = "IKSW 2019 pitch session"
# The files, relative to this event.toml. Candidates: one row per student.
candidates = "candidates.csv"
# The jury's marks, one row per mark: juror_id, target_id, criterion, score.
scores = "scores.csv"            # the same marks: scores_ru.csv, scores.xlsx
# Jurors: panel, country, university and declared conflicts.
jurors = "jurors.csv"
# Cell values that mean "not scored" (не оценивал/не явился); read as missing with a warning.
not_scored = ["н/я", "N/A", "-"]

# The five criteria. Weights sum to exactly 1 (a number or a percentage such as "25%").
# level = "project": one mark per project, counted for every member of the team.
# level = "candidate": a mark for the candidate's own pitch.

{criteria}
[scoring]
# "additive": fit every juror's severity from all marks at once, which is fair here because
# the two panels heard different groups (only J7 and J8 heard everyone).
method = "additive"
# How the calibrated marks of one target are combined: mean, median or trimmed.
aggregate = "mean"
# A juror's mark is excluded when the juror shares this attribute with the target
# (J7 teaches at RUDN University, where candidate AS1-16 studies).
conflicts = ["university"]

[diagnostics]
# Check whether jurors mark candidates from their own country higher.
affinity = ["country"]

[selection]
# Representatives per group who go on to the Roscongress events.
per_group = 3
# Seed for tie-breaks, so the same inputs always give the same selection.
seed = 2019
# The solver: "auto" (the decomposition by groups when the event fits it, else
# HiGHS), or the integer programme with "highs" (bundled) or "cbc".
solver = "auto"

# The rules. Each has a name shown in the reports.

[[selection.constraints]]
# At least one woman among the three representatives of every group.
name = "woman in every group"
kind = "at_least"
attribute = "gender"
value = "F"
count = 1
scope = "group"

[[selection.constraints]]
# At least one man among the three representatives of every group.
name = "man in every group"
kind = "at_least"
attribute = "gender"
value = "M"
count = 1
scope = "group"

[[selection.constraints]]
# At most one representative per project, so three different projects are presented.
name = "one per project"
kind = "max_per"
attribute = "project"
count = 1
scope = "group"

[[selection.constraints]]
# At most two representatives of the same country in a group.
name = "two per country"
kind = "max_per"
attribute = "country"
count = 2
scope = "group"

[[selection.constraints]]
# At least 45% women in the whole delegation (6 of the 12 representatives).
name = "45% women overall"
kind = "at_least"
attribute = "gender"
value = "F"
share = 0.45
scope = "all"
"""

_EXAMPLE_WHAT_IF = """\
# A what-if for the example event: what if the country rule were dropped, juror J8 (whose
# marks favour Brazil) were left out and AF-01 could not travel?
# Что если: без правила о странах, без оценок J8 и без AF-01?
# Run it with:   pitch-jury run examples/event --what-if examples/event/what_if.toml
# In Python:     run_what_if(event, load_what_if("examples/event/what_if.toml"))

# Name shown in the report.
name = "no country rule, without J8, AF-01 withdrawn"

# Jurors whose marks are removed before scoring.
exclude_jurors = ["J8"]

# Candidates who cannot travel: they become ineligible.
withdraw = ["AF-01"]

# Or: the delegation was announced and AF-01 withdrew. With keep_delegation = true everyone
# else stays (as far as the rules allow) and only AF-01's seat changes: the question the
# named reserves answer (it needs withdraw).
# keep_delegation = true

# Rules removed, by their name in event.toml.
remove_rules = ["two per country"]

# Rules can also be added, with the keys of [[selection.constraints]]:
# [[add_rules]]
# name = "a Brazilian in the delegation"
# kind = "at_least"
# attribute = "country"
# value = "BRA"
# count = 1
# scope = "all"

# And [selection] settings replaced (per_group, seats, seed):
# [selection]
# seed = 7
"""

_EXAMPLE_README = """\
# Example event: IKSW 2019 pitch session

A realistic, synthetic pitch session of International Knowledge Sharing Week. Student groups
from Asia, Africa and Latin America came to Moscow, prepared cooperation projects on
sustainable development and pitched them to a jury; three representatives per group go on
to present their projects at Roscongress events. All people are invented. Every file in this
folder is written by `examples/make_example_event.py` (seed {seed}); re-running it
reproduces them byte for byte.

Try it:

    pitch-jury check examples/event                  # or event_ru.toml, event_xlsx.toml
    pitch-jury run examples/event --out results
    pitch-jury demo --out results                    # the same event, from the installed package

## Files

- `event.toml`: the configuration, every key commented for a secretary.
- `event_ru.toml`, `event_xlsx.toml`: identical, except that `scores` points at
  `scores_ru.csv` / `scores.xlsx`, so the same event can be checked from each format.
- `candidates.csv`: {n_candidates} candidates (UTF-8): `candidate_id, name, group, project,
  gender, country, university, eligible`.
- `jurors.csv`: {n_jurors} jurors (UTF-8): `juror_id, name, country, organisation,
  university, panel, conflicts`.
- `scores.csv`: {n_marks} marks in long form (UTF-8, comma): `juror_id, target_id,
  criterion, score`. Project-level criteria are marked with the project id as `target_id`,
  the pitch with the candidate id. Every row is a number; {n_half} marks are half points.
- `scores_ru.csv`: the same marks as a Russian-locale Excel saves them: cp1251, `;` as the
  separator, decimal comma (`7,5`), CRLF line endings, the same headers. (Ids, criteria and
  marks are plain ASCII, so here the separator and the decimal comma are what differ.)
- `scores.xlsx`: the same marks. The first sheet, `Инструкция`, holds instructions in
  Russian and English; the second, `Оценки`, has two title rows and a blank row above the
  header (the header is on row 4); marks are stored as numbers.
- `what_if.toml`: a what-if scenario for `pitch-jury run examples/event --what-if
  examples/event/what_if.toml`: without the rule "two per country", without juror J8's
  marks and with AF-01 withdrawn (see "What if" below).

The three score files load to the identical table. Names are written in Latin with accents
(Spanish, Portuguese, French, Vietnamese), Cyrillic (Kazakh, Kyrgyz, Mongolian, and the
Russian jurors), Arabic (Egypt, Morocco, Sudan) and Chinese characters. One name contains
double quotes and two university names contain a comma, so CSV quoting is exercised.

## Design

- **Groups.** Asia I (China, Mongolia, Vietnam), Asia II (Kazakhstan, Kyrgyzstan, India,
  Indonesia), Africa (Egypt, Morocco, Sudan, Senegal, Côte d'Ivoire, Nigeria, Kenya) and
  Latin America (Brazil, Mexico, Argentina, Colombia, Chile, Peru): 20 students each, in
  six projects of three or four students (P01-P06, P07-P12, P13-P18, P19-P24).
- **Criteria**, all on a 1-10 scale: relevance to the sustainable development goals 25%,
  feasibility 20%, innovation 20%, potential for cooperation 15% (project-level: the mark
  of the project counts for each member) and pitch quality 20% (candidate-level).
- **Two panels, an incomplete design.** Panel A (J1, J2, J3) heard Asia I and Africa;
  panel B (J4, J5, J6) heard Asia II and Latin America; J7 and J8 sat on both panels and
  heard everyone. They link the panels, so juror severities can be estimated on one scale.
- **Planted juror behaviour**, on top of noise with a standard deviation of {noise} points:

{juror_list}

  J2 (China) and J6 (Kazakhstan) also marked compatriots, without a planted bias: the
  affinity audit should flag J8 only.
- **Declared conflicts** (`jurors.csv`, column `conflicts`): J3 mentored project P14
  during the week, and J5 supervised the internships of AS2-13 and LA-06 at HSE. They left
  those targets unmarked: J3 gave P14 no project marks, J5 gave AS2-13 and LA-06 no pitch
  mark. A conflict with a project also covers its members, and one with a candidate also
  covers the candidate's project, so pitch-jury excludes 12 marks: J3's pitch marks for
  the four members of P14 (AF-05 to AF-08) and J5's marks on P10 and P20 (four criteria
  each).
- **Attribute conflicts** (`conflicts = ["university"]` in `event.toml`): J7 teaches at
  RUDN University, where AS1-16 (Hoàng Văn Nam, project P05) studies. The rule excludes
  J7's 5 marks on him and on his project (his pitch and P05's four criteria).
- **Strict juror missing.** J3, a strict juror, gave P14 no project marks, so P14's raw
  means flatter it a little; the additive calibration corrects for that.
- **Eligibility.** Two candidates cannot travel and are `eligible = false`:

{not_eligible}

  LA-01 has the best pitch of the session, so she would otherwise be a representative. Every
  group keeps at least 19 eligible candidates.

## Which rules bind

With the raw mean marks as a proxy for merit (the weighted sum of the per-criterion means,
a project's means counting for each of its members), the rules change the best choice as
follows. `tests/test_example_event.py` checks each claim by enumerating every possible
delegation.

- **one per project** binds in every group: the project marks weigh 80%, so the members of
  the best project lead each group.
- **two per country** binds in Asia I: the best three from different projects (AS1-01,
  AS1-05, AS1-09 from P01, P02, P03) are all Chinese.
- **woman in every group** binds in Africa: the best three are men (AF-01, AF-05, AF-09).
- **man in every group** binds in Latin America: the best three eligible candidates are
  women (LA-02, LA-05, LA-09).
- **45% women overall** binds across groups: the per-group rules alone give five women among
  the twelve representatives and the rule needs six. The cheapest sixth woman is AS2-06
  (Ananya Iyer) in place of AS2-05 (Arjun Mehta), both of project P08 in Asia II.
- In Asia II no per-group rule other than one per project binds.

Under all rules the proxy selects AS1-01, AS1-05, AS1-12 (Asia I); AS2-01, AS2-06, AS2-09
(Asia II); AF-01, AF-05, AF-10 (Africa); LA-02, LA-06, LA-09 (Latin America): six women, at
most two per country and one per project in every group. pitch-jury, with the additive
calibration of `event.toml`, reaches the same selection: within a group every candidate was
heard by the same jurors (apart from the conflicts above), so their severities largely
cancel.

## What if

`what_if.toml` drops the rule "two per country", leaves out juror J8's marks and withdraws
AF-01 (`pitch-jury run examples/event --what-if examples/event/what_if.toml`). The
delegation changes in two places:

- **Africa**: AF-01 leaves (withdrawn) and his named reserve AF-02, of the same project P13,
  takes the seat.
- **Asia I**: without the country rule, AS1-09 (project P03, China) replaces AS1-12
  (project P04, Mongolia), who was there only because the rule allowed no third Chinese
  representative; Asia I is now AS1-01, AS1-05 and AS1-09, the best three from different
  projects, as "Which rules bind" says.

Leaving out J8 alone changes no representative: every merit moves a little (J8 heard
everyone), but nobody crosses a group's cut-off. `tests/test_whatif.py` checks these claims.

## Byte stability

CSV and TOML files are written with fixed line endings and number formats. The XLSX file is
written with fixed workbook properties (created and modified {fixed_time}) and fixed zip
member timestamps, so re-running the script gives the same bytes with the same openpyxl and
zlib. Another openpyxl version may write slightly different XML, and another zlib may
compress differently; the tests therefore compare the cell values and the uncompressed XML.
"""

_XLSX_INSTRUCTIONS: tuple[str, ...] = (
    "Инструкция для членов жюри / Instructions for jurors",
    "",
    "1. Оценки вводятся на листе «Оценки», по одной строке на оценку.",
    "   Enter marks on the sheet 'Оценки' (Scores), one row per mark.",
    "2. juror_id — ваш номер (J1…J8); target_id — проект (P01…P24) или участник (AS1-01…).",
    "   juror_id is your id (J1...J8); target_id is a project (P01...P24) "
    "or a candidate (AS1-01...).",
    "3. relevance, feasibility, innovation, cooperation — оценки проекта; "
    "pitch — оценка участника.",
    "   relevance, feasibility, innovation, cooperation score the project; "
    "pitch scores the candidate.",
    "4. Шкала от 1 до 10, допускаются половинки (7,5).",
    "   Scale 1 to 10; half points (7.5) are allowed.",
    "5. Не оценивайте проекты и участников, с которыми у вас конфликт интересов.",
    "   Do not score projects or candidates you have a conflict of interest with.",
    "6. Не меняйте заголовки столбцов и названия критериев.",
    "   Do not change the column headers or the criterion names.",
)

_XLSX_TITLE_ROWS: tuple[str, ...] = (
    "IKSW 2019 — питч-сессия: оценки жюри / pitch session: jury scores",
    "Москва, октябрь 2019 / Moscow, October 2019",
    "",
)


def _bullet(text: str, *, indent: int = 0) -> str:
    """Return ``text`` as a Markdown list item wrapped at 92 characters."""
    pad = " " * indent
    return textwrap.fill(text, width=92, initial_indent=f"{pad}- ", subsequent_indent=f"{pad}  ")


def _juror_list(scores: pd.DataFrame) -> str:
    """Return the README's Markdown list of each juror's planted behaviour."""
    lines = []
    for j in JURORS:
        traits = []
        if abs(j.severity) >= 0.5:
            traits.append(f"{'strict' if j.severity < 0 else 'lenient'} ({j.severity:+.1f})")
        if j.slope != 1.0:
            marks = scores.loc[scores[col.JUROR_ID] == j.juror_id, col.SCORE]
            traits.append(
                f"compressed scale (slope {j.slope:g}): marks only from "
                f"{_format_mark(marks.min())} to {_format_mark(marks.max())}"
            )
        if j.step != 1.0:
            traits.append("gives half points")
        if j.affinity:
            traits.append(
                f"{j.affinity:+.1f} for candidates from {j.country} and their projects "
                "(planted affinity bias)"
            )
        text = f"{j.juror_id}, {j.name} ({j.country}, {j.organisation}), panel {j.panel}: "
        lines.append(_bullet(text + (", ".join(traits) or "about neutral") + ".", indent=2))
    return "\n".join(lines)


def _not_eligible_list(candidates: pd.DataFrame) -> str:
    """Return the README's Markdown list of the candidates who cannot travel."""
    name_of = dict(zip(candidates[col.CANDIDATE_ID], candidates[col.NAME], strict=True))
    return "\n".join(
        _bullet(f"{candidate_id} ({name_of[candidate_id]}) {reason}.", indent=2)
        for candidate_id, reason in sorted(NOT_ELIGIBLE.items())
    )


def write_example_event(out_dir: Path = EXAMPLE_DIR, *, seed: int = SEED) -> list[Path]:
    """Write the example event's files (:data:`EXAMPLE_FILES`) into ``out_dir``.

    Returns the written paths, sorted.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    candidates = build_candidates()
    jurors = build_jurors()
    scores = build_scores(seed=seed)

    _write_csv(out_dir / "candidates.csv", candidates)
    _write_csv(out_dir / "jurors.csv", jurors)
    _write_csv(out_dir / "scores.csv", scores)
    _write_csv(
        out_dir / "scores_ru.csv",
        scores,
        delimiter=";",
        decimal=",",
        encoding="cp1251",
        lineterminator="\r\n",
    )
    workbook = _instruction_workbook("Инструкция", _XLSX_INSTRUCTIONS)
    _add_sheet(workbook, "Оценки", scores, title_rows=_XLSX_TITLE_ROWS)
    _save_workbook(workbook, out_dir / "scores.xlsx")

    toml = _EXAMPLE_TOML.replace("{criteria}", _criteria_toml(CRITERIA, _SCALE))
    _write_text(out_dir / "event.toml", toml)
    _write_text(
        out_dir / "event_ru.toml",
        _toml_with_scores(toml, "scores_ru.csv", "Russian Excel CSV: cp1251, ';', 7,5"),
    )
    _write_text(
        out_dir / "event_xlsx.toml",
        _toml_with_scores(toml, "scores.xlsx", "XLSX: instructions first, header on row 4"),
    )

    readme = _EXAMPLE_README.format(
        seed=seed,
        n_candidates=len(candidates),
        n_jurors=len(jurors),
        n_marks=len(scores),
        n_half=int((scores[col.SCORE] % 1 != 0).sum()),
        noise=_NOISE_SD,
        juror_list=_juror_list(scores),
        not_eligible=_not_eligible_list(candidates),
        fixed_time=_FIXED_TIME.isoformat(sep=" "),
    )
    _write_text(out_dir / "README.md", readme)
    _write_text(out_dir / "what_if.toml", _EXAMPLE_WHAT_IF)
    return sorted(out_dir / name for name in EXAMPLE_FILES)


# ---------------------------------------------------------------------------------------
# The init templates
# ---------------------------------------------------------------------------------------

_TEMPLATE_CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "impact", '"60%"', "project", "Impact of the project on the sustainable development goals"
    ),
    Criterion("pitch", "0.4", "candidate", "Quality of the candidate's own pitch"),
)

_TEMPLATE_CANDIDATES: tuple[tuple[str, str, str, str, str, str, bool], ...] = (
    # candidate_id, name, group, project, gender, country, eligible
    ("A-01", "Ana Silva", "Group A", "PA1", "F", "BRA", True),
    ("A-02", "Kwame Mensah", "Group A", "PA1", "M", "GHA", True),
    ("A-03", "Li Na", "Group A", "PA2", "F", "CHN", True),
    ("A-04", "Arjun Rao", "Group A", "PA3", "M", "IND", True),
    ("B-01", "Amina Yusuf", "Group B", "PB1", "F", "NGA", True),
    ("B-02", "Diego Torres", "Group B", "PB2", "M", "MEX", True),
    ("B-03", "Nguyễn Văn An", "Group B", "PB3", "M", "VNM", True),
)

_TEMPLATE_JURORS: tuple[tuple[str, str, str, str, str], ...] = (
    # juror_id, name, country, organisation, conflicts
    ("J1", "Juror One / Член жюри 1", "RUS", "Organiser", ""),
    ("J2", "Juror Two / Член жюри 2", "RUS", "Partner university", ""),
)

_TEMPLATE_MARKS: dict[str, tuple[float, ...]] = {
    # juror_id -> marks in target order PA1, PA2, PA3, PB1, PB2, PB3 (impact), then the
    # candidates A-01 ... B-03 (pitch)
    "J1": (8, 6, 7, 7, 9, 5, 8, 6, 7, 9, 6, 8, 7),
    "J2": (7, 6.5, 8, 6, 8, 5, 9, 7, 6, 8, 7, 7, 6.5),
}

_TEMPLATE_TOML = """\
# pitch-jury event file. Edit it, then run in this folder:
#     pitch-jury check .                  (finds every problem in the files)
#     pitch-jury run . --out results      (scores, selects and writes the reports)
# Файл настроек питч-сессии. Отредактируйте его и запустите в этой папке: pitch-jury check .
#
# Lines starting with # are comments (комментарии). Keys that are commented out show their
# default value: remove the # to change them. `pitch-jury schema` prints every key.

[event]
# Name of the pitch session, shown on the reports. / Название мероприятия.
name = "My pitch session"
# The files, relative to this event.toml: csv, tsv, txt or xlsx. / Файлы рядом с этим файлом.
# candidates: candidate_id, name, group, project (optional), eligible (optional, true/false)
# and any attribute columns you want rules on (gender, country, university, ...).
# Участники: номер, имя, группа, проект, допуск и любые атрибуты (пол, страна, вуз).
candidates = "candidates.csv"
# scores: long form (juror_id, target_id, criterion, score: one row per mark) or wide form
# (juror_id, target_id, one column per criterion). template.xlsx shows the wide form.
# Оценки: по одной строке на оценку или по столбцу на критерий (см. template.xlsx).
scores = "scores.csv"
# jurors (optional): juror_id, name, attributes (country, organisation, university, ...) and
# conflicts: candidate, project or group ids separated by ";".
# Жюри: номер, имя, атрибуты, конфликты интересов (номера через ";").
jurors = "jurors.csv"
# In a workbook, the sheet to read for each file; by default the sheet with the expected
# headers is found (an error when several sheets have them). / Лист книги Excel.
# candidates_sheet = "Candidates"
# scores_sheet = "Scores"
# jurors_sheet = "Jurors"
# Cell values that mean "not scored"; read as missing with a warning. / «Не оценивал».
# not_scored = ["н/я", "N/A", "-"]
# true: divide the weights by their sum instead of requiring them to sum to 1.
# Нормировать веса, если их сумма не равна 1.
# normalise_weights = false

# Criteria / Критерии. One [[criteria]] table per criterion.
#   name   exactly as written in the score sheet / как в листе оценок
#   weight a number or a percentage such as "25%"; weights sum to 1 / вес, сумма весов 1
#   min, max  the scale / шкала
#   level  "project": one mark per project, counted for every member / оценка проекта;
#          "candidate": a mark for the candidate / оценка участника (default)
#   label  a longer name for the reports (optional) / полное название

{criteria}
[scoring]
# How juror severity is removed / Как учитывается строгость членов жюри:
#   "raw" (no change), "zscore", "minmax", "rank", "robust" (per juror),
#   "additive" (a juror-severity model fitted on all marks; right when jurors heard
#   different candidates), "additive_scale" (also each juror's use of the scale).
method = "additive"
# Combine the marks of one target: "mean", "median" or "trimmed". / Среднее, медиана.
aggregate = "mean"
# Marks dropped at each end by "trimmed". / Сколько крайних оценок отбросить.
# trim = 1
# Round panel scores to this many decimals (default: no rounding). / Округление.
# decimals = 2
# Flag targets with fewer jurors than this. / Минимум оценок на участника.
# min_jurors = 2
# Exclude a mark when the juror shares one of these attributes with the target.
# Исключать оценку, если у члена жюри и участника совпадает атрибут (например, вуз).
# conflicts = ["university"]
# Ridge penalty on juror offsets in the additive model. / Регуляризация модели.
# ridge = 0.1
# Only for method = "bayes": the hierarchical model's sampler (chains, draws, warm-up).
# Только для method = "bayes": параметры байесовской модели.
# bayes = { n_chains = 4, n_draws = 1000, n_warmup = 500 }

[diagnostics]
# Check whether jurors favour candidates who share these attributes.
# Проверка предвзятости: оценивают ли члены жюри «своих» выше.
affinity = ["country"]
# Flag a mark this many scale points away from the rest of the panel. / Выбросы.
# outlier_threshold = 2.5

# [aliases]
# Other spellings of a group, project, criterion or id, each mapped to the one used.
# Values that differ only in case, spaces or look-alike letters (Latin "A", Cyrillic "А")
# are an error unless declared here; an alias must map to a value in use.
# Другие написания групп, проектов, критериев и номеров: «написание» = «как правильно».
# group = { "group a" = "Group A" }
# project = { "pa1" = "PA1" }
# criterion = { "Выступление" = "pitch" }
# candidate_id = { "a-1" = "A-01" }
# juror_id = { "j1" = "J1" }

# [attributes.gender]
# The values an attribute may take: any other value is an error (without this, values
# that look like a rule's value, or a rule's value that is rare, are warnings).
# Допустимые значения атрибута; другие значения — ошибка.
# values = ["F", "M"]
# Other spellings of a value, read as the value. / Другие написания значения.
# aliases = { "Ж" = "F", "f" = "F", "М" = "M", "m" = "M" }

# [stability]
# How stable is the delegation if the jury had been slightly different? Rerun with
# each panel's jurors resampled (bootstrap) and without each juror in turn.
# Устойчивость отбора: повторный расчёт при случайной замене членов жюри.
# resamples = 1000
# leave_one_out = true
# core = 0.9
# seed = 2019

[selection]
# Representatives per group. / Сколько представителей от группы.
per_group = 3
# Different numbers for some groups. / Другое число мест для отдельных групп.
# seats = { "Group B" = 2 }
# Seed for tie-breaks, recorded in the audit file. / Зерно для разрешения ничьих.
seed = 2019
# Solver: "auto", "highs" or "cbc". / Решатель.
# solver = "auto"
# Solver time limit in seconds. / Ограничение времени.
# time_limit = 60.0
# Most tied optimal delegations to list. / Сколько равноценных вариантов показать.
# max_ties = 20
# Solve again with the other solver; stop if they disagree (recorded in the audit).
# Перепроверить другим решателем; при расхождении — остановка.
# cross_check = false
# "grey-zone": seats not settled by the 50% rank intervals are drawn by seeded lot
# among the candidates around the cut-off, under every rule.
# «grey-zone»: места в «серой зоне» у границы отбора разыгрываются жребием.
# lottery = "none"

# Rules / Правила отбора. One [[selection.constraints]] table per rule; its keys:
#   kind       "at_least" / "at_most": a `count` (or a `share` of the seats) of
#              representatives with `attribute` = `value` (or one of `values`);
#              "at_least_each": at least `count` (default 1) with each of `values`;
#              "max_per": at most `count` representatives per value of `attribute`;
#              "distinct": at least `min` different values of `attribute`;
#              "require" / "exclude": candidate `ids` who must / must not be selected;
#              "min_merit": nobody with merit below `merit`.
#              Виды правил: не менее / не более, не менее N для каждого значения,
#              не более N на значение, разнообразие,
#              обязательные / исключённые участники, минимальный балл.
#   name       short name shown in the reports / название правила
#   scope      "group": in every group (default); "all": the whole delegation
#              в каждой группе или во всей делегации
#   groups     only in these groups, e.g. ["Group A"] / только для этих групп
#   if_available  at_least, at_least_each, distinct: true lowers the minimum to what the
#              candidates allow
#              если кандидатов не хватает, правило смягчается
#   soft       true: the rule may be bent, either by `priority` (higher is kept first) or
#              at a `penalty` in merit per bend / мягкое правило
#   Values are compared as text; a missing value never counts. / Сравнение как текст.

[[selection.constraints]]
# At least one woman per group. / Не менее одной девушки в каждой группе.
name = "woman in every group"
kind = "at_least"
attribute = "gender"
value = "F"
count = 1
scope = "group"

[[selection.constraints]]
# At most one representative per project. / Не более одного человека от проекта.
name = "one per project"
kind = "max_per"
attribute = "project"
count = 1

# More examples (remove the # to use) / Ещё примеры:
# [[selection.constraints]]
# name = "two per country"
# kind = "max_per"
# attribute = "country"
# count = 2
#
# [[selection.constraints]]
# name = "40% women overall"
# kind = "at_least"
# attribute = "gender"
# value = "F"
# share = 0.4
# scope = "all"
#
# [[selection.constraints]]
# name = "every partner country"
# kind = "at_least_each"
# attribute = "country"
# values = ["BRA", "MEX", "COL"]
# scope = "all"
#
# [[selection.constraints]]
# name = "confirmed speaker"
# kind = "require"
# ids = ["A-01"]
"""

_TEMPLATE_INSTRUCTIONS: tuple[str, ...] = (
    "pitch-jury template / Шаблон pitch-jury",
    "",
    "Sheets / Листы:",
    "  Candidates — one row per candidate: candidate_id, name, group, project, gender, "
    "country, eligible (true/false).",
    "  Участники — по строке на участника: номер, имя, группа, проект, пол, страна, допуск.",
    "  Jurors — juror_id, name, attributes, conflicts (ids separated by ';').",
    "  Жюри — номер, имя, атрибуты, конфликты интересов (номера через ';').",
    "  Scores — one row per juror and target (a project id or a candidate id), one column "
    "per criterion; leave a cell empty when the criterion does not apply.",
    "  Оценки — по строке на пару «член жюри — проект/участник», по столбцу на критерий; "
    "пустая ячейка — не оценивается.",
    "",
    'Use it: in event.toml set candidates = "template.xlsx", scores = "template.xlsx", '
    'jurors = "template.xlsx".',
    "Как использовать: укажите template.xlsx в event.toml вместо csv-файлов.",
    "Do not rename the column headers. / Не меняйте заголовки столбцов.",
)


def _template_candidates() -> pd.DataFrame:
    """Return the template's candidates (two groups, three projects each)."""
    fixed = [col.CANDIDATE_ID, col.NAME, col.GROUP, col.PROJECT]
    columns = [*fixed, "gender", "country", col.ELIGIBLE]
    return pd.DataFrame(list(_TEMPLATE_CANDIDATES), columns=columns)


def _template_jurors() -> pd.DataFrame:
    """Return the template's two jurors."""
    columns = [col.JUROR_ID, col.NAME, "country", "organisation", col.CONFLICTS]
    return pd.DataFrame(list(_TEMPLATE_JURORS), columns=columns)


def _template_scores() -> pd.DataFrame:
    """Return the template's marks in long form: per juror, the projects, then the candidates."""
    candidates = _template_candidates()
    projects = sorted(candidates[col.PROJECT].unique())
    targets = [
        (target_id, c.name)
        for c in _TEMPLATE_CRITERIA
        for target_id in (projects if c.level == "project" else candidates[col.CANDIDATE_ID])
    ]
    rows = [
        (juror_id, target_id, criterion, float(mark))
        for juror_id, marks in sorted(_TEMPLATE_MARKS.items())
        for (target_id, criterion), mark in zip(targets, marks, strict=True)
    ]
    return pd.DataFrame(rows, columns=list(col.LONG_SCORE_COLUMNS))


def _wide(scores: pd.DataFrame, criteria: Sequence[Criterion]) -> pd.DataFrame:
    """Return long-form ``scores`` in wide form: juror_id, target_id, one column per criterion."""
    keys = [col.JUROR_ID, col.TARGET_ID]
    wide = scores.pivot(index=keys, columns=col.CRITERION, values=col.SCORE)
    wide = wide.reindex(columns=[c.name for c in criteria]).reset_index()
    wide.columns.name = None
    return wide


def write_templates(out_dir: Path = TEMPLATE_DIR) -> list[Path]:
    """Write the ``pitch-jury init`` template files (:data:`TEMPLATE_FILES`) into ``out_dir``.

    Returns the written paths, sorted.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    candidates = _template_candidates()
    jurors = _template_jurors()
    scores = _template_scores()
    _write_csv(out_dir / "candidates.csv", candidates)
    _write_csv(out_dir / "jurors.csv", jurors)
    _write_csv(out_dir / "scores.csv", scores)
    toml = _TEMPLATE_TOML.replace("{criteria}", _criteria_toml(_TEMPLATE_CRITERIA, _SCALE))
    _write_text(out_dir / "event.toml", toml)

    workbook = _instruction_workbook("Instructions", _TEMPLATE_INSTRUCTIONS)
    _add_sheet(workbook, "Candidates", candidates)
    # Jurors before Scores: a reader takes the first sheet with the columns it needs, and
    # the Scores sheet has a juror_id column too.
    _add_sheet(workbook, "Jurors", jurors)
    _add_sheet(workbook, "Scores", _wide(scores, _TEMPLATE_CRITERIA))
    _save_workbook(workbook, out_dir / "template.xlsx")
    return sorted(out_dir / name for name in TEMPLATE_FILES)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the example event and the templates; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--example-out", type=Path, default=EXAMPLE_DIR)
    parser.add_argument("--templates-out", type=Path, default=TEMPLATE_DIR)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    write_example_event(args.example_out, seed=args.seed)
    write_templates(args.templates_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
