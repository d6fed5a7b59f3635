from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .selectors import student_transcript


@login_required
@require_safe
def my_enrollments(request):
    return render(request, "enrollment/my_enrollments.html", {"transcript": student_transcript(student=request.user)})
