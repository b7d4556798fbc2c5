from django.shortcuts import render

from identity.roles import VIEWER, role_required


@role_required(VIEWER)
def dashboard(request):
    return render(request, "identity/dashboard.html")
