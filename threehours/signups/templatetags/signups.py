from django import template

register = template.Library()


@register.inclusion_tag("signups/partials/_register_box.html", takes_context=True)
def register_box(context, activity):
    """The foot of an activity page: the volunteer's registration, why they cannot register,
    or the questions and the button. A form with errors comes in the context as
    `register_form` after a refused POST."""
    from ..views import register_box as box

    request = context["request"]
    data = box(request, activity, context.get("register_form"))
    data.update(request=request, activity=activity, csrf_token=context.get("csrf_token"))
    return data
