"""Attendance's forms (input checks only)."""

from django import forms


class ContactForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="e.g. \"Mother\" or her name")
    email = forms.EmailField(label="E-mail")
