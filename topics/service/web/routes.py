"""The pages: search at ``/``, an article, the topics, one topic and its label form. Each is a thin
view over the Python API the ``/v1`` routes call; what a page adds is only how it reads."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from index import TopicsError, search, similar

from ...api import merge_topics, split_topic, topic_detail
from ...fit import relabel
from ...model import TopicNotFound
from ..state import Service, service, status_of
from .forms import SearchForm
from .render import message, page

router = APIRouter(include_in_schema=False)
State = Annotated[Service, Depends(service)]
SIMILAR = 6  # similar articles on an article's page
PARAGRAPHS, ARTICLES = 5, 10  # central paragraphs and top articles on a topic's page
MAX_LABEL = 200
MAX_FORM_BYTES = 16 * 1024
NO_TOPICS = "No topics yet: run topics cluster (or POST /v1/topics/refresh) to find them."


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, state: State) -> HTMLResponse:
    """The search form and, when it holds a query, its hits; a bad field is shown beside it (422)."""
    form = SearchForm.parse(request.query_params)
    if form.errors or not form.q or form.filters is None:
        return page(request, "search.html", 422 if form.errors else 200, form=form, hits=None)
    reader = state.reader()
    if not reader.article_count():
        return page(request, "search.html", form=form, hits=None)
    try:
        hits = search(reader, form.q, form.k, form.filters, by_article=form.group, mode=form.mode, fold=not form.apart)
    except TopicsError as exc:
        status, text = status_of(exc)
        form.errors["q"] = text
        return page(request, "search.html", status, form=form, hits=None)
    return page(request, "search.html", form=form, hits=hits)


@router.get("/articles/{article_id:path}", response_class=HTMLResponse)
def article_page(article_id: str, request: Request, state: State) -> HTMLResponse:
    """An article's paragraphs with their topics, its topic mix and the articles most like it."""
    found = state.article(article_id)
    if found is None:
        return message(request, 404, "No such article", f"No article with the id “{article_id}” is stored.",
                       "Search for it by its words instead.")
    info, topics = found
    try:
        alike = similar(state.reader(), article_id, SIMILAR)
    except TopicsError:
        alike = []
    labels = {share.topic: share.label for share in topics.mix}
    return page(request, "article.html", info=info, topics=topics, labels=labels, similar=alike)


@router.get("/topics", response_class=HTMLResponse)
def topics_page(request: Request, state: State) -> HTMLResponse:
    """Every topic with its size, keywords and trend, and what changed since the fit before."""
    model = state.model_or_none()
    if model is None:
        return page(request, "topics.html", overview=None)
    return page(request, "topics.html", overview=state.overview(), total=max(len(model.paragraph_ids), 1))


@router.get("/topics/{topic_id}", response_class=HTMLResponse)
def topic_page(topic_id: str, request: Request, state: State) -> HTMLResponse:
    """One topic: its most central paragraphs, its top articles and its label form."""
    saved = request.query_params.get("saved")
    return _topic(request, state, topic_id, notice={"label": "Label saved.", "reset": "Automatic label restored.",
                                                    "merged": "Topics merged.", "split": "Topic split."}
                  .get(saved or ""))


def _topic(request: Request, state: Service, topic_id: str, status: int = 200, notice: str | None = None,
           errors: dict[str, str] | None = None, typed: str | None = None) -> HTMLResponse:
    """The topic's page, or a message when there are no topics or no such topic (404)."""
    model = state.model_or_none()
    if model is None:
        return message(request, 404, "No topics yet", NO_TOPICS)
    try:
        number = model.topic(int(topic_id)).id
        detail = state.per_fit(f"topic.{number}", lambda reader, fit: topic_detail(reader, fit, number, PARAGRAPHS,
                                                                                   ARTICLES), f"topic {number}'s page")
    except (ValueError, TopicNotFound):
        ids = ", ".join(str(t.id) for t in model.topics) or "none"
        return message(request, 404, "No such topic", f"There is no topic “{topic_id}”; the topics are {ids}.")
    topic = model.topic(detail.page.topic.id)
    theme = None if topic.parent is None else model.topic(topic.parent)
    stories = model.stories_of(topic.id) if topic.parent is None else []
    return page(request, "topic.html", status, detail=detail, topic=topic, theme=theme,
                stories=stories if len(stories) > 1 else [], notice=notice, errors=errors or {},
                typed=topic.name if typed is None else typed, needs_token=state.token is not None,
                total=max(len(model.paragraph_ids), 1))


@router.post("/topics/{topic_id}/label", response_class=HTMLResponse)
async def label_form(topic_id: str, request: Request, state: State) -> Response:
    """Give a topic a person's label, or restore its automatic one (``action=reset``), then show the
    topic again (303, so reloading does not post twice); the same :func:`topics.fit.relabel` as
    ``topics label``. With a service token the form must carry it."""
    fields = await _form(request, "label")
    if isinstance(fields, Response):
        return fields
    text = None if fields.get("action") == "reset" else " ".join(fields.get("label", "").split())
    problem = _label_problem(state, text, fields.get("token", ""))
    if problem:
        status, errors = problem
        return await run_in_threadpool(_topic, request, state, topic_id, status, None, errors, text)
    return await run_in_threadpool(_relabel, request, state, topic_id, text)


async def _form(request: Request, what: str) -> dict[str, str] | Response:
    """A topic form's fields, or the page that refuses it: too large, or sent from another site."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return message(request, 413, "Form too large", f"The form sent {len(body):,} bytes; a {what} form is far "
                       f"smaller than {MAX_FORM_BYTES:,}.")
    if not _same_site(request):
        return message(request, 403, "Form from another site", f"This form was sent from another site, so the "
                       f"{what} is unchanged. Open the topic's page here and send the form from it.")
    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def _token_problem(state: Service, token: str, what: str) -> tuple[int, dict[str, str]] | None:
    """A missing or wrong service token, as a status and a message under the token field."""
    if state.token is not None and not token:
        return 403, {"token": f"This service was started with a token: enter it to change {what}."}
    if not state.check_token(token):
        return 403, {"token": f"That is not this service's token; the {what} is unchanged."}
    return None


def _label_problem(state: Service, text: str | None, token: str) -> tuple[int, dict[str, str]] | None:
    """What keeps a label form from being applied, as a status and a message under its field."""
    refused = _token_problem(state, token, "labels" if not token else "label")
    if refused:
        return refused
    if text == "":
        return 422, {"label": "A label needs words; the label is unchanged."}
    if text is not None and len(text) > MAX_LABEL:
        return 422, {"label": f"A label is at most {MAX_LABEL} characters; this one has {len(text)}."}
    return None


def _relabel(request: Request, state: Service, topic_id: str, text: str | None) -> Response:
    """Apply a checked label form behind the service's write lock; a topic that is not there gets its 404."""
    try:
        number = int(topic_id)
        model = state.model_or_none()
        if model is None or number not in {t.id for t in model.topics}:
            return _topic(request, state, topic_id)  # says there are no topics, or names those there are
        with state.write_lock:
            relabel(state.store, number, text)
    except ValueError:
        return _topic(request, state, topic_id)
    except TopicsError as exc:
        status, reason = status_of(exc)
        return _topic(request, state, topic_id, status, errors={"label": reason}, typed=text)
    return RedirectResponse(f"/topics/{number}?saved={'reset' if text is None else 'label'}", status_code=303)


def _same_site(request: Request) -> bool:
    """Whether a form post comes from this service's own pages: browsers name the page's origin (or
    say cross-site) on every post; a client that names neither is not a browser page of another site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


@router.post("/topics/{topic_id}/reshape", response_class=HTMLResponse)
async def reshape_form(topic_id: str, request: Request, state: State) -> Response:
    """Merge this topic with others (``action=merge``, their ids in ``with``) or split it
    (``action=split``, into its stories or ``into`` parts); the same :mod:`topics.steering` functions
    as ``topics merge`` and ``topics split``, with the label form's token rule."""
    fields = await _form(request, "topic")
    if isinstance(fields, Response):
        return fields
    refused = _token_problem(state, fields.get("token", ""), "topics" if not fields.get("token") else "topic")
    if refused:
        status, errors = refused
        return await run_in_threadpool(_topic, request, state, topic_id, status, None, errors)
    return await run_in_threadpool(_reshape, request, state, topic_id, fields)


def _reshape(request: Request, state: Service, topic_id: str, fields: dict[str, str]) -> Response:
    """Apply a checked merge or split form behind the service's write lock; a bad id or count is said
    under its field."""
    field = "with" if fields.get("action") == "merge" else "into"
    try:
        number = int(topic_id)
        model = state.model_or_none()
        if model is None or number not in {t.id for t in model.themes_and_stories}:
            return _topic(request, state, topic_id)
        with state.write_lock:
            if field == "with":
                others = [int(i) for i in fields.get("with", "").replace(",", " ").split()]
                merge_topics(state.store, [number, *others])
            else:
                split_topic(state.store, number, int(fields["into"]) if fields.get("into", "").strip() else None)
    except ValueError:
        return _topic(request, state, topic_id, 422, errors={field: "Give whole numbers: topic ids or a count."})
    except TopicsError as exc:
        status, reason = status_of(exc)
        return _topic(request, state, topic_id, status, errors={field: reason})
    return RedirectResponse(f"/topics/{number}?saved={'merged' if field == 'with' else 'split'}", status_code=303)
