from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: stable under inserts and as fast on page 1,000 as on page 1."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500
