"""Pages of a list: a count and the addresses of the next and previous pages."""

from ninja import Field, Schema

PAGE_SIZE = 20
# Deep enough for any real list; bounds the skip a request can ask MongoDB for.
MAX_PAGE = 10_000


class PageParams(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)


class Page[T](Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[T]


def paginate(request, queryset, page: int) -> dict:
    count = queryset.count()
    start = (page - 1) * PAGE_SIZE
    return {
        "count": count,
        "next": _page_url(request, page + 1) if start + PAGE_SIZE < count else None,
        "previous": _page_url(request, page - 1) if page > 1 else None,
        "results": list(queryset[start : start + PAGE_SIZE]),
    }


def _page_url(request, page: int) -> str:
    query = request.GET.copy()
    query["page"] = page
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
