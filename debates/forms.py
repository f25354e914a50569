from django import forms


class DebateForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))


class SourceForm(forms.Form):
    url = forms.CharField(max_length=2000, label="Source URL")


class AttachmentForm(forms.Form):
    file = forms.FileField()
