from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from resellers.access import reseller_required


@reseller_required
def payout_list(request: HttpRequest) -> HttpResponse:
    return render(request, "payouts/payout_list.html")
