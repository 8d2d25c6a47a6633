from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from devices.models import Register


@login_required
def register_list(request):
    registers = Register.objects.filter(active=True).select_related("store")
    return render(request, "sales/register_list.html", {"registers": registers})
