from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: stable under inserts and as fast on page 1,000 as on page 1."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # A page size that is not a positive whole number is the caller's mistake: say so rather
        # than quietly answering a page of another size.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise exceptions.ValidationError({self.page_size_query_param: [_("Give a whole number from 1.")]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters
