"""What the admin's delete pages list: the records going with the object, in the reader's words."""

from django.apps import apps
from django.utils.text import capfirst


class WithoutLinkRowsMixin:
    """A delete page that lists the records going with the object, not the rows linking two of them.

    Django names an automatic many-to-many link row in words of its own ("Taskforce-bureau关系:
    TaskForce_member_bureaus object (1)"); the link goes with the object it belongs to, so it is not listed.
    """

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        links = [
            model._meta for model in apps.get_models(include_auto_created=True)
            if model._meta.auto_created
        ]
        prefixes = tuple(f"{capfirst(opts.verbose_name)}: " for opts in links)
        plurals = {capfirst(opts.verbose_name_plural) for opts in links} | {opts.verbose_name_plural for opts in links}

        def kept(items):
            result = []
            for item in items:
                if isinstance(item, list):
                    nested = kept(item)
                    if nested:
                        result.append(nested)
                elif not str(item).startswith(prefixes):
                    result.append(item)
            return result

        model_count = {name: count for name, count in model_count.items() if name not in plurals}
        return kept(to_delete), model_count, perms_needed, protected
