from .views import children, claim

app_name = "family"

urlpatterns = children.urlpatterns + claim.urlpatterns
