"""Paged lists: the links to the other pages keep the list's filters."""


def list_query(request) -> str:
    """The request's GET parameters but the page, urlencoded (templates/identity/_pager.html)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
