"""Template words for face figures (`{% load faces %}`)."""

from django import template

from identity.presenters import likeness_text

register = template.Library()


@register.filter
def alike(similarity: float, threshold: float) -> str:
    """`{{ similarity|alike:threshold }}`: how alike two faces are, in words (presenters.likeness_text)."""
    return likeness_text(similarity, threshold=threshold)
