"""Check and repair the whole store: :mod:`index.check` for what ``index`` keeps, and here the topic model
and the decisions people made about it.

``repair`` brings the model back from the previous fit kept on disk when that is sound, else fits
again with the parameters of the damaged fit (the defaults when none can be read), and gives the
labels people gave back to their topics (:mod:`topics.decisions`); each thing it did is one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index import CheckReport, Store, check, repair
from index.check import Finding
from index.damage import DamagedFile
from index.files import clear_non_file

from .decisions import Decisions, document_labels, place_labels
from .fit import FIT_DEFAULTS, fit_afresh
from .model import TopicModel
from .model_files import (CURRENT, FOLDER, UNRECORDED, FitFiles, fit_numbers, inspect_fit, model_path, read_current,
                          remove_fit, write_fit)


def _fits(store_path: Path) -> tuple[int | None, DamagedFile | None, dict[int, FitFiles]]:
    """The fit in force (the latest on disk when ``current.json`` is damaged), what is wrong with
    ``current.json``, and the fit in force and the one before it as read from disk."""
    numbers = fit_numbers(store_path / FOLDER)
    try:
        number: int | None = read_current(store_path)
        problem = None
    except DamagedFile as exc:
        number, problem = max(numbers, default=None), exc
    if number is None:
        return None, problem, {}
    return number, problem, {k: inspect_fit(store_path, k) for k in (number, number - 1) if k == number or k in numbers}


def _decisions(store_path: Path, fits: dict[int, FitFiles]) -> tuple[Decisions | None, str | None]:
    """The decisions file, or what is wrong with it (also when it is gone while the fit in force holds
    labels people gave, which every completed save of this version records in it)."""
    folder = store_path / FOLDER
    try:
        found = Decisions.load(folder, store_path)
    except DamagedFile as exc:
        return None, exc.reason
    latest = fits[max(fits)] if fits else None
    expected = latest is not None and latest.document is not None and not latest.unrecorded \
        and bool(document_labels(latest.document, 0).labels)
    return found, "missing" if found is None and expected else None


def check_model(store_path: Path) -> CheckReport:
    """Verify the topic model's files: ``current.json``, the fit in force and the one kept before it
    (each file against its checksum, the arrays against the topics), and ``decisions.json``."""
    report = CheckReport()
    if not TopicModel.exists(store_path):
        return report
    number, problem, fits = _fits(store_path)
    if problem is not None:
        report.findings.append(Finding(str(problem.path), problem.reason))
    for found in fits.values():
        report.findings += [Finding(str(path), reason) for path, reason in found.problems.items()]
        if found.unrecorded:
            report.findings.append(Finding(str(model_path(store_path / FOLDER, found.number)), UNRECORDED))
    _, wrong = _decisions(store_path, fits)
    if wrong:
        report.findings.append(Finding(str(Decisions.path(store_path / FOLDER)), wrong))
    sound = [f"fit {k}" for k, f in fits.items() if f.sound and not f.unrecorded]
    report.checked.append(f"topic model: {', '.join(sound) or 'no fit'} and the labels people gave "
                          "match their checksums" if sound else "topic model: no sound fit")
    return report


def check_store(store: Store) -> CheckReport:
    """Verify every file of the store, the topic model's included."""
    report = check(store)
    model = check_model(store.path)
    report.findings += model.findings
    report.checked += model.checked
    return report


def repair_store(store_path: Path, *, model: object = None) -> list[str]:
    """Repair the store (:func:`index.check.repair`), then its topic model; what was done, a line each."""
    done = repair(store_path, model=model)
    with Store.open(store_path, model=model) as store:  # type: ignore[arg-type]
        return done + repair_model(store)


def _named(found: FitFiles) -> str:
    return "; ".join(f"{path.name}: {reason}" for path, reason in found.problems.items())


def repair_model(store: Store) -> list[str]:
    """Bring back a sound topic model, keeping the labels people gave; what was done, a line each."""
    if not TopicModel.exists(store.path):
        return []
    with store.writing():
        done = [f"removed {what}, which stood where a file of the topic model belongs"
                for what in map(clear_non_file, sorted((store.path / FOLDER).iterdir())) if what]
        number, problem, fits = _fits(store.path)
        if problem is not None:
            done.append(f"{problem.path} was damaged ({problem.reason}): written again")
        if number is None:
            (store.path / FOLDER / CURRENT).unlink(missing_ok=True)
            return done
        decisions, wrong = _decisions(store.path, fits)
        latest, previous = fits[number], fits.get(number - 1)
        if previous is not None and previous.unrecorded and previous.sound:
            write_fit(store.path / FOLDER, previous.number, previous.document or {}, previous.arrays)
            done.append(f"recorded the checksums of fit {previous.number}, written before checksums were kept")
        if previous is not None and not previous.sound and latest.sound:
            remove_fit(store.path / FOLDER, previous.number)
            done.append(f"removed the damaged earlier fit {previous.number} ({_named(previous)}); "
                        f"fit {number} in force is sound")
        if latest.sound:
            model = TopicModel.from_files(latest, store.path)
            if decisions is not None and decisions.fit == number:
                decisions.apply(model)
            if wrong:
                done.append(f"{Decisions.path(store.path / FOLDER)} was damaged ({wrong}): written again from "
                            f"the labels fit {number} holds")
            if latest.unrecorded:
                done.append(f"recorded the checksums of fit {number}, written before checksums were kept")
            if done:
                model.save(store.path)
            return done
        labels = decisions if decisions is not None else _labels_of(fits)
        model = _restore(store, latest, previous, done)
        for topic in model.themes_and_stories:  # the decisions say which topics bear a person's label
            topic.custom_label = None
        placed, lost = place_labels(labels, model, store)
        if placed:
            done.append("kept the labels people gave: " + ", ".join(placed))
        if lost:
            done.append("could not place the labels " + ", ".join(lost) + ": none of their paragraphs is stored")
        model.save(store.path)
        return done


def _labels_of(fits: dict[int, FitFiles]) -> Decisions:
    """The labels the latest readable fit JSON holds, for when ``decisions.json`` is lost too."""
    for number in sorted(fits, reverse=True):
        if fits[number].document is not None:
            return document_labels(fits[number].document or {}, number)
    return Decisions(0)


def _restore(store: Store, latest: FitFiles, previous: FitFiles | None, done: list[str]) -> TopicModel:
    """The previous fit when it is sound, else a fit made again with the damaged fit's parameters."""
    folder = store.path / FOLDER
    remove_fit(folder, latest.number)
    if previous is not None and previous.sound:
        done.append(f"fit {latest.number} was damaged ({_named(latest)}); restored the previous fit "
                    f"{previous.number} as the topic model")
        return TopicModel.from_files(previous, store.path)
    params: dict[str, Any] = dict(FIT_DEFAULTS)
    source = "the default parameters"
    for found in (latest, previous):
        if found is not None and found.document is not None and isinstance(found.document.get("params"), dict):
            params.update({k: v for k, v in found.document["params"].items() if k in FIT_DEFAULTS})
            source = f"the parameters of fit {found.number}"
            break
    if previous is not None:
        remove_fit(folder, previous.number)
    model = fit_afresh(store, params)
    lost = _named(latest) + (f"; earlier fit {previous.number}: {_named(previous)}" if previous is not None else "")
    done.append(f"fit {latest.number} was damaged ({lost}); fitted the topics again with {source} "
                f"({', '.join(f'{k}={v}' for k, v in params.items())}): {len(model.topics)} topics")
    return model
