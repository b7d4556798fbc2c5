from django import forms


class ImportForm(forms.Form):
    archive = forms.FileField(label="ZIP of photos", help_text="A folder per person (its name the person's), or photos "
                              "named by person (Ada_Lovelace_0001.jpg).")
    csv = forms.FileField(required=False, label="CSV (optional)",
                          help_text="Columns name, code, photos (file names, ; between them), consent (yes/no).")
    consent = forms.BooleanField(required=False, label="Every person in it consented to be enrolled",
                                 help_text="Needed for anyone the CSV does not give a consent for.")
