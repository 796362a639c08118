"""Load and cross-check the knowledge files.

Loading validates each YAML file against its schema and then checks the links between files: every cited
source exists, every drug, indication and interaction points at a known concept, no code maps to two
unrelated concepts of the same kind by accident. Any problem raises KnowledgeError naming the file and field,
so a broken knowledge release is refused at start-up rather than discovered in a patient's report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from jakcheck.errors import KnowledgeError
from jakcheck.knowledge.coverage import Matrix, build_matrix
from jakcheck.knowledge.derived import DerivedKnowledge
from jakcheck.knowledge.evidence import check_drug_evidence
from jakcheck.knowledge.schema import (
    Cite,
    Concept,
    DrugFile,
    Indication,
    IndicationsFile,
    Region,
    RegionLabel,
    Release,
    Source,
    SourcesFile,
    Thresholds,
    ThresholdValue,
    Trial,
    TrialsFile,
    ValueSetsFile,
)

DATA_DIR = Path(__file__).parent / "data"
M = TypeVar("M", bound=BaseModel)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 5x faster

# Order in which drugs are listed in every output (deterministic, class drugs first).
DRUG_ORDER = ("tofacitinib", "baricitinib", "upadacitinib", "filgotinib", "abrocitinib", "ritlecitinib",
              "deucravacitinib")


def _read(path: Path, model: type[M]) -> M:
    try:
        raw: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path.name}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise KnowledgeError(f"{path.name}: field {loc}: {first['msg']} ({exc.error_count()} error(s))") from exc


@dataclass(frozen=True)
class Knowledge:
    """One knowledge release, loaded and cross-checked."""

    release: Release
    sources: dict[str, Source]
    drugs: dict[str, DrugFile]
    concepts: dict[str, Concept]
    indications: dict[str, Indication]
    thresholds: dict[str, ThresholdValue]
    code_index: dict[tuple[str, str], tuple[str, ...]]
    text_index: tuple[tuple[str, str], ...]  # (lower-case phrase, concept id), longest phrase first
    coverage: Matrix  # every drug x region x indication x dimension: encoded, no-change or not-encoded
    # Trial results shown to patients as pictures (trials.yaml), by id.
    trials: dict[str, Trial] = field(default_factory=dict)
    # Derived look-up structures and per-process memos (not part of the release; built on first use).
    _by_first_word: dict[str, tuple[tuple[int, tuple[str, ...], str], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _by_words: dict[tuple[str, ...], tuple[tuple[int, str], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _vetoes: dict[str, tuple[tuple[str, ...], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _specimens: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _text_memo: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def derived(self) -> DerivedKnowledge:
        """The release's derived look-ups (knowledge/derived.py): source references, label citations,
        monitoring plans, thresholds per analyte, not-encoded cells. Made by `load_knowledge`."""
        return DerivedKnowledge(self)

    def source(self, source_id: str) -> Source:
        return self.sources[source_id]

    def threshold(self, key: str) -> ThresholdValue:
        try:
            return self.thresholds[key]
        except KeyError as exc:
            raise KnowledgeError(f"thresholds.yaml: missing key {key!r}") from exc

    def label(self, drug: str, region: Region) -> RegionLabel | None:
        d = self.drugs.get(drug)
        return d.regions.get(region) if d else None

    def concepts_for_code(self, system: str, code: str) -> tuple[str, ...]:
        return self.code_index.get((_norm_system(system), code.strip()), ())

    def concepts_for_text(self, text: str) -> tuple[str, ...]:
        """Concepts a text names as a whole concept, in `text_index` order (longest phrase first).

        A phrase counts only as whole words ("diabetes" does not match "prediabetes"), and only where no longer
        phrase of another concept covers it ("cholesterol" is not found in "HDL cholesterol", "hepatitis b" not
        in "hepatitis b surface antibody"). A concept is not found in a text that contains one of its `not_text`
        phrases ("hemoglobin a1c" is not haemoglobin). A LOINC long name ("Cholesterol in HDL [Mass/volume] in
        Serum or Plasma by calculation") is matched by its component (the part before the bracketed property),
        which must equal a phrase, and by its specimen: serum, plasma or blood unless the concept lists others.
        Results are memoised per text."""
        memo = self._text_memo
        hit = memo.get(text)
        if hit is not None:
            return hit
        if not self._by_first_word:
            self._build_text_lookup()
        low = text.lower()
        tokens = tuple(_WORD.findall(low))
        loinc = _LOINC_NAME.match(low)
        if loinc is not None and not _LOINC_PROPERTY.search(loinc.group("property")):
            loinc = None  # brackets that are not a LOINC property ("Rheumatoid arthritis [M05.79] of ...")
        hit = self._loinc_name_concepts(loinc, tokens) if loinc is not None else self._phrase_concepts(tokens)
        if len(memo) >= _TEXT_MEMO_MAX:
            memo.clear()
        memo[text] = hit
        return hit

    def _phrase_concepts(self, tokens: tuple[str, ...]) -> tuple[str, ...]:
        """Whole-word phrase matches not covered by a longer phrase of another concept, minus vetoed concepts."""
        by_first = self._by_first_word
        spans: list[tuple[int, int, int, str]] = []  # (text_index position, start, end, concept id)
        for start, w in enumerate(tokens):
            for i, pw, c in by_first.get(w, ()):
                end = start + len(pw)
                if tokens[start:end] == pw:
                    spans.append((i, start, end, c))
        kept: list[tuple[int, str]] = []
        for i, start, end, c in spans:
            covered = any(o_c != c and o_s <= start and end <= o_e and o_e - o_s > end - start
                          for _, o_s, o_e, o_c in spans)
            if not covered and not self._vetoed(c, tokens):
                kept.append((i, c))
        kept.sort()
        return tuple(dict.fromkeys(c for _, c in kept))

    def _loinc_name_concepts(self, m: re.Match[str], tokens: tuple[str, ...]) -> tuple[str, ...]:
        component = tuple(_WORD.findall(m.group("component")))
        system = m.group("system")
        for cut in (" by ", " calculated", "--"):
            system = system.split(cut, 1)[0]
        specimen = set(_WORD.findall(system))
        out: list[tuple[int, str]] = []
        for i, c in self._by_words.get(component, ()):
            allowed = self._specimens.get(c) or _SPECIMEN_WORDS
            if specimen <= allowed and not self._vetoed(c, tokens):
                out.append((i, c))
        out.sort()
        return tuple(dict.fromkeys(c for _, c in out))

    def _vetoed(self, concept_id: str, tokens: tuple[str, ...]) -> bool:
        for pw in self._vetoes.get(concept_id, ()):
            n = len(pw)
            if any(tokens[k:k + n] == pw for k in range(len(tokens) - n + 1)):
                return True
        return False

    def _build_text_lookup(self) -> None:
        """First word of each phrase -> (position in text_index, phrase words, concept id); phrase words ->
        concepts (LOINC components); concept -> veto phrases and extra specimen words. Phrases without a word
        are left out (they cannot be found as whole words)."""
        index: dict[str, list[tuple[int, tuple[str, ...], str]]] = {}
        by_words: dict[tuple[str, ...], list[tuple[int, str]]] = {}
        for i, (phrase, c) in enumerate(self.text_index):
            pw = tuple(_WORD.findall(phrase))
            if not pw:
                continue
            index.setdefault(pw[0], []).append((i, pw, c))
            by_words.setdefault(pw, []).append((i, c))
        for concept in self.concepts.values():
            vetoes = tuple(tuple(_WORD.findall(p.lower())) for p in concept.not_text)
            self._vetoes[concept.id] = tuple(v for v in vetoes if v)
            self._specimens[concept.id] = frozenset(
                w for s in concept.specimens for w in _WORD.findall(s.lower()))
        self._by_words.update({k: tuple(v) for k, v in by_words.items()})
        self._by_first_word.update({k: tuple(v) for k, v in index.items()})

    def concept(self, concept_id: str) -> Concept:
        return self.concepts[concept_id]

    def concepts_with_class(self, cls: str) -> tuple[str, ...]:
        return tuple(c.id for c in self.concepts.values() if cls in c.classes)

    def drug_ids(self) -> tuple[str, ...]:
        return tuple(d for d in DRUG_ORDER if d in self.drugs) + tuple(
            sorted(d for d in self.drugs if d not in DRUG_ORDER))


_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_TEXT_MEMO_MAX = 65536
# A LOINC long name: component, the property in brackets, then "in"/"of" and the specimen (system), optionally
# followed by " by <method>" or "--<timing>".
_LOINC_NAME = re.compile(r"^\s*(?P<component>[^\[\]]+?)\s*\[(?P<property>[^\[\]]+)\]\s+(?:in|of)\s+"
                         r"(?P<system>[^\[\]]+)$")
# The bracketed property of a LOINC long name ([Presence], [Mass/volume], [#/volume], [Units/volume], [Titer] ...).
_LOINC_PROPERTY = re.compile(r"presence|interpretation|/|mass|moles|units|titer|ratio|diameter|identifier|type|"
                             r"fraction|pressure|rate|length|volume|#")
# Specimen words a LOINC long name may carry for a concept that lists none of its own (serum, plasma, whole,
# arterial, venous or capillary blood); any other word (urine, donor, cord, fluid, tissue...) names another test.
_SPECIMEN_WORDS = frozenset({"serum", "plasma", "blood", "or", "and", "whole", "arterial", "venous", "capillary"})

_SYSTEM_ALIASES = {
    "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
    "http://snomed.info/sct": "snomed",
    "http://loinc.org": "loinc",
    "http://hl7.org/fhir/sid/icd-10-cm": "icd10cm",
    "http://hl7.org/fhir/sid/icd-10": "icd10cm",
    "http://hl7.org/fhir/sid/cvx": "cvx",
    "http://www.whocc.no/atc": "atc",
}


def _norm_system(system: str) -> str:
    s = system.strip().rstrip("/")
    return _SYSTEM_ALIASES.get(s, s)


def _cites(obj: Any) -> Iterable[tuple[str, Cite]]:
    """Every Cite inside a model, with a dotted path for error messages."""
    if isinstance(obj, Cite):
        yield "", obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            for path, c in _cites(getattr(obj, name)):
                yield f"{name}{'.' + path if path else ''}", c
    elif isinstance(obj, dict):
        for k, v in obj.items():
            for path, c in _cites(v):
                yield f"{k}{'.' + path if path else ''}", c
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            for path, c in _cites(v):
                yield f"{i}{'.' + path if path else ''}", c


def load_knowledge(data_dir: Path | None = None) -> Knowledge:
    """Load, validate and cross-check every knowledge file in `data_dir`."""
    d = data_dir or DATA_DIR
    release = _read(d / "release.yaml", Release)
    sources: dict[str, Source] = {}
    source_files = sorted((d / "sources").glob("*.yaml"))
    if not source_files:
        raise KnowledgeError(f"{d / 'sources'}: no sources files")
    for p in source_files:
        for s in _read(p, SourcesFile).sources:
            if s.id in sources:
                raise KnowledgeError(f"{p.name}: source id {s.id!r} defined twice")
            sources[s.id] = s

    vs = _read(d / "valuesets.yaml", ValueSetsFile)
    concepts: dict[str, Concept] = {}
    for c in vs.concepts:
        if c.id in concepts:
            raise KnowledgeError(f"valuesets.yaml: concept id {c.id!r} defined twice")
        concepts[c.id] = c

    drugs: dict[str, DrugFile] = {}
    for p in sorted((d / "drugs").glob("*.yaml")):
        drug = _read(p, DrugFile)
        if drug.id != p.stem:
            raise KnowledgeError(f"{p.name}: id {drug.id!r} does not match the file name")
        if drug.concept not in concepts:
            raise KnowledgeError(f"{p.name}: field concept: unknown concept {drug.concept!r}")
        drugs[drug.id] = drug

    ind_file = _read(d / "indications.yaml", IndicationsFile)
    indications = {i.id: i for i in ind_file.indications}
    thresholds = _read(d / "thresholds.yaml", Thresholds)
    trials_file = _read(d / "trials.yaml", TrialsFile) if (d / "trials.yaml").exists() else None

    # Cross-checks: sources cited, indications and concepts referenced.
    checked: list[tuple[str, BaseModel]] = [(f"drugs/{k}.yaml", v) for k, v in drugs.items()]
    checked += [("valuesets.yaml", vs), ("indications.yaml", ind_file), ("thresholds.yaml", thresholds)]
    if trials_file is not None:
        checked.append(("trials.yaml", trials_file))
        for trial in trials_file.trials:
            if trial.population.indication not in indications:
                raise KnowledgeError(f"trials.yaml: {trial.id}: unknown indication {trial.population.indication!r}")
    for fname, model in checked:
        for path, cite in _cites(model):
            if cite.source not in sources:
                raise KnowledgeError(f"{fname}: field {path}: unknown source id {cite.source!r}")
        prov = getattr(model, "provenance", None)
        if prov is not None:
            for sid in prov.sources:
                if sid not in sources:
                    raise KnowledgeError(f"{fname}: field provenance.sources: unknown source id {sid!r}")
    for ind in indications.values():
        if ind.concept not in concepts:
            raise KnowledgeError(f"indications.yaml: {ind.id}: unknown concept {ind.concept!r}")
        for alt in (*ind.alternatives, *ind.pregnancy_alternatives):
            for ref in (*alt.medications, *(c.when for c in alt.caveats)):
                if ref not in concepts:
                    raise KnowledgeError(f"indications.yaml: {ind.id}: alternative {alt.option!r}: unknown "
                                         f"concept {ref!r}")
    for drug in drugs.values():
        for region, lab in drug.regions.items():
            if lab.label_source not in sources:
                raise KnowledgeError(f"drugs/{drug.id}.yaml: regions.{region}.label_source: unknown source "
                                     f"{lab.label_source!r}")
            for rule in lab.indications:
                if rule.indication not in indications:
                    raise KnowledgeError(f"drugs/{drug.id}.yaml: regions.{region}: unknown indication "
                                         f"{rule.indication!r}")
        # Graded evidence: a fact that makes advice less cautious rests on the region's own label text.
        check_drug_evidence(f"drugs/{drug.id}.yaml", drug, sources)

    code_index: dict[tuple[str, str], list[str]] = {}
    text_pairs: list[tuple[str, str]] = []
    for c in concepts.values():
        for coding in c.codes:
            key = (_norm_system(coding.system), coding.code.strip())
            code_index.setdefault(key, [])
            if c.id not in code_index[key]:
                code_index[key].append(c.id)
        text_pairs.extend((t.lower(), c.id) for t in c.text)
    text_pairs.sort(key=lambda t: (-len(t[0]), t[0], t[1]))
    order = tuple(x for x in DRUG_ORDER if x in drugs) + tuple(sorted(x for x in drugs if x not in DRUG_ORDER))
    coverage = build_matrix(drugs, order, indications)
    knowledge = Knowledge(
        release=release,
        sources=sources,
        drugs=drugs,
        concepts=concepts,
        indications=indications,
        thresholds=dict(thresholds.values),
        code_index={k: tuple(v) for k, v in code_index.items()},
        text_index=tuple(text_pairs),
        coverage=coverage,
        trials={t.id: t for t in trials_file.trials} if trials_file is not None else {},
    )
    _ = knowledge.derived  # built at load, like the indexes above
    return knowledge


@lru_cache(maxsize=1)
def default_knowledge() -> Knowledge:
    """The packaged knowledge release, loaded once per process."""
    return load_knowledge()
