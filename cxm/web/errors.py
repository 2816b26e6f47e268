from django.core.exceptions import ValidationError


def validation_message(error: ValidationError) -> str:
    """A service's ValidationError as one sentence for a form or a flash message."""
    if hasattr(error, "error_dict"):
        return " ".join(message for messages in error.message_dict.values() for message in messages)
    return " ".join(error.messages)
