"""Creative templates: texts with placeholders, translations, formats and the compliance rules
every variant is checked against."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from ads import selectors, services
from ads.compliance import rules as compliance_rules
from ads.models import CreativeTemplate
from ads.services.templates import TEMPLATE_FIELDS
from ads.variants import FORMATS, TEXT_FIELDS
from ads.variants import PLATFORMS as TEMPLATE_PLATFORMS
from cxm.api.viewsets import WorkspaceScopedViewSet

_WORDS = {"type": "array", "items": {"type": "string", "minLength": 1}}


@extend_schema_field(
    {
        "type": "array",
        "description": "Rules of the template's own, beside its country's pack: `terms` or "
        "`patterns` (regular expressions) are needed, and `categories` for a prohibited category.",
        "items": {
            "type": "object",
            "required": ["id", "kind", "description", "citation"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "kind": {"type": "string", "enum": list(compliance_rules.KINDS)},
                "description": {"type": "string"},
                "citation": {"type": "string"},
                "severity": {"type": "string", "enum": list(compliance_rules.SEVERITIES)},
                "categories": _WORDS,
                "terms": _WORDS,
                "patterns": _WORDS,
                "suffixes": _WORDS,
                "fields": _WORDS,
                "languages": _WORDS,
                "exempt_platforms": _WORDS,
            },
            "additionalProperties": False,
        },
    }
)
class ExtraRulesField(serializers.ListField):
    child = serializers.DictField()


@extend_schema_field(
    {
        "type": "object",
        "description": 'Per language, the texts that replace the template\'s: {"id": {"headline": "..."}}',
        "additionalProperties": {
            "type": "object",
            "properties": {name: {"type": "string"} for name in TEXT_FIELDS},
            "additionalProperties": False,
        },
    }
)
class TranslationsField(serializers.DictField):
    child = serializers.DictField(child=serializers.CharField(allow_blank=True))


class TemplateSerializer(serializers.ModelSerializer):
    variant_count = serializers.IntegerField(read_only=True, default=0)
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(FORMATS)), required=False, default=list
    )
    categories = serializers.ListField(
        child=serializers.CharField(max_length=40, min_length=1), required=False
    )
    translations = TranslationsField(required=False)
    format_images = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, help_text="Per format, its image."
    )
    extra_rules = ExtraRulesField(required=False)
    platform = serializers.ChoiceField(choices=list(TEMPLATE_PLATFORMS), required=False)
    country = serializers.ChoiceField(
        choices=["", *compliance_rules.available_countries()],
        required=False,
        help_text="The country whose rule pack every variant is checked against.",
    )

    class Meta:
        model = CreativeTemplate
        fields = ["id", *TEMPLATE_FIELDS, "variant_count", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    # A form field's JSON text "null" passes the null check as text and only then becomes None.
    def validate_translations(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object of translations per language.")
        return value

    def validate_format_images(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object of images per format.")
        return value

    def validate_extra_rules(self, value):
        if not isinstance(value, list):
            raise serializers.ValidationError("A list of rules.")
        return value


class TemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    WorkspaceScopedViewSet,
):
    """Creative templates: texts with {{placeholders}}, translations per language, the formats,
    and the country and categories whose compliance rules every variant is checked against."""

    serializer_class = TemplateSerializer
    queryset = CreativeTemplate.objects.all()
    read_permission = "ads.view"
    write_permission = "ads.manage"

    def scoped_queryset(self, workspace):
        return selectors.templates(workspace=workspace)

    def perform_create(self, serializer):
        template = services.template_save(
            workspace=self.request.workspace,
            by=self.request.user,
            request=self.request,
            **serializer.validated_data,
        )
        serializer.instance = self.get_queryset().get(pk=template.pk)

    def perform_update(self, serializer):
        template = services.template_save(
            workspace=self.request.workspace,
            template=serializer.instance,
            by=self.request.user,
            request=self.request,
            **serializer.validated_data,
        )
        serializer.instance = self.get_queryset().get(pk=template.pk)
