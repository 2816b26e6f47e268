from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination

PAGE_SIZE_PARAM = "page_size"


def page_size_from(query_params, *, default: int, maximum: int) -> int:
    """The page size a request asks for, at most `maximum`. A page size that is not a positive
    whole number is the caller's mistake: say so rather than quietly answer a page of another size."""
    raw = query_params.get(PAGE_SIZE_PARAM)
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise exceptions.ValidationError({PAGE_SIZE_PARAM: [_("Give a whole number from 1.")]})
    return min(size, maximum)


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: stable under inserts and as fast on page 1,000 as on page 1."""

    ordering = "-id"
    page_size_query_param = PAGE_SIZE_PARAM
    max_page_size = 500

    def get_page_size(self, request):
        return page_size_from(request.query_params, default=self.page_size, maximum=self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters
